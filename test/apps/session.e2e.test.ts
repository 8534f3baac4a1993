/**
 * One peer and its tracker coming and going, run for real as processes: the tracker down when the peer
 * starts, then up; the tracker restarted and `/discover` typed before any heartbeat (the document's Test
 * 10); a second peer advertising another address (`--ip`); the terminal closed under the peer (SIGHUP);
 * a bad flag.
 * End-to-end tests for `apps/peer.ts` with `apps/peer/session.ts` (`heartbeat_loop()` of WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { Child, exact, freePort, STARTUP_MS } from './child';

describe('a peer and its tracker coming and going (end to end)', function () {
  this.timeout(30_000);
  const children: Child[] = [];
  let trackerPort = 0;
  let peerPort = 0;
  let peer: Child;
  let tracker: Child;
  let eve: Child;
  let evePort = 0;

  function startTracker(label: string): Child {
    const child = Child.start(label, 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    children.push(child);
    return child;
  }

  before(async () => {
    trackerPort = await freePort();
    peerPort = await freePort();
  });
  after(async () => {
    await Promise.all(children.map((child) => child.kill()));
  });

  it('tracker down at start: says so once, keeps the console usable, registers once the tracker is up', async () => {
    peer = Child.start('Early', 'apps/peer.ts', ['--tracker', `http://127.0.0.1:${trackerPort}`, '--port', String(peerPort), '--name', 'Early']);
    children.push(peer);
    await peer.waitFor(exact(`[Tracker] Registration failed: Connection refused by 127.0.0.1:${trackerPort} - retrying every 2s (the console works meanwhile)`), STARTUP_MS);
    await peer.waitFor(exact('[Early] > '));
    peer.type('/peers');
    await peer.waitFor(exact('Connected peers (0)'));

    tracker = startTracker('tracker');
    await peer.waitFor(exact('[Tracker] Registration successful: OK'), STARTUP_MS);
    await peer.waitFor(exact('[Tracker] Found 1 peers'));
    await tracker.waitFor(exact(`[Tracker] Registered: 127.0.0.1:${peerPort} - Total: 1`));
  });

  it('Test 10: after a tracker restart, /discover registers again at once, before any heartbeat', async () => {
    await tracker.kill();
    tracker = startTracker('tracker2');
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    peer.type('/discover');
    await peer.waitFor(exact('Discovering peers...'));
    await peer.waitFor(exact('[Tracker] Re-registered with the tracker'));
    await peer.waitFor(exact('[Tracker] Found 1 peers'));
    await tracker.waitFor(exact(`[Tracker] Registered: 127.0.0.1:${peerPort} - Total: 1`));
  });

  it('--ip advertises another address: the tracker lists it, the other peer sends to it', async () => {
    evePort = await freePort();
    eve = Child.start('Eve', 'apps/peer.ts', ['--tracker', `http://127.0.0.1:${trackerPort}`, '--port', String(evePort), '--name', 'Eve', '--ip', 'localhost']);
    children.push(eve);
    await eve.waitFor(exact(`Listening on: localhost:${evePort}`), STARTUP_MS);
    await eve.waitFor(exact(`[P2P] Connected to peer: Early (127.0.0.1:${peerPort})`), STARTUP_MS);
    await tracker.waitFor(exact(`[Tracker] Registered: localhost:${evePort} - Total: 2`));
    await peer.waitFor(exact(`[P2P] Peer connected: Eve (localhost:${evePort})`));
    peer.type('/direct Eve sent to the advertised address');
    await eve.waitFor(exact(`[DIRECT] Early (127.0.0.1:${peerPort}): sent to the advertised address`));
  });

  it('SIGHUP (the terminal closed, tmux kill-session) leaves like /quit', async () => {
    peer.signal('SIGHUP');
    expect(await peer.waitForExit()).to.equal(0);
    await tracker.waitFor(exact(`[Tracker] Unregistered: 127.0.0.1:${peerPort} - Total: 1`));
    await eve.waitFor(exact(`[P2P] Peer disconnected: Early (127.0.0.1:${peerPort})`));
  });

  it('SIGINT (Ctrl+C from the shell) leaves like /quit', async () => {
    eve.signal('SIGINT');
    await eve.waitFor(exact('[Tracker] Unregister successful: OK'));
    expect(await eve.waitForExit()).to.equal(0);
    await tracker.waitFor(exact(`[Tracker] Unregistered: localhost:${evePort} - Total: 0`));
  });

  it('answers a bad flag with the usage and exit code 2', async () => {
    const bad = Child.start('bad', 'apps/peer.ts', ['--port', 'abc']);
    children.push(bad);
    await bad.waitFor(exact('--port must be a port number from 1 to 65535, not "abc"'), STARTUP_MS);
    await bad.waitFor(/^Usage: ts-node apps\/peer\.ts /);
    expect(await bad.waitForExit()).to.equal(2);
  });
});
