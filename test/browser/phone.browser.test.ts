/**
 * The pages on a phone, in Chromium at 390x844 (a phone's viewport, touch, the viewport meta tag obeyed): the
 * real tracker, two real peers and the sample app. No page scrolls sideways; the chat shows the conversation and
 * the message box on the first screen, its channels in a drawer; no page moves under the reader as it loads
 * (cumulative layout shift, web.dev/articles/cls, under 0.1). At 1280x800 the chat keeps its three columns. New,
 * not in WeApRous. Screenshots go to $SCREENSHOTS_DIR when it is set (`SCREENSHOTS_DIR=docs/images`).
 */

import { expect } from 'chai';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { HttpClient } from '../../daemon/client';
import { Child, exact, freePort, passwordFile, Processes, STARTUP_MS } from '../apps/child';
import { useChromium } from './browser';

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const SHOTS = process.env.SCREENSHOTS_DIR ?? tmpdir();
/** The score web.dev calls good: below it, nothing a reader would notice moves. */
const GOOD_SHIFT = 0.1;
/**
 * Adds up every layout shift the page makes from its first paint on (the Layout Instability API's `layout-shift`
 * entries) into `window.layoutShift`. All of them: a phone's viewport (`isMobile`) makes Chromium mark the shifts
 * of a page's first half second `hadRecentInput`, which would hide the very shifts looked for; and the pages are
 * measured as they load, before any input.
 */
const MEASURE_SHIFT = `
  window.layoutShift = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.layoutShift += entry.value;
  }).observe({ type: 'layout-shift', buffered: true });`;

