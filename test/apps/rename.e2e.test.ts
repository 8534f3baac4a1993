/**
 * A peer restarted on its port under a new name keeps chatting: the key belongs to the id (`ip:port`), so the
 * folder is the id's (`defaultDataDir`), the others take the same key and show the new name. With real
 * processes. Tests for `apps/peer/options.ts: defaultDataDir` through `apps/peer.ts` (new).
 */

import { expect } from 'chai';
import { join } from 'node:path';
import { defaultDataDir } from '../../apps/peer/options';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

describe('a peer renamed on the same port (real tracker and peers)', function () {
  this.timeout(90_000);
  const processes = new Processes();
  let bobPort: number;
  let alicePort: number;
  let trackerUrl: string;
  let bob: Child;

  before(async function () {
    this.timeout(120_000);
    const trackerPort = await freePort();
    trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 0.0.0.0 port ${trackerPort}`), STARTUP_MS);
    [bobPort, alicePort] = [await freePort(), await freePort()];
    bob = processes.startPeer('Bob', trackerUrl, bobPort);
    await bob.waitFor(exact('[Bob] > '), STARTUP_MS);
  });
  after(() => processes.killAll());

  it('Alice, restarted as Alicia, is the same peer to Bob: same key, new name, messages verified', async () => {
    // The default folder is the id's, whatever the name; here it sits in the test's scratch folder.
    expect(defaultDataDir('127.0.0.1', alicePort, 'Alicia')).to.equal(defaultDataDir('127.0.0.1', alicePort, 'Alice'));
    const folder = join(dataDir('alice'), defaultDataDir('127.0.0.1', alicePort, 'Alice'));
    const alice = processes.startPeer('Alice', trackerUrl, alicePort, ['--data-dir', folder]);
    await alice.waitFor(exact('[Alice] > '), STARTUP_MS);
    await bob.waitFor(exact(`[P2P] Peer connected: Alice (127.0.0.1:${alicePort})`));
    alice.type('/quit');
    await alice.waitFor(/^\[P2P\] Goodbye|Bye/i).catch(() => undefined);
    await alice.kill();
    const alicia = processes.startPeer('Alicia', trackerUrl, alicePort, ['--data-dir', folder]);
    await alicia.waitFor(exact('[Alicia] > '), STARTUP_MS);
    await bob.waitFor(exact(`[P2P] Peer connected: Alicia (127.0.0.1:${alicePort})`));
    alicia.type('still me');
    await bob.waitFor(exact(`[BROADCAST] Alicia (127.0.0.1:${alicePort}): still me`));
    expect(bob.lines.join('\n')).not.to.match(/offered a different key/);
  });
});
