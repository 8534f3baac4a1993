/**
 * The reference document's test procedure, run for real: a tracker and three peers (Alice, Bob, Jack) as
 * separate processes, their consoles driven through standard input, each expected line awaited with a
 * timeout. Covers Tests 1-9, the fix for Test 10's gap (re-registration without /discover), the curl
 * section sent as it is byte for byte, and leaving by /quit, Ctrl+D and SIGTERM. The tracker's own
 * comings and goings around one peer are in `session.e2e.test.ts`.
 * End-to-end tests for `apps/tracker.ts` and `apps/peer.ts` (WeApRous `apps/sampleApp.py`, `apps/peer.py`).
 */

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { HttpClient } from '../../daemon/client';
import { Child, exact, freePort, STARTUP_MS } from './child';

/** Runs curl as the document writes it (without the proxy the shell may have set); resolves with the body. */
function curl(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    execFile('curl', ['--noproxy', '*', '-s', '--max-time', '5', ...args], (error, stdout) => (error ? fail(error) : done(stdout)));
  });
}

describe('hybrid chat end to end (real tracker and peers)', function () {
  this.timeout(30_000);
  const children: Child[] = [];
  const client = new HttpClient({ timeoutMs: 5_000 });
  let trackerPort = 0;
  let trackerUrl = '';
  const port: Record<string, number> = {};
  const id = (name: string) => `127.0.0.1:${port[name]}`;
  let tracker: Child;
  let alice: Child;
  let bob: Child;
  let jack: Child;

  function startTracker(): Child {
    const child = Child.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    children.push(child);
    return child;
  }

  function startPeer(name: string): Child {
    const args = ['--tracker', trackerUrl, '--port', String(port[name]), '--name', name, '--heartbeat', '1'];
    const child = Child.start(name, 'apps/peer.ts', args);
    children.push(child);
    return child;
  }

  async function listedIds(): Promise<string[]> {
    const res = await client.request(`${trackerUrl}/get-list/`);
    return res.json<{ peers: Array<{ peer_id: string }> }>().peers.map((peer) => peer.peer_id).sort();
  }

  /** Types /peers and returns the block it printed, from "Connected peers (n)" to the blank line. */
  async function peersOf(peer: Child): Promise<string[]> {
    const mark = peer.lines.length;
    peer.type('/peers');
    await peer.waitFor(/^Connected peers \(\d+\)$/, 10_000, mark);
    await peer.waitFor(exact(''), 10_000, mark + 1);
    const block = peer.since(mark);
    const start = block.findIndex((line) => line.startsWith('Connected peers'));
    return block.slice(start, block.indexOf('', start));
  }

  before(async () => {
    trackerPort = await freePort();
    trackerUrl = `http://127.0.0.1:${trackerPort}`;
    for (const name of ['Alice', 'Bob', 'Jack']) port[name] = await freePort();
  });

  after(async () => {
    client.close();
    await Promise.all(children.map((child) => child.kill()));
  });

  it('Test 1: the tracker prints its banner and listens', async () => {
    tracker = startTracker();
    await tracker.waitFor(exact('Task 2: Tracker Server (WeApRous)'), STARTUP_MS);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
  });

  it('Test 2: Alice registers, finds only herself, and gets her console', async () => {
    alice = startPeer('Alice');
    for (const line of [
      'Task 2: Peer Application Starting...', 'Peer Name: Alice', `Peer ID: ${id('Alice')}`, `Listening on: ${id('Alice')}`,
      `Tracker: ${trackerUrl}`, '[Tracker] Registration successful: OK', 'Discovering peers...', '[Tracker] Found 1 peers',
      'Peer Console - Type /help for commands', '[Alice] > ',
    ]) await alice.waitFor(exact(line), STARTUP_MS);
    for (const line of [
      '[Tracker] POST /submit-info/',
      `[Tracker] Body: {"ip":"127.0.0.1","port":${port.Alice},"peer_id":"${id('Alice')}"}`,
      `[Tracker] Registered: ${id('Alice')} - Total: 1`,
      '[Tracker] GET /get-list/',
      '[Tracker] Returning 1 peers',
    ]) await tracker.waitFor(exact(line));
  });

  it('Test 3: Bob finds Alice and connects; Alice sees him connect', async () => {
    bob = startPeer('Bob');
    for (const line of ['[Tracker] Registration successful: OK', '[Tracker] Found 2 peers', `[P2P] Connected to peer: Alice (${id('Alice')})`, '[Bob] > ']) {
      await bob.waitFor(exact(line), STARTUP_MS);
    }
    await alice.waitFor(exact(`[P2P] Peer connected: Bob (${id('Bob')})`));
    await tracker.waitFor(exact(`[Tracker] Registered: ${id('Bob')} - Total: 2`));
    await tracker.waitFor(exact('[Tracker] Returning 2 peers'));
  });

  it('Test 4: Jack connects to Alice and Bob: a full mesh', async () => {
    jack = startPeer('Jack');
    for (const line of [
      '[Tracker] Found 3 peers', `[P2P] Connected to peer: Alice (${id('Alice')})`, `[P2P] Connected to peer: Bob (${id('Bob')})`, '[Jack] > ',
    ]) await jack.waitFor(exact(line), STARTUP_MS);
    await alice.waitFor(exact(`[P2P] Peer connected: Jack (${id('Jack')})`));
    await bob.waitFor(exact(`[P2P] Peer connected: Jack (${id('Jack')})`));
    await tracker.waitFor(exact(`[Tracker] Registered: ${id('Jack')} - Total: 3`));
  });

  it('a second peer on a port already in use says so and exits 1', async () => {
    const twin = Child.start('twin', 'apps/peer.ts', ['--tracker', trackerUrl, '--port', String(port.Alice), '--name', 'Twin']);
    children.push(twin);
    await twin.waitFor(exact(`[P2P] Cannot listen on port ${port.Alice}: port ${port.Alice} is already in use (another peer?); pick another --port`), STARTUP_MS);
    expect(await twin.waitForExit()).to.equal(1);
  });

  it('Test 5: /peers lists the two other peers', async () => {
    expect(await peersOf(alice)).to.deep.equal(['Connected peers (2)', `  - Bob (${id('Bob')})`, `  - Jack (${id('Jack')})`]);
    expect(await peersOf(bob)).to.deep.equal(['Connected peers (2)', `  - Alice (${id('Alice')})`, `  - Jack (${id('Jack')})`]);
    // Jack connected to both at once: they are listed in the tracker's order, as his start-up lines are.
    expect(await peersOf(jack)).to.deep.equal(['Connected peers (2)', `  - Alice (${id('Alice')})`, `  - Bob (${id('Bob')})`]);
  });

  it('Test 6: a broadcast reaches Bob and Jack directly, never the tracker', async () => {
    alice.type('Hello everyone from Alice!');
    await alice.waitFor(exact('[P2P] Broadcast sent to 2/2 peers'));
    const line = exact(`[BROADCAST] Alice (${id('Alice')}): Hello everyone from Alice!`);
    await bob.waitFor(line);
    await jack.waitFor(line);
    expect(tracker.lines.join('\n')).not.to.include('Hello everyone');
  });

  it('Test 7: a direct message by peer id reaches Bob only', async () => {
    const jackMark = jack.lines.length;
    alice.type(`/direct ${id('Bob')} Hi Bob, this is Alice speaking privately`);
    await alice.waitFor(exact(`[P2P] Direct message sent to ${id('Bob')}`));
    await bob.waitFor(exact(`[DIRECT] Alice (${id('Alice')}): Hi Bob, this is Alice speaking privately`));
    // A broadcast sent after it reaches Jack: had the direct message gone to Jack, it would be there by now.
    alice.type('after the private one');
    await jack.waitFor(exact(`[BROADCAST] Alice (${id('Alice')}): after the private one`));
    expect(jack.since(jackMark).join('\n')).not.to.include('speaking privately');
    expect(tracker.lines.join('\n')).not.to.include('speaking privately');
  });

  it('a direct message by name, in any case, reaches that peer', async () => {
    bob.type('/direct jACK psst, by name');
    await bob.waitFor(exact(`[P2P] Direct message sent to ${id('Jack')}`));
    await jack.waitFor(exact(`[DIRECT] Bob (${id('Bob')}): psst, by name`));
  });

  it('Test 8: Bob replies to Alice', async () => {
    bob.type(`/direct ${id('Alice')} Got it Alice, message received!`);
    await alice.waitFor(exact(`[DIRECT] Bob (${id('Bob')}): Got it Alice, message received!`));
  });

  it('carries Vietnamese text with diacritics unchanged, and refuses an over-long line before sending it', async () => {
    const text = 'Chào cả nhà! Tiếng Việt có dấu: ắ ặ ễ ỗ ự, Nguyễn Thị Bích 🎉';
    alice.type(text);
    await bob.waitFor(exact(`[BROADCAST] Alice (${id('Alice')}): ${text}`));
    await jack.waitFor(exact(`[BROADCAST] Alice (${id('Alice')}): ${text}`));
    jack.type('ư'.repeat(10_001));
    await jack.waitFor(exact('Not sent: the message has 10001 characters and peers accept at most 10000. Send it in shorter parts.'));
  });

  it('answers a mistyped command with a sentence saying what to type', async () => {
    const mark = jack.lines.length;
    jack.type('');
    jack.type('   ');
    jack.type('/peers');
    await jack.waitFor(/^Connected peers/);
    expect(jack.since(mark)[0]).to.equal('Connected peers (2)'); // empty lines are ignored, silently
    jack.type('/direct Zed hello');
    await jack.waitFor(exact('No connected peer is called "Zed". Type /peers to see who is connected, then /direct <peer_id or name> <message>.'));
    jack.type('/direct Bob');
    await jack.waitFor(exact('Usage: /direct <peer_id or name> <message>, e.g. /direct 127.0.0.1:5002 Hi Bob'));
    jack.type('/dance');
    await jack.waitFor(exact('Unknown command "/dance". Type /help for the commands, or type text without a leading "/" to broadcast it.'));
    jack.type('/help');
    await jack.waitFor(exact('Commands:'));
    await jack.waitFor(/^ {2}\/quit /);
  });

  it('Test 9: with the tracker stopped, broadcast and direct messages still arrive', async () => {
    tracker.signal('SIGINT');
    expect(await tracker.waitForExit()).to.equal(0);
    alice.type('Tracker is down but P2P still works!');
    const line = exact(`[BROADCAST] Alice (${id('Alice')}): Tracker is down but P2P still works!`);
    await bob.waitFor(line);
    await jack.waitFor(line);
    await alice.waitFor(exact('[P2P] Broadcast sent to 2/2 peers'));
    bob.type(`/direct ${id('Jack')} Hey Jack, can you hear me?`);
    await jack.waitFor(exact(`[DIRECT] Bob (${id('Bob')}): Hey Jack, can you hear me?`));
  });

  it('Test 10 fixed: a restarted tracker lists every running peer again, without /discover', async () => {
    tracker = startTracker();
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    for (const peer of [alice, bob, jack]) await peer.waitFor(exact('[Tracker] Re-registered with the tracker'));
    expect(await listedIds()).to.deep.equal([id('Alice'), id('Bob'), id('Jack')].sort());
  });

  it('curl section, tracker APIs: the documented answers', async () => {
    const submitted = await curl(['-X', 'POST', `${trackerUrl}/submit-info/`, '-H', 'Content-Type: application/json',
      '-d', '{"ip":"127.0.0.1","port":9001,"peer_id":"127.0.0.1:9001"}']);
    expect(submitted).to.equal('{"status":"ok","peer_id":"127.0.0.1:9001"}');

    // Byte for byte the document's list (compact): the peers re-registered in the order their heartbeats came.
    const listed = await curl([`${trackerUrl}/get-list/`]);
    const order: Array<{ port: number }> = JSON.parse(listed).peers;
    expect(order.map((peer) => peer.port).sort()).to.deep.equal([port.Alice, port.Bob, port.Jack, 9001].sort());
    const entries = order.map(({ port: p }) => `{"ip":"127.0.0.1","port":${p},"peer_id":"127.0.0.1:${p}"}`);
    expect(listed).to.equal(`{"status":"ok","count":4,"peers":[${entries.join(',')}]}`);

    const removed = await curl(['-X', 'POST', `${trackerUrl}/remove/`, '-H', 'Content-Type: application/json', '-d', '{"peer_id":"127.0.0.1:9001"}']);
    expect(removed).to.equal('{"status":"ok","message":"Peer unregistered"}');
  });

  it('curl section, peer APIs: the documented answers and console lines', async () => {
    const connected = await curl(['-X', 'POST', `http://${id('Alice')}/connect-peer/`, '-H', 'Content-Type: application/json',
      '-d', '{"ip":"127.0.0.1","port":9001,"peer_id":"127.0.0.1:9001","name":"TestPeer"}']);
    expect(connected).to.equal(`{"status":"ok","message":"Connected","peer_id":"${id('Alice')}","name":"Alice"}`);
    await alice.waitFor(exact('[P2P] Peer connected: TestPeer (127.0.0.1:9001)'));

    const broadcast = await curl(['-X', 'POST', `http://${id('Alice')}/broadcast-peer/`, '-H', 'Content-Type: application/json',
      '-d', '{"from":"127.0.0.1:9001","name":"TestPeer","msg":"Hello via curl!","timestamp":1699680000}']);
    expect(broadcast).to.equal('{"status":"received"}');
    await alice.waitFor(exact('[BROADCAST] TestPeer (127.0.0.1:9001): Hello via curl!'));

    const direct = await curl(['-X', 'POST', `http://${id('Bob')}/send-peer/`, '-H', 'Content-Type: application/json',
      '-d', '{"from":"127.0.0.1:9001","name":"TestPeer","msg":"Direct via curl!","timestamp":1699680000}']);
    expect(direct).to.equal('{"status":"received"}');
    await bob.waitFor(exact('[DIRECT] TestPeer (127.0.0.1:9001): Direct via curl!'));
  });

  it('a broadcast reports k/n and names the peer that failed (TestPeer has no server)', async () => {
    alice.type('Is everyone still there?');
    await alice.waitFor(exact('[P2P] Broadcast sent to 2/3 peers'));
    await alice.waitFor(/^\[P2P\] {3}failed: TestPeer \(127\.0\.0\.1:9001\) - /);
    await bob.waitFor(exact(`[BROADCAST] Alice (${id('Alice')}): Is everyone still there?`));
  });

  it('/quit: Jack tells the others and the tracker, and exits 0', async () => {
    jack.type('/quit');
    await jack.waitFor(exact('Leaving: telling 2 peers and the tracker...'));
    await jack.waitFor(exact('[Tracker] Unregister successful: OK'));
    expect(await jack.waitForExit()).to.equal(0);
    await alice.waitFor(exact(`[P2P] Peer disconnected: Jack (${id('Jack')})`));
    await bob.waitFor(exact(`[P2P] Peer disconnected: Jack (${id('Jack')})`));
    expect(await peersOf(bob)).to.deep.equal(['Connected peers (1)', `  - Alice (${id('Alice')})`]);
    expect(await listedIds()).to.deep.equal([id('Alice'), id('Bob')].sort());
  });

  it('Ctrl+D (end of input): Bob leaves like /quit', async () => {
    bob.endInput();
    expect(await bob.waitForExit()).to.equal(0);
    await alice.waitFor(exact(`[P2P] Peer disconnected: Bob (${id('Bob')})`));
    expect(await listedIds()).to.deep.equal([id('Alice')]);
  });

  it('SIGTERM: Alice leaves like /quit', async () => {
    alice.signal('SIGTERM');
    await alice.waitFor(exact('[Tracker] Unregister successful: OK'));
    expect(await alice.waitForExit()).to.equal(0);
    expect(await listedIds()).to.deep.equal([]);
  });
});