describe('the pages on a phone in Chromium (390x844)', function () {
  this.timeout(30_000);
  const chrome = useChromium();
  const processes = new Processes();
  const url: Record<string, string> = {};
  let alice: Child;
  let phone: Page;

  /** Starts `script` on port 0 and keeps its address in `url[label]`. */
  async function listen(label: string, script: string): Promise<void> {
    const child = processes.start(label, script, ['--server-ip', '127.0.0.1', '--server-port', '0']);
    const line = await child.waitFor(/Listening on (IP )?127\.0\.0\.1( port |:)\d+$/, STARTUP_MS);
    url[label] = `http://127.0.0.1:${/\d+$/.exec(line)![0]}`;
  }

  before(async function () {
    this.timeout(4 * STARTUP_MS);
    await Promise.all([listen('tracker', 'apps/tracker.ts'), listen('sampleapp', 'apps/sampleapp.ts')]);
    const port = { Alice: await freePort(), Bob: await freePort() };
    url.Alice = `http://127.0.0.1:${port.Alice}/`;
    alice = processes.startPeer('Alice', url.tracker, port.Alice, ['--password-file', passwordFile('correct horse')]);
    const bob = processes.startPeer('Bob', url.tracker, port.Bob);
    await Promise.all([alice.waitFor(exact('[Alice] > '), STARTUP_MS), bob.waitFor(exact('[Bob] > '), STARTUP_MS)]);
    alice.type('/join #team');
    await alice.waitFor('[Channel] Created #team');
    for (let i = 1; i <= 3; i++) bob.type(`Good morning, message ${i} from Bob`);
    await alice.waitFor(/Good morning, message 3 from Bob$/);
  });
  after(() => processes.killAll());

  /** A page that measures its layout shift from the first paint of every page it opens. */
  async function newPage(options: BrowserContextOptions): Promise<Page> {
    const page = await (await chrome.newContext(options)).newPage();
    await page.addInitScript(MEASURE_SHIFT);
    return page;
  }

  /** The page's layout shift once it has settled: the entries of the frames painted so far have been delivered. */
  async function shiftOf(page: Page): Promise<number> {
    // An absence cannot be awaited: half a second more lets a late answer (a list filled, a font) show its shift.
    await page.waitForTimeout(500);
    const settled = 'new Promise((done) => requestAnimationFrame(() => setTimeout(() => done(window.layoutShift))))';
    return page.evaluate<number>(settled);
  }

  async function expectNoSidewaysScroll(page: Page): Promise<void> {
    expect(await page.evaluate<number>('document.documentElement.scrollWidth'), 'page width').to.be.at.most(390);
  }

  /** The chat, loaded and live: its log holds Bob's messages and its peer list is filled. */
  async function chatReady(page: Page): Promise<void> {
    await page.getByRole('log', { name: '#general conversation' }).getByText('message 3 from Bob').waitFor();
    await page.getByRole('status').getByText('Live').waitFor();
    await page.getByRole('button', { name: 'Message Bob' }).waitFor({ state: 'attached' });
  }

  it('shows the login page whole and still', async () => {
    phone = await newPage(PHONE);
    await phone.goto(url.Alice);
    await phone.getByLabel('Password').waitFor();
    await expectNoSidewaysScroll(phone);
    expect(await shiftOf(phone), 'layout shift of the login page').to.be.below(GOOD_SHIFT);
  });

  it('opens the chat with the conversation and the message box on the first screen, and nothing moving', async () => {
    await phone.getByLabel('Password').fill('correct horse');
    await phone.getByLabel('Password').press('Enter');
    await chatReady(phone);
    await expectNoSidewaysScroll(phone);
    const box = (await phone.getByRole('textbox', { name: 'Message', exact: true }).boundingBox())!;
    expect(box.y + box.height, 'bottom of the message box').to.be.at.most(844);
    const log = (await phone.getByRole('log', { name: '#general conversation' }).boundingBox())!;
    expect(log.height, 'height of the conversation').to.be.above(400);
    const logout = phone.getByRole('button', { name: 'Log out' });
    const out = (await logout.boundingBox())!;
    expect(out.x + out.width, 'right edge of Log out').to.be.at.most(390);
    await logout.click({ trial: true }); // visible, enabled, and nothing covers it
    expect(await phone.getByRole('navigation', { name: 'Channels' }).isVisible(), 'channels behind their button').to.equal(false);
    expect(await shiftOf(phone), 'layout shift of the chat page').to.be.below(GOOD_SHIFT);
    await phone.screenshot({ path: join(SHOTS, 'phone-chat.png') });
  });

  it('does not move on a reload either', async () => {
    await phone.reload();
    await chatReady(phone);
    expect(await shiftOf(phone), 'layout shift of the chat page, loaded again').to.be.below(GOOD_SHIFT);
  });

  it('opens the channels in a drawer, switches channel there, and closes it', async () => {
    const button = phone.getByRole('button', { name: 'Channels' });
    expect(await button.getAttribute('aria-expanded')).to.equal('false');
    await button.click();
    const nav = phone.getByRole('navigation', { name: 'Channels' });
    await nav.getByRole('link', { name: '#team', exact: true }).waitFor();
    expect(await button.getAttribute('aria-expanded')).to.equal('true');
    await expectNoSidewaysScroll(phone);
    await phone.screenshot({ path: join(SHOTS, 'phone-drawer.png') });
    await nav.getByRole('link', { name: '#team', exact: true }).click();
    await phone.getByRole('heading', { name: '#team', exact: true }).waitFor();
    await nav.waitFor({ state: 'hidden' });
    expect(await button.getAttribute('aria-expanded')).to.equal('false');
    await phone.getByRole('textbox', { name: 'Message', exact: true }).fill('from the phone');
    await phone.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await phone.getByRole('log', { name: '#team conversation' }).getByText('from the phone').waitFor();
    await alice.waitFor(/^\[Web\] Alice \(.*\) in #team: from the phone$/, 5_000);
  });

  it('closes the drawer with Escape, giving the focus back to its button, or with a tap beside it', async () => {
    const button = phone.getByRole('button', { name: 'Channels' });
    await button.click();
    await phone.getByRole('navigation', { name: 'Channels' }).waitFor();
    await phone.keyboard.press('Escape');
    await phone.getByRole('navigation', { name: 'Channels' }).waitFor({ state: 'hidden' });
    expect(await phone.evaluate('document.activeElement.id')).to.equal('channels-button');
    await button.click();
    await phone.getByRole('navigation', { name: 'Channels' }).waitFor();
    await phone.touchscreen.tap(370, 400); // on the dimmed page beside the drawer
    await phone.getByRole('navigation', { name: 'Channels' }).waitFor({ state: 'hidden' });
  });

  it('logs out from the phone', async () => {
    await phone.getByRole('button', { name: 'Log out' }).click();
    await phone.getByLabel('Password').waitFor();
    expect(new URL(phone.url()).pathname).to.equal('/login/');
  });

  it("shows the tracker's status page whole, with its Channels column, and still", async () => {
    const client = new HttpClient({ timeoutMs: 5_000 });
    const name = 'A'.repeat(64); // one word, as long as a name may be
    const res = await client.request(url.tracker + '/submit-info/', {
      method: 'POST',
      json: { ip: '127.0.0.1', port: 5009, peer_id: '127.0.0.1:5009', name },
    });
    client.close();
    expect(res.status, res.text()).to.equal(200);
    const page = await newPage(PHONE);
    await page.goto(url.tracker + '/');
    await page.getByRole('table', { name: 'Peers' }).getByRole('rowheader', { name: 'Bob', exact: true }).waitFor();
    await expectNoSidewaysScroll(page);
    const column = (await page.getByRole('columnheader', { name: 'Channels' }).boundingBox())!;
    expect(column.x + column.width, 'right edge of the Channels column').to.be.at.most(390);
    expect(await shiftOf(page), 'layout shift of the tracker page').to.be.below(GOOD_SHIFT);
    await page.screenshot({ path: join(SHOTS, 'phone-tracker.png') });
  });

  it("shows the sample app's pages whole and still: its 401, its login, and the page behind it", async () => {
    const page = await newPage(PHONE);
    const check = async (what: string) => {
      await expectNoSidewaysScroll(page);
      expect(await shiftOf(page), `layout shift of the sample app's ${what}`).to.be.below(GOOD_SHIFT);
    };
    await page.goto(url.sampleapp + '/');
    await check('401 page');
    await page.goto(url.sampleapp + '/login');
    await check('login page');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'You are logged in' }).waitFor();
    await check('index page');
  });

  it('keeps three columns at 1280x800: the channels beside the conversation, no drawer button, nothing moving', async () => {
    const page = await newPage(DESKTOP);
    await page.goto(url.Alice);
    await page.getByLabel('Password').fill('correct horse');
    await page.getByLabel('Password').press('Enter');
    await chatReady(page);
    const nav = (await page.getByRole('navigation', { name: 'Channels' }).boundingBox())!;
    const log = (await page.getByRole('log', { name: '#general conversation' }).boundingBox())!;
    expect(nav.x + nav.width, 'channels left of the conversation').to.be.at.most(log.x);
    expect(nav.y, 'channels beside the conversation').to.be.below(log.y + log.height);
    expect(await page.getByRole('button', { name: 'Channels' }).isVisible(), 'no drawer button').to.equal(false);
    expect(await shiftOf(page), 'layout shift of the chat page at 1280x800').to.be.below(GOOD_SHIFT);
  });
});
