/**
 * One peer and its tracker coming and going, run for real as processes: the tracker down when the peer
 * starts, then up; the tracker restarted and `/discover` typed before any heartbeat (the document's Test
 * 10); a peer advertising another address (`--ip`); a name with spaces; the terminal closed under the peer
 * (SIGHUP); Ctrl+C from the shell; a bad flag. Each `it` starts the processes it needs and the `afterEach`
 * kills them, so any one runs alone (`npx mocha test/apps/session.e2e.test.ts --grep SIGHUP`).
 * End-to-end tests for `apps/peer.ts` with `apps/peer/network/session.ts` (`heartbeat_loop()` of WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { Child, exact, freePort, Processes, STARTUP_MS } from './child';

describe('a peer and its tracker coming and going (end to end)', function () {
  this.timeout(30_000);
  const processes = new Processes();
  let trackerPort = 0;
  let trackerUrl = '';

  beforeEach(async () => {
    trackerPort = await freePort();
    trackerUrl = `http://127.0.0.1:${trackerPort}`;
  });
  afterEach(() => processes.killAll());

  async function startTracker(label = 'tracker'): Promise<Child> {
    const tracker = processes.start(label, 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    return tracker;
  }

  /** Starts a peer on a free port; `ready` waits for its prompt (registered and connected by then). */
  async function startPeer(name: string, extra: string[] = [], ready = true): Promise<{ peer: Child; port: number }> {
    const port = await freePort();
    const peer = processes.start(name, 'apps/peer.ts', ['--tracker', trackerUrl, '--port', String(port), '--name', name, ...extra]);
    if (ready) await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return { peer, port };
  }

  it('tracker down at start: says so once, keeps the console usable, registers once the tracker is up', async () => {
    const { peer, port } = await startPeer('Early', [], false);
    await peer.waitFor(
      exact(
        `[Tracker] Registration failed: Connection refused by 127.0.0.1:${trackerPort} - retrying every 2s (the console works meanwhile)`,
      ),
      STARTUP_MS,
    );
    await peer.waitFor(exact('[Early] > '));
    peer.type('/peers');
    await peer.waitFor(exact('Connected peers (0)'));

    const tracker = await startTracker();
    await peer.waitFor(exact('[Tracker] Registration successful: OK'), STARTUP_MS);
    await peer.waitFor(exact('[Tracker] Found 1 peers'));
    await tracker.waitFor(exact(`[Tracker] Registered: 127.0.0.1:${port} - Total: 1`));
  });

  it('Test 10: after a tracker restart, /discover registers again at once, before any heartbeat', async () => {
    const first = await startTracker();
    const { peer, port } = await startPeer('Early');
    await first.kill();
    const tracker = await startTracker('tracker2');
    const mark = peer.lines.length;
    peer.type('/discover');
    await peer.waitForLines(
      [
        'Discovering peers...',
        '[Tracker] The tracker does not know this peer any more (it restarted or the TTL ran out)',
        '[Tracker] Re-registered with the tracker',
        '[Tracker] Found 1 peers',
        '[P2P] No new peers to connect to',
      ].map(exact),
      10_000,
      mark,
    );
    await tracker.waitFor(exact(`[Tracker] Registered: 127.0.0.1:${port} - Total: 1`));
  });

  it('--ip advertises another address: the tracker lists it, the other peer sends to it', async () => {
    const tracker = await startTracker();
    const { peer: early, port: earlyPort } = await startPeer('Early');
    const { peer: eve, port: evePort } = await startPeer('Eve', ['--ip', 'localhost']);
    await eve.waitForLines([exact(`Listening on: localhost:${evePort}`), exact(`[P2P] Connected to peer: Early (127.0.0.1:${earlyPort})`)]);
    await tracker.waitFor(exact(`[Tracker] Registered: localhost:${evePort} - Total: 2`));
    await early.waitFor(exact(`[P2P] Peer connected: Eve (localhost:${evePort})`));
    early.type('/direct Eve sent to the advertised address');
    await eve.waitFor(exact(`[DIRECT] Early (127.0.0.1:${earlyPort}): sent to the advertised address`));
  });

  it('a name with spaces (quoted on the command line) is shown whole and reached by /direct, quoted or not', async () => {
    await startTracker();
    const { peer: an, port: anPort } = await startPeer('Nguyễn Văn An');
    const { peer: bich, port: bichPort } = await startPeer('Bích');
    await bich.waitForLines([exact(`[P2P] Connected to peer: Nguyễn Văn An (127.0.0.1:${anPort})`)]);
    await an.waitFor(exact(`[P2P] Peer connected: Bích (127.0.0.1:${bichPort})`));
    bich.type('/direct Nguyễn Văn An xin chào anh');
    await bich.waitFor(exact(`[P2P] Direct message sent to 127.0.0.1:${anPort}`));
    await an.waitFor(exact(`[DIRECT] Bích (127.0.0.1:${bichPort}): xin chào anh`));
    bich.type('/direct "nguyễn văn an" quoted too');
    await an.waitFor(exact(`[DIRECT] Bích (127.0.0.1:${bichPort}): quoted too`));
    an.type('a broadcast');
    await bich.waitFor(exact(`[BROADCAST] Nguyễn Văn An (127.0.0.1:${anPort}): a broadcast`));
  });

  it('SIGHUP (the terminal closed, tmux kill-session) leaves like /quit', async () => {
    const tracker = await startTracker();
    const { peer: early, port: earlyPort } = await startPeer('Early');
    const { peer: eve } = await startPeer('Eve');
    early.signal('SIGHUP');
    expect(await early.waitForExit()).to.equal(0);
    await tracker.waitFor(exact(`[Tracker] Unregistered: 127.0.0.1:${earlyPort} - Total: 1`));
    await eve.waitFor(exact(`[P2P] Peer disconnected: Early (127.0.0.1:${earlyPort})`));
  });

  it('SIGINT (Ctrl+C from the shell) leaves like /quit', async () => {
    const tracker = await startTracker();
    const { peer: eve, port: evePort } = await startPeer('Eve');
    eve.signal('SIGINT');
    await eve.waitFor(exact('[Tracker] Unregister successful: OK'));
    expect(await eve.waitForExit()).to.equal(0);
    await tracker.waitFor(exact(`[Tracker] Unregistered: 127.0.0.1:${evePort} - Total: 0`));
  });

  it('answers a bad flag with the usage and exit code 2', async () => {
    const bad = processes.start('bad', 'apps/peer.ts', ['--port', 'abc']);
    await bad.waitFor(exact('--port must be a port number from 1 to 65535, not "abc"'), STARTUP_MS);
    await bad.waitFor(/^Usage: ts-node apps\/peer\.ts /);
    expect(await bad.waitForExit()).to.equal(2);
  });
});
