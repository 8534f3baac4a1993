/**
 * The peer console on a real terminal of 80 and of 40 columns (tmux, as the demo's panes): the peer's own lines
 * are never cut or marked, the login link comes whole on a line of its own, /help fits without a word broken,
 * and only another peer's long message is cut into rows marked `↳`. Skipped where tmux is not installed.
 * End-to-end test for `apps/peer/console/terminal.ts` and `lines.ts`.
 */

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { HttpClient } from '../../daemon/client';
import { CONTINUATION } from '../../apps/peer/console/terminal';
import { dataDir, freePort } from './child';

const ROOT = resolve(__dirname, '../..');
/** A tmux server of this test's own, so it never touches the user's sessions. */
const SOCKET = `weaprous-width-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The pane's rows, scrolled-off ones too (`joined`: each wrapped line put back together, as `capture-pane -J`). */
const capture = (session: string, joined = false) =>
  tmux('capture-pane', '-p', '-S', '-', ...(joined ? ['-J'] : []), '-t', session).split('\n');

async function waitForPane(session: string, pattern: RegExp, ms = 30_000): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const rows = capture(session, true);
    if (rows.some((row) => pattern.test(row))) return rows;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${pattern} in:\n${rows.join('\n')}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

for (const columns of [80, 40]) {
  describe(`the peer console on a terminal ${columns} columns wide (tmux)`, function () {
    this.timeout(60_000);
    const session = `alice${columns}`;
    const client = new HttpClient({ timeoutMs: 5_000 });
    let port = 0;
    before(async function () {
      if (!hasTmux()) return this.skip();
      port = await freePort();
      const tracker = `http://127.0.0.1:${await freePort()}`; // nobody there: the console works meanwhile
      const peer = [process.execPath, '-r', 'ts-node/register/transpile-only', 'apps/peer.ts'];
      const args = ['--port', String(port), '--name', 'Alice', '--tracker', tracker, '--data-dir', dataDir(session)];
      tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', '24', '-c', ROOT, [...peer, ...args].join(' '));
      await waitForPane(session, /^\[Alice\] > /);
    });
    after(() => {
      client.close();
      if (hasTmux()) execFileSync('tmux', ['-L', SOCKET, 'kill-session', '-t', session], { stdio: 'ignore' });
    });

    it('prints the login link whole, on a line of its own, and marks none of its own lines', () => {
      const joined = capture(session, true);
      const link = joined.find((row) => row.startsWith('http://'));
      expect(link).to.match(new RegExp(`^http://127\\.0\\.0\\.1:${port}/login/\\?token=[A-Za-z0-9_-]{43}$`));
      expect(joined.join('\n')).not.to.include(CONTINUATION.trim());
      const rule = capture(session).find((row) => row.startsWith('='));
      expect(rule).to.equal('='.repeat(Math.min(60, columns - 1)));
    });

    it('fits /help to the screen, no word broken', async () => {
      tmux('send-keys', '-t', session, '/help', 'Enter');
      const joined = await waitForPane(session, /Broadcast text that starts with/);
      const help = joined.slice(joined.indexOf('Commands:'));
      expect(help.length).to.be.above(10);
      for (const row of help) expect(row.length, row).to.be.below(columns);
    });

    it("cuts another peer's long message into rows marked with ↳", async () => {
      const base = `http://127.0.0.1:${port}`;
      const from = '127.0.0.1:9001';
      await client.request(`${base}/connect-peer/`, {
        method: 'POST',
        json: { ip: '127.0.0.1', port: 9001, peer_id: from, name: 'TestPeer' },
      });
      const msg = `${'word '.repeat(30)}end-of-message`;
      await client.request(`${base}/broadcast-peer/`, {
        method: 'POST',
        json: { from, name: 'TestPeer', msg, timestamp: Date.now() / 1000 },
      });
      const rows = await waitForPane(session, /end-of-message/);
      const first = rows.findIndex((row) => row.startsWith('[BROADCAST] TestPeer'));
      const last = rows.findIndex((row) => row.includes('end-of-message'));
      expect(last).to.be.above(first);
      for (const row of rows.slice(first + 1, last + 1)) expect(row.startsWith(CONTINUATION)).to.equal(true);
    });
  });
}
