/**
 * A server started on a port that is already taken says so in a sentence and exits non-zero, so a script, a
 * terminal's `$?` and a supervisor all see that it did not start: two trackers on one port, two copies of the
 * README's `notes.ts`, and the peer, the sample app, the backend and the proxy on a port a test holds.
 */

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, Processes, STARTUP_MS } from './child';

const ROOT = resolve(__dirname, '../..');

/** The README's "A twenty-line app", with its imports pointing into the repository and its port replaced. */
function notesApp(port: number): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A twenty-line app'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
  return code.replace(/'\.\/daemon\//g, `'${ROOT}/daemon/`).replace(/3000/g, String(port));
}

describe('a second server on a taken port', function () {
  this.timeout(4 * STARTUP_MS);
  const processes = new Processes();
  let folder = '';
  let holder: Server | undefined;
  before(() => (folder = mkdtempSync(join(tmpdir(), 'port-taken-'))));
  afterEach(async () => {
    await processes.killAll();
    await new Promise<void>((done) => (holder ? holder.close(() => done()) : done()));
    holder = undefined;
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  /** Starts `script` twice on one port: the first listens, the second must say the port is taken and exit 1. */
  async function twice(script: string, args: (port: number) => string[], listening: RegExp, taken: RegExp): Promise<void> {
    const port = await freePort();
    const first = processes.start('first', script, args(port));
    await first.waitFor(listening, STARTUP_MS);
    const second = processes.start('second', script, args(port));
    expect(await second.waitForExit(STARTUP_MS)).to.equal(1);
    expect(second.output()).to.match(taken);
    expect(first.exitCode).to.equal(undefined);
  }

  it('a second tracker says the port is in use and exits 1; the first goes on', async () => {
    await twice('apps/tracker.ts', (port) => ['--server-ip', '127.0.0.1', '--server-port', String(port)], /Listening/, /already in use/);
  });

  it("a second copy of the README's notes.ts says the port is taken and exits 1, not 0", async () => {
    const file = join(folder, 'notes.ts');
    const port = await freePort();
    writeFileSync(file, notesApp(port));
    await twice(file, () => [], /Listening on http/, /Cannot listen on port \d+ \(EADDRINUSE\)/);
  });

  const others: Array<[string, (port: number) => string[]]> = [
    ['apps/peer.ts', (port) => ['--port', String(port), '--tracker', 'http://127.0.0.1:9']],
    ['apps/sampleapp.ts', (port) => ['--server-ip', '127.0.0.1', '--server-port', String(port)]],
    ['start_backend.ts', (port) => ['--server-ip', '127.0.0.1', '--server-port', String(port)]],
    ['start_proxy.ts', (port) => ['--server-ip', '127.0.0.1', '--server-port', String(port)]],
  ];
  for (const [script, args] of others) {
    it(`${script} on a port another program holds says it is in use and exits 1`, async () => {
      const port = await freePort();
      holder = createServer();
      await new Promise<void>((done) => holder!.listen(port, '127.0.0.1', done));
      const child = processes.start(script, script, args(port));
      expect(await child.waitForExit(STARTUP_MS)).to.equal(1);
      expect(child.output()).to.match(/already in use/);
    });
  }
});
