/**
 * A private channel taken over at the tracker, against real processes: Alice and Bob in #secret with a key,
 * the tracker restarted without its data folder (lost, or another tracker that never knew the name), Mallory
 * (raw HTTP from 127.0.0.2, scripts/attacks/mallory.ts) creates `secret` as a public channel first. Alice's next message reaches Bob and not Mallory, Mallory's signed history query is
 * refused, and Alice's console says the tracker refused #secret. docs/security/private.md.
 */

import { expect } from 'chai';
import { HttpClient } from '../../daemon/client';
import { Mallory } from '../../scripts/attacks/mallory';
import { type Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

describe('a private channel taken over at the tracker (e2e)', function () {
  this.timeout(90_000);
  const processes = new Processes();
  const mallory = new Mallory('127.0.0.2');
  const client = new HttpClient({ timeoutMs: 5_000 });
  let trackerUrl: string;
  let trackerPort: number;

  /** A tracker on `trackerPort` with a data folder of its own: a restarted one forgot which names were private. */
  async function startTracker(label: string): Promise<Child> {
    const args = ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort), '--data-dir', dataDir(label)];
    const tracker = processes.start('tracker', 'apps/tracker.ts', args);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    return tracker;
  }

  async function startPeer(name: string): Promise<{ child: Child; url: string }> {
    const port = await freePort();
    // Heartbeats 4 s apart: a peer claims its channels the moment it registers again, so Mallory needs that
    // long a window after the restart to take #secret first, as the attack supposes.
    const child = processes.startPeer(name, trackerUrl, port, ['--heartbeat', '4']);
    await child.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return { child, url: `http://127.0.0.1:${port}` };
  }

  before(async () => {
    trackerPort = await freePort();
    trackerUrl = `http://127.0.0.1:${trackerPort}`;
    await mallory.listen();
  });
  after(async () => {
    client.close();
    await mallory.close();
    await processes.killAll();
  });

  it("keeps Alice's #secret between the peers that hold its key", async () => {
    let tracker = await startTracker('tracker-first');
    const alice = await startPeer('Alice');
    const bob = await startPeer('Bob');
    alice.child.type('/join #secret hunter2');
    await alice.child.waitFor('you are in #secret');
    bob.child.type('/join #secret hunter2');
    await bob.child.waitFor('you are in #secret');
    alice.child.type('said before the restart');
    await bob.child.waitFor('said before the restart');

    // The tracker keeps a private name to its key across restarts (docs/security.md, attack 1); this one lost
    // its data folder, so only the peers stand between Mallory and #secret.
    await tracker.kill();
    tracker = await startTracker('tracker-without-its-folder');
    const took = await mallory.takeChannel(trackerUrl, 'secret', 20_000);
    expect(took.body.message, JSON.stringify(took.body)).to.equal('Created #secret');
    expect((await mallory.connect(alice.url)).status).to.equal(200);

    // The members' heartbeats are refused; Alice says so, and keeps #secret to the peers that proved its key.
    await alice.child.waitFor(/^\[Tracker\] The tracker refused #secret \(409\): .* go only to peers that prove its key$/, 20_000);
    const members = (await client.request(`${trackerUrl}/get-list/?channel=secret`)).json<{ peers: Array<{ peer_id: string }> }>();
    expect(members.peers.map((p) => p.peer_id)).to.deep.equal([mallory.id]); // the tracker names Mallory alone

    const asked = Date.now();
    alice.child.type('said after the takeover');
    await bob.child.waitFor('said after the takeover', 10_000);
    expect(Date.now() - asked).to.be.below(5_000);
    const history = await mallory.history(alice.url, 'secret');
    expect(history.status, JSON.stringify(history.body)).to.equal(409);
    expect(history.body.messages).to.equal(undefined);
    expect(mallory.received.filter((line) => line.startsWith('secret:'))).to.deep.equal([]);
  });
});
