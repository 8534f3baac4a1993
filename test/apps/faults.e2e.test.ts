/**
 * Faults against real processes: a tracker restart while one peer is cut from the tracker (not from the other
 * peers). Members are not forgotten because a tracker does not know them yet, a peer claims its channels the
 * moment it registers again, and "not a member yet" is retried, not final. docs/history.md, "What is never lost".
 */

import { expect } from 'chai';
import { HttpClient } from '../../daemon/client';
import { type Child, exact, freePort, Processes, STARTUP_MS } from './child';
import { Link } from './link';

describe('a tracker restart while a peer is cut from the tracker (e2e)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  let trackerPort = 0;
  let link: Link;
  const ids: Record<string, string> = {};

  async function startTracker(): Promise<Child> {
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    return tracker;
  }

  async function startPeer(name: string, viaPort = trackerPort): Promise<Child> {
    const port = await freePort();
    ids[name] = `127.0.0.1:${port}`;
    const peer = processes.startPeer(name, `http://127.0.0.1:${viaPort}`, port, ['--heartbeat', '1']);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return peer;
  }

  before(async () => {
    trackerPort = await freePort();
    link = await Link.open(trackerPort);
  });
  after(async () => {
    client.close();
    await link.close();
    await processes.killAll();
  });

  it('keeps sending to the members a restarted tracker has not heard from yet, and retries "not a member yet"', async () => {
    let tracker = await startTracker();
    const alice = await startPeer('Alice');
    const bob = await startPeer('Bob');
    const carol = await startPeer('Carol', link.port); // Carol reaches the tracker through a link the test cuts
    for (const [peer, count] of [
      [alice, 1],
      [bob, 2],
      [carol, 3],
    ] as const) {
      peer.type('/join #team');
      await peer.waitFor(`you are in #team (${count} member${count === 1 ? '' : 's'})`);
    }
    alice.type('before the restart'); // Alice learns the members; Bob never asks about Carol
    await carol.waitFor(exact(`[#team] Alice (${ids.Alice}): before the restart`));
    await bob.waitFor(exact(`[#team] Alice (${ids.Alice}): before the restart`));

    link.cut();
    await tracker.kill();
    tracker = await startTracker();
    await alice.waitFor(exact('[Tracker] Re-registered with the tracker'), 10_000);
    await bob.waitFor(exact('[Tracker] Re-registered with the tracker'), 10_000);
    // Claimed with the registration, not a heartbeat later.
    const listed = (await client.request(`http://127.0.0.1:${trackerPort}/get-list/?channel=team`)).json<{
      peers: Array<{ peer_id: string }>;
    }>();
    expect(listed.peers.map((p) => p.peer_id)).to.include.members([ids.Alice, ids.Bob]);

    // The tracker lists Alice and Bob only: Alice still sends to Carol, whom she remembers.
    alice.type('alice in the gap');
    await carol.waitFor(exact(`[#team] Alice (${ids.Alice}): alice in the gap`), 10_000);

    // Cut from the tracker, Carol sends to the members she remembers; once back, she is in #team again at once.
    carol.type('carol in the gap');
    await alice.waitFor(exact(`[#team] Carol (${ids.Carol}): carol in the gap`), 10_000);
    await bob.waitFor(exact(`[#team] Carol (${ids.Carol}): carol in the gap`), 10_000);
    expect(carol.lines).not.to.include('[P2P] Nobody else is in #team yet');
    link.heal();
    await carol.waitFor(exact('[Tracker] Re-registered with the tracker'), 10_000);
    const after = (await client.request(`http://127.0.0.1:${trackerPort}/get-list/?channel=team`)).json<{
      peers: Array<{ peer_id: string }>;
    }>();
    expect(after.peers.map((p) => p.peer_id)).to.include(ids.Carol);
  });
});
