/**
 * Faults against real processes: a tracker restart while one peer is cut from the tracker (not from the other
 * peers). Members are not forgotten because a tracker does not know them yet, a peer claims its channels the
 * moment it registers again, and "not a member yet" is retried, not final. docs/history.md, "What is never lost".
 */

import { expect } from 'chai';
import { HttpClient } from '../../daemon/client';
import { type Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';
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

describe('catch-up when two peers meet (e2e)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  after(() => processes.killAll());

  it('runs on both sides, each asking from what it last read of the other, not from its own clock', async () => {
    const trackerPort = await freePort();
    const trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    const [davePort, erinPort, daveDir] = [await freePort(), await freePort(), dataDir('Dave')];
    // Dave says 120 things alone, so his clock runs far ahead of Erin's; he leaves before she comes.
    let dave = processes.startPeer('Dave', trackerUrl, davePort, ['--data-dir', daveDir]);
    await dave.waitFor(exact('[Dave] > '), STARTUP_MS);
    for (let n = 1; n <= 120; n++) dave.type(`dave ${n}`);
    dave.type('/quit');
    await dave.waitForExit(30_000);
    const erin = processes.startPeer('Erin', trackerUrl, erinPort);
    await erin.waitFor(exact('[Erin] > '), STARTUP_MS);
    for (const n of [1, 2, 3]) erin.type(`erin ${n}`); // clocks 1 to 3, far below Dave's
    for (let sent = 0; sent < 3; sent++) await erin.waitFor('[P2P] No connected peers to send to');
    // Dave comes back and connects to Erin: he asks her from what he read of her (nothing), not from his clock
    // less 100; she, the side that was called, asks him too.
    dave = processes.startPeer('Dave', trackerUrl, davePort, ['--data-dir', daveDir]);
    await dave.waitFor(`[History] Caught up on #general from Erin (127.0.0.1:${erinPort}): 3 new messages`, STARTUP_MS);
    await erin.waitFor(`[History] Caught up on #general from Dave (127.0.0.1:${davePort}): 120 new messages`, 20_000);
  });
});

describe('a peer killed and started again on its data folder (e2e)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  after(() => processes.killAll());
  const KEY = 'correct-horse-battery-staple';

  it('is back in its public and private channels, claims them at once, and gets the next message in each', async () => {
    const trackerPort = await freePort();
    const trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    const [alicePort, bobPort, bobDir] = [await freePort(), await freePort(), dataDir('Bob')];
    const alice = processes.startPeer('Alice', trackerUrl, alicePort, ['--heartbeat', '1']);
    await alice.waitFor(exact('[Alice] > '), STARTUP_MS);
    let bob = processes.startPeer('Bob', trackerUrl, bobPort, ['--heartbeat', '1', '--data-dir', bobDir]);
    await bob.waitFor(exact('[Bob] > '), STARTUP_MS);
    for (const peer of [alice, bob]) {
      peer.type('/join #team');
      await peer.waitFor('you are in #team');
      peer.type(`/join #secret ${KEY}`);
      await peer.waitFor('you are in #secret');
    }
    alice.type('before the crash'); // in #secret, where /join left her
    await bob.waitFor(exact(`[#secret] Alice (127.0.0.1:${alicePort}): before the crash`));

    await bob.kill(); // SIGKILL: nothing is written on the way out
    bob = processes.startPeer('Bob', trackerUrl, bobPort, ['--heartbeat', '1', '--data-dir', bobDir]);
    await bob.waitFor(exact('[Bob] > '), STARTUP_MS);
    bob.type('/channels');
    await bob.waitForLines(['Channels (3):', '  * #general', '    #secret (private)', '    #team'], 5_000, bob.cursor);
    const client = new HttpClient({ timeoutMs: 5_000 });
    for (const channel of ['team', 'secret']) {
      const listed = (await client.request(`${trackerUrl}/get-list/?channel=${channel}`)).json<{ peers: Array<{ peer_id: string }> }>();
      expect(listed.peers.map((p) => p.peer_id)).to.include(`127.0.0.1:${bobPort}`);
    }
    client.close();

    alice.type('after the crash');
    await bob.waitFor(exact(`[#secret] Alice (127.0.0.1:${alicePort}): after the crash`), 15_000);
    alice.type('/switch #team');
    alice.type('team after the crash');
    await bob.waitFor(exact(`[#team] Alice (127.0.0.1:${alicePort}): team after the crash`), 15_000);
  });
});
