/**
 * History on disk, run for real as processes: Bob is killed with SIGKILL while Alice sends him 100
 * messages, with the tracker stopped; restarted with the same `--data-dir`, he holds all 100, once each and
 * in the order sent: what he acknowledged from his file, the rest from Alice's outbox. End-to-end tests for
 * `apps/peer/storage/history.ts` and `apps/peer/delivery/delivery.ts` wired into `apps/peer.ts` (issue 7, items 4 to 6).
 */

import { expect } from 'chai';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

describe('history on disk (end to end)', function () {
  this.timeout(60_000);
  const processes = new Processes();
  afterEach(() => processes.killAll());

  async function startPeer(name: string, port: number, trackerUrl: string, folder: string): Promise<Child> {
    const args = ['--tracker', trackerUrl, '--port', String(port), '--name', name, '--data-dir', folder];
    const peer = processes.start(name, 'apps/peer.ts', args);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return peer;
  }

  it('a peer killed with SIGKILL while another sends it 100 messages holds all 100 after a restart, once and in order', async () => {
    const trackerPort = await freePort();
    const trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    const bobPort = await freePort();
    const bobFolder = dataDir('Bob');
    const bob = await startPeer('Bob', bobPort, trackerUrl, bobFolder);
    const alice = await startPeer('Alice', await freePort(), trackerUrl, dataDir('Alice'));
    await alice.waitForLines([exact(`[P2P] Connected to peer: Bob (127.0.0.1:${bobPort})`)]);
    await tracker.kill(); // peer to peer from here on: the tracker stays down to the end

    const total = 100;
    const from = alice.lines.length;
    // One at a time (lines typed at once would go in one request), then SIGKILL the moment Bob shows m20: it
    // shows a message before it answers, so its answer to m20 may or may not have left. The rest go meanwhile.
    for (let i = 1; i <= 20; i++) {
      alice.type(`m${i}`);
      await bob.waitFor(new RegExp(`\\): m${i}$`));
    }
    await bob.kill();
    for (let i = 21; i <= total; i++) alice.type(`m${i}`);
    const report = /^\[P2P\] (Broadcast sent to \d\/\d peers|No connected peers to send to)/;
    while (alice.since(from).filter((line) => report.test(line)).length < total) await alice.waitFor(report);
    const acknowledged = alice.since(from).filter((line) => line === '[P2P] Broadcast sent to 1/1 peers').length;
    expect(acknowledged).to.be.within(1, total - 1); // the kill came mid-stream

    const again = await startPeer('Bob', bobPort, trackerUrl, bobFolder);
    const waited = total - acknowledged;
    // Named once known; by id alone if the outbox got there before the peer list did.
    await alice.waitFor(
      new RegExp(`^\\[P2P\\] Delivered ${waited} waiting messages? to (Bob \\()?127\\.0\\.0\\.1:${bobPort}\\)?$`),
      30_000,
    );
    again.type('/history 1000');
    const title = await again.waitFor(/^History of #general \(\d+\):$/);
    const held = Number(/\((\d+)\)/.exec(title)![1]);
    const at = again.lines.indexOf(title);
    await again.indexOf(/\): m\d+$/, 10_000, at + held); // every line of the answer is out
    const lines = again.lines.slice(at + 1, at + 1 + held);
    // Each once: the one Bob stored but was killed before acknowledging came again and was dropped by its id.
    expect(lines.map((line) => /\): (m\d+)$/.exec(line)![1])).to.deep.equal(Array.from({ length: total }, (_, i) => `m${i + 1}`));
    for (const line of lines) expect(line).to.match(/^ {2}\[\d\d:\d\d\] Alice \(127\.0\.0\.1:\d+\): m\d+$/);
  });

  it('a peer that joins late catches up on #general from the peers it connects to', async () => {
    const trackerPort = await freePort();
    const trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    const alicePort = await freePort();
    const alice = await startPeer('Alice', alicePort, trackerUrl, dataDir('Alice'));
    const bob = await startPeer('Bob', await freePort(), trackerUrl, dataDir('Bob'));
    await alice.waitForLines([/^\[P2P\] Peer connected: Bob /]);
    for (const line of ['first', 'second']) alice.type(line);
    await bob.waitFor(/\): second$/);
    bob.type('third');
    await alice.waitFor(/\): third$/);

    const started = Date.now();
    const carol = await startPeer('Carol', await freePort(), trackerUrl, dataDir('Carol'));
    await carol.waitForLines([
      /^\[History\] Caught up on #general from (Alice|Bob) \(127\.0\.0\.1:\d+\): 3 new messages \(\/history #general\)$/,
    ]);
    const tookMs = Date.now() - started;
    carol.type('/history');
    await carol.waitFor(exact('History of #general (3):'));
    await carol.waitForLines([/\): first$/, /\): second$/, /\): third$/], 10_000, carol.cursor);
    expect(tookMs).to.be.below(STARTUP_MS);
  });
});
