/**
 * A private channel's history stays readable to its members: after a restart, after leaving and joining again
 * with the same key, to a member who joins late (catch-up), and in a channel created by curl with its key.
 * End-to-end test for `apps/peer/identity/channel-keys.ts` and `network/catch-up.ts` through `apps/peer.ts`.
 */

import { HttpClient } from '../../daemon/client';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

const KEY = 'correct-horse-battery-staple';

describe('a private channel read again (real tracker and peers)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  const folders: Record<string, string> = {};
  const ports: Record<string, number> = {};
  const id = (name: string) => `127.0.0.1:${ports[name]}`;
  let trackerPort: number;
  const peers: Record<string, Child> = {};

  async function startPeer(name: string): Promise<Child> {
    ports[name] ??= await freePort();
    folders[name] ??= dataDir(name);
    const peer = processes.startPeer(name, `http://127.0.0.1:${trackerPort}`, ports[name], ['--data-dir', folders[name]]);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    peers[name] = peer;
    return peer;
  }

  before(async function () {
    trackerPort = await freePort();
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    const alice = await startPeer('Alice');
    const bob = await startPeer('Bob');
    alice.type(`/join #vault ${KEY}`);
    await alice.waitFor(/^\[Channel\] Created #vault/);
    bob.type(`/join #vault ${KEY}`);
    await bob.waitFor(/^\[Channel\] (Joined|Already in) #vault/);
    alice.type('first words in the vault');
    await bob.waitFor(exact(`[#vault] Alice (${id('Alice')}): first words in the vault`));
  });
  after(async () => {
    client.close();
    await processes.killAll();
  });

  it('Bob, restarted and joined again with the same key, reads #vault and gets its next message', async () => {
    await peers.Bob.kill();
    const bob = await startPeer('Bob');
    bob.type(`/join #vault ${KEY}`);
    await bob.waitFor(/^\[Channel\] (Joined|Already in) #vault/);
    bob.type('/history #vault');
    await bob.waitFor(/first words in the vault/, 10_000);
    peers.Alice.type('/switch #vault');
    peers.Alice.type('after the restart');
    await bob.waitFor(exact(`[#vault] Alice (${id('Alice')}): after the restart`), 15_000);
  });

  it('Carol, joining late with the key, catches up and reads what was said', async () => {
    const carol = await startPeer('Carol');
    carol.type(`/join #vault ${KEY}`);
    await carol.waitFor(/^\[Channel\] Joined #vault/);
    await carol.waitFor(/^\[History\] Caught up on #vault from /, 15_000);
    carol.type('/history #vault');
    await carol.waitFor(/first words in the vault/, 15_000);
  });

  it('a channel created by curl with its key is joined by a peer proving the same key', async () => {
    const base = `http://127.0.0.1:${trackerPort}`;
    const curl = { peer_id: '127.0.0.1:9', ip: '127.0.0.1', port: 9, name: 'TestPeer' };
    await client.request(`${base}/submit-info/`, { method: 'POST', json: curl });
    const made = await client.request(`${base}/add-list/`, {
      method: 'POST',
      json: { peer_id: curl.peer_id, channel: 'curlvault', key: KEY },
    });
    if (made.status !== 200) throw new Error(`curl could not create #curlvault: ${made.status} ${made.text()}`);
    peers.Alice.type(`/join #curlvault ${KEY}`);
    await peers.Alice.waitFor(/^\[Channel\] Joined #curlvault/);
  });
});
