/**
 * The tracker's status page in a real browser: the real tracker (`apps/tracker.ts`, port 0), peers registered
 * over HTTP as curl would, and Chromium reading the page by role. A hostile name shows as text and runs nothing;
 * a peer registered while the page is open appears by itself. New, not in WeApRous (issue 8, item 8).
 * Needs Chromium: `bash scripts/install-browser.sh` (npm test runs it first).
 */

import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { HttpClient } from '../../daemon/client';
import { Processes, STARTUP_MS } from '../apps/child';
import { useChromium } from './browser';

const XSS = '<img src=x onerror=alert(1)>';

describe('the tracker status page in Chromium', () => {
  const chrome = useChromium();
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  let base: string;

  before(async function () {
    this.timeout(STARTUP_MS + 5_000);
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', '0']);
    const listening = await tracker.waitFor(/^\[Backend\] Listening on IP 127\.0\.0\.1 port \d+$/, STARTUP_MS);
    base = `http://127.0.0.1:${listening.split(' ').pop()}`;
  });
  after(async () => {
    client.close();
    await processes.killAll();
  });

  const post = async (path: string, body: unknown) => {
    const res = await client.request(base + path, { method: 'POST', json: body });
    expect(res.status, `${path}: ${res.text()}`).to.equal(200);
  };
  const register = (port: number, name: string) => post('/submit-info/', { ip: '127.0.0.1', port, peer_id: `127.0.0.1:${port}`, name });

  /** Every alert, confirm or prompt the page opens, every uncaught error in its scripts, and every 4xx or 5xx it got. */
  function watch(page: Page): { dialogs: string[]; errors: string[]; refused: string[] } {
    const seen = { dialogs: [] as string[], errors: [] as string[], refused: [] as string[] };
    page.on('response', (res) => void (res.status() >= 400 && seen.refused.push(`${res.status()} ${res.url()}`)));
    page.on('dialog', (dialog) => {
      seen.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => seen.errors.push(error.message));
    return seen;
  }

  it('lists both peers and their channel, shows a hostile name as text, and adds a new peer by itself', async () => {
    await register(5001, 'Alice');
    await register(5002, XSS);
    await post('/add-list/', { peer_id: '127.0.0.1:5001', channel: 'team' });

    const page = await (await chrome.newContext()).newPage();
    const seen = watch(page);
    await page.goto(base + '/');
    expect(await page.title()).to.equal('Tracker status');

    const peers = page.getByRole('table', { name: 'Peers' });
    await peers.getByRole('rowheader', { name: 'Alice', exact: true }).waitFor();
    // The name is on the page as its 28 characters, not as an <img> element.
    await peers.getByRole('rowheader', { name: XSS, exact: true }).waitFor();
    expect(await page.locator('img').count()).to.equal(0);
    const alice = peers.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Alice', exact: true }) });
    const [address, lastSeen, joined] = await alice.getByRole('cell').allTextContents();
    expect([address, joined]).to.deep.equal(['127.0.0.1:5001', '#general, #team']);
    expect(lastSeen).to.match(/^\d s ago$/);

    const channels = page.getByRole('table', { name: 'Channels' });
    const team = channels.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '#team', exact: true }) });
    expect(await team.getByRole('cell').allTextContents()).to.deep.equal(['public', 'Alice (127.0.0.1:5001)']);
    const general = channels.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '#general', exact: true }) });
    expect(await general.getByRole('cell').nth(1).textContent()).to.equal(`Alice (127.0.0.1:5001), ${XSS} (127.0.0.1:5002)`);
    expect(await page.getByRole('status').textContent()).to.equal('2 peers and 2 channels.');

    // The page polls every 3 s: a peer registered now appears without a reload.
    await register(5003, 'Bob');
    await peers.getByRole('rowheader', { name: 'Bob', exact: true }).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('status').textContent()).to.equal('3 peers and 2 channels.');

    expect(seen.dialogs, 'no alert() may run').to.deep.equal([]);
    expect(seen.errors, 'no script error').to.deep.equal([]);
    expect(seen.refused, 'no request of the page refused').to.deep.equal([]);
  });
});
