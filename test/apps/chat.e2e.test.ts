/**
 * The reference document's test procedure, run for real: a tracker and peers (Alice, Bob, Jack) as separate
 * processes, their consoles driven through standard input, each expected line awaited with a timeout.
 * Covers Tests 1-9, the fix for Test 10's gap (re-registration without /discover), the curl section sent
 * as it is byte for byte, and leaving by /quit, Ctrl+D and SIGTERM. Every `it` runs alone too
 * (`npx mocha test/apps/chat.e2e.test.ts --grep 'Test 7'`): each group's `before` starts the processes it
 * needs, and a test that changes the chat (a peer leaves, the tracker stops) starts or stops what it uses.
 * The tracker's own comings and goings around one peer are in `session.e2e.test.ts`.
 * End-to-end tests for `apps/tracker.ts` and `apps/peer.ts` (WeApRous `apps/sampleApp.py`, `apps/peer.py`).
 */

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { HttpClient } from '../../daemon/client';
import { Child, exact, freePort, Processes, STARTUP_MS } from './child';

/** Runs curl as the document writes it (without the proxy the shell may have set); resolves with the body. */
function curl(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    execFile('curl', ['--noproxy', '*', '-s', '--max-time', '5', ...args], (error, stdout) => (error ? fail(error) : done(stdout)));
  });
}

/** A tracker and named peers, started one after another as in the document's four terminals. */
class ChatRun {
  readonly processes = new Processes();
  readonly peers: Record<string, Child> = {};
  readonly port: Record<string, number> = {};
  tracker!: Child;
  trackerPort = 0;
  /** For each peer, its first line after the tracker last stopped. */
  readonly stoppedAt: Record<string, number> = {};

  constructor(private readonly heartbeatSeconds = 30) {}

  get trackerUrl(): string {
    return `http://127.0.0.1:${this.trackerPort}`;
  }

  id(name: string): string {
    return `127.0.0.1:${this.port[name]}`;
  }

  async start(names: string[]): Promise<void> {
    this.trackerPort = await freePort();
    await this.startTracker();
    for (const name of names) await this.startPeer(name);
  }

  async startTracker(): Promise<Child> {
    this.tracker = this.processes.start('tracker', 'apps/tracker.ts', [
      '--server-ip',
      '127.0.0.1',
      '--server-port',
      String(this.trackerPort),
    ]);
    await this.tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${this.trackerPort}`), STARTUP_MS);
    return this.tracker;
  }

  /** Starts a peer and waits for its prompt: by then it has registered and connected to every listed peer. */
  async startPeer(name: string): Promise<Child> {
    this.port[name] = await freePort();
    const args = [
      '--tracker',
      this.trackerUrl,
      '--port',
      String(this.port[name]),
      '--name',
      name,
      '--heartbeat',
      String(this.heartbeatSeconds),
    ];
    const peer = this.processes.start(name, 'apps/peer.ts', args);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    this.peers[name] = peer;
    return peer;
  }

  /** Ctrl+C in the tracker's terminal, unless it has stopped already. */
  async stopTracker(): Promise<void> {
    if (this.tracker.exitCode !== undefined) return;
    for (const [name, peer] of Object.entries(this.peers)) this.stoppedAt[name] = peer.lines.length;
    this.tracker.signal('SIGINT');
    expect(await this.tracker.waitForExit()).to.equal(0);
  }

  /** From here on, each `waitFor` looks only at lines printed after this moment. */
  skipPrinted(): void {
    for (const child of [this.tracker, ...Object.values(this.peers)]) child.cursor = child.lines.length;
  }
}

describe('hybrid chat end to end (real tracker and peers)', function () {
  this.timeout(30_000);
  const client = new HttpClient({ timeoutMs: 5_000 });
  after(() => client.close());

  async function listedIds(run: ChatRun): Promise<string[]> {
    const res = await client.request(`${run.trackerUrl}/get-list/`);
    return res
      .json<{ peers: Array<{ peer_id: string }> }>()
      .peers.map((peer) => peer.peer_id)
      .sort();
  }

  /** Types /peers and returns the block it printed, from "Connected peers (n)" to the blank line. */
  async function peersOf(peer: Child): Promise<string[]> {
    const mark = peer.lines.length;
    peer.type('/peers');
    const start = await peer.indexOf(/^Connected peers \(\d+\)$/, 10_000, mark);
    const end = await peer.indexOf(exact(''), 10_000, start + 1);
    return peer.lines.slice(start, end);
  }

  describe('Tests 1 to 8: three peers start, find each other and chat', () => {
    const run = new ChatRun();
    let alice: Child;
    let bob: Child;
    let jack: Child;
    const id = (name: string) => run.id(name);

    before(async function () {
      this.timeout(90_000);
      await run.start(['Alice', 'Bob', 'Jack']);
      ({ Alice: alice, Bob: bob, Jack: jack } = run.peers);
    });
    beforeEach(() => run.skipPrinted());
    after(() => run.processes.killAll());

    it('Test 1: the tracker prints its banner and listens', async () => {
      await run.tracker.waitForLines([
        exact('Task 2: Tracker Server (WeApRous)'),
        exact(`[Backend] Listening on IP 127.0.0.1 port ${run.trackerPort}`),
      ]);
    });

    it('Test 2: Alice registers, finds only herself, and gets her console', async () => {
      await alice.waitForLines(
        [
          'Task 2: Peer Application Starting...',
          'Peer Name: Alice',
          `Peer ID: ${id('Alice')}`,
          `Listening on: ${id('Alice')}`,
          `Tracker: ${run.trackerUrl}`,
          '[Tracker] Registration successful: OK',
          'Discovering peers...',
          '[Tracker] Found 1 peers',
          'Peer Console - Type /help for commands',
          '[Alice] > ',
        ].map(exact),
      );
      await run.tracker.waitForLines(
        [
          '[Tracker] POST /submit-info/',
          `[Tracker] Body: {"ip":"127.0.0.1","port":${run.port.Alice},"peer_id":"${id('Alice')}","name":"Alice"}`,
          `[Tracker] Registered: ${id('Alice')} - Total: 1`,
          '[Tracker] GET /get-list/',
          '[Tracker] Returning 1 peers',
        ].map(exact),
      );
    });

    it('Test 3: Bob finds Alice and connects; Alice sees him connect', async () => {
      await bob.waitForLines(
        [
          '[Tracker] Registration successful: OK',
          '[Tracker] Found 2 peers',
          `[P2P] Connected to peer: Alice (${id('Alice')})`,
          '[Bob] > ',
        ].map(exact),
      );
      await alice.waitForLines([exact(`[P2P] Peer connected: Bob (${id('Bob')})`)]);
      await run.tracker.waitForLines([exact(`[Tracker] Registered: ${id('Bob')} - Total: 2`), exact('[Tracker] Returning 2 peers')]);
    });

    it('Test 4: Jack connects to Alice and Bob: a full mesh', async () => {
      await jack.waitForLines(
        [
          '[Tracker] Found 3 peers',
          `[P2P] Connected to peer: Alice (${id('Alice')})`,
          `[P2P] Connected to peer: Bob (${id('Bob')})`,
          '[Jack] > ',
        ].map(exact),
      );
      await alice.waitForLines([exact(`[P2P] Peer connected: Jack (${id('Jack')})`)]);
      await bob.waitForLines([exact(`[P2P] Peer connected: Jack (${id('Jack')})`)]);
      await run.tracker.waitForLines([exact(`[Tracker] Registered: ${id('Jack')} - Total: 3`)]);
    });

    it('a second peer on a port already in use says so and exits 1', async () => {
      const twin = run.processes.start('twin', 'apps/peer.ts', [
        '--tracker',
        run.trackerUrl,
        '--port',
        String(run.port.Alice),
        '--name',
        'Twin',
      ]);
      const port = run.port.Alice;
      await twin.waitFor(
        exact(`[P2P] Cannot listen on port ${port}: port ${port} is already in use (another peer?); pick another --port`),
        STARTUP_MS,
      );
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
      expect(run.tracker.lines.join('\n')).not.to.include('Hello everyone');
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
      expect(run.tracker.lines.join('\n')).not.to.include('speaking privately');
    });

    it('a direct message by name, in any case, reaches that peer', async () => {
      bob.type('/direct jACK psst, by name');
      await bob.waitFor(exact(`[P2P] Direct message sent to ${id('Jack')}`));
      await jack.waitFor(exact(`[DIRECT] Bob (${id('Bob')}): psst, by name`));
    });

    it('Test 8: Bob replies to Alice', async () => {
      bob.type(`/direct ${id('Alice')} Got it Alice, message received!`);
      await bob.waitFor(exact(`[P2P] Direct message sent to ${id('Alice')}`));
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
      await jack.waitFor(
        exact('No connected peer is called "Zed". Type /peers to see who is connected, then /direct <peer_id or name> <message>.'),
      );
      jack.type('/direct Bob');
      await jack.waitFor(exact('Usage: /direct <peer_id or name> <message>, e.g. /direct 127.0.0.1:5002 Hi Bob'));
      jack.type('/dance');
      await jack.waitFor(
        exact('Unknown command "/dance". Type /help for the commands, or type text without a leading "/" to broadcast it.'),
      );
      jack.type('/help');
      await jack.waitFor(exact('Commands:'));
      await jack.waitFor(/^ {2}\/quit /);
    });
  });

  describe('Tests 9 and 10: the tracker stops, then restarts', () => {
    // A heartbeat every second, so the peers notice the tracker's absence and return within the test's time.
    const run = new ChatRun(1);
    let alice: Child;
    let bob: Child;
    let jack: Child;
    const id = (name: string) => run.id(name);

    before(async function () {
      this.timeout(90_000);
      await run.start(['Alice', 'Bob', 'Jack']);
      ({ Alice: alice, Bob: bob, Jack: jack } = run.peers);
    });
    beforeEach(() => run.skipPrinted());
    after(() => run.processes.killAll());

    it('Test 9: with the tracker stopped, broadcast and direct messages still arrive', async () => {
      await run.stopTracker();
      alice.type('Tracker is down but P2P still works!');
      const line = exact(`[BROADCAST] Alice (${id('Alice')}): Tracker is down but P2P still works!`);
      await bob.waitFor(line);
      await jack.waitFor(line);
      await alice.waitFor(exact('[P2P] Broadcast sent to 2/2 peers'));
      bob.type(`/direct ${id('Jack')} Hey Jack, can you hear me?`);
      await jack.waitFor(exact(`[DIRECT] Bob (${id('Bob')}): Hey Jack, can you hear me?`));
    });

    it('Test 10 fixed: after failed heartbeats, a restarted tracker lists every running peer again, without /discover', async () => {
      await run.stopTracker();
      for (const [name, peer] of Object.entries(run.peers)) {
        await peer.waitFor(/^\[Tracker\] Heartbeat failed: Connection refused by /, 10_000, run.stoppedAt[name]);
      }
      run.skipPrinted();
      await run.startTracker();
      for (const peer of [alice, bob, jack]) await peer.waitFor(exact('[Tracker] Re-registered with the tracker'));
      expect(await listedIds(run)).to.deep.equal([id('Alice'), id('Bob'), id('Jack')].sort());
    });
  });

  describe('the curl section, and leaving, beside Alice and Bob', () => {
    const run = new ChatRun();
    let alice: Child;
    let bob: Child;
    const id = (name: string) => run.id(name);

    before(async function () {
      this.timeout(60_000);
      await run.start(['Alice', 'Bob']);
      ({ Alice: alice, Bob: bob } = run.peers);
    });
    beforeEach(() => run.skipPrinted());
    after(() => run.processes.killAll());

    /** What the document's curl sends to make Alice connect to TestPeer (127.0.0.1:9001). */
    const connectTestPeer = () =>
      curl([
        '-X',
        'POST',
        `http://${id('Alice')}/connect-peer/`,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"ip":"127.0.0.1","port":9001,"peer_id":"127.0.0.1:9001","name":"TestPeer"}',
      ]);

    it('curl section, tracker APIs: the documented answers', async () => {
      const submitted = await curl([
        '-X',
        'POST',
        `${run.trackerUrl}/submit-info/`,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"ip":"127.0.0.1","port":9001,"peer_id":"127.0.0.1:9001"}',
      ]);
      expect(submitted).to.equal('{"status":"ok","peer_id":"127.0.0.1:9001"}');

      // Byte for byte the document's list (compact): Alice, Bob (with the names they send), then the peer curl registered.
      const named = (p: number, name?: string) =>
        `{"ip":"127.0.0.1","port":${p},"peer_id":"127.0.0.1:${p}"${name ? `,"name":"${name}"` : ''}}`;
      const entries = [named(run.port.Alice, 'Alice'), named(run.port.Bob, 'Bob'), named(9001)];
      expect(await curl([`${run.trackerUrl}/get-list/`])).to.equal(`{"status":"ok","count":3,"peers":[${entries.join(',')}]}`);

      const removed = await curl([
        '-X',
        'POST',
        `${run.trackerUrl}/remove/`,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"peer_id":"127.0.0.1:9001"}',
      ]);
      expect(removed).to.equal('{"status":"ok","message":"Peer unregistered"}');
    });

    it('curl section, peer APIs: the documented answers and console lines', async () => {
      const mark = alice.lines.length;
      expect(await connectTestPeer()).to.equal(`{"status":"ok","message":"Connected","peer_id":"${id('Alice')}","name":"Alice"}`);
      await alice.waitFor(exact('[P2P] Peer connected: TestPeer (127.0.0.1:9001)'), 10_000, mark);

      const broadcast = await curl([
        '-X',
        'POST',
        `http://${id('Alice')}/broadcast-peer/`,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"from":"127.0.0.1:9001","name":"TestPeer","msg":"Hello via curl!","timestamp":1699680000}',
      ]);
      expect(broadcast).to.equal('{"status":"received"}');
      await alice.waitFor(exact('[BROADCAST] TestPeer (127.0.0.1:9001): Hello via curl!'));

      const direct = await curl([
        '-X',
        'POST',
        `http://${id('Bob')}/send-peer/`,
        '-H',
        'Content-Type: application/json',
        '-d',
        '{"from":"127.0.0.1:9001","name":"TestPeer","msg":"Direct via curl!","timestamp":1699680000}',
      ]);
      expect(direct).to.equal('{"status":"received"}');
      await bob.waitFor(exact('[DIRECT] TestPeer (127.0.0.1:9001): Direct via curl!'));
    });

    it('a broadcast reports k/n, names the peer that failed and drops it (TestPeer has no server)', async () => {
      await connectTestPeer();
      alice.type('Is TestPeer still there?');
      await alice.waitFor(exact('[P2P] Broadcast sent to 1/2 peers'));
      await alice.waitFor(exact('[P2P]   failed: TestPeer (127.0.0.1:9001) - Connection refused by 127.0.0.1:9001'));
      await alice.waitFor(exact('[P2P] Removed TestPeer (127.0.0.1:9001) from the connected peers: nothing is listening there any more'));
      await bob.waitFor(exact(`[BROADCAST] Alice (${id('Alice')}): Is TestPeer still there?`));
    });

    it('/quit: Jack tells the others and the tracker, and exits 0', async () => {
      const jack = await run.startPeer('Jack');
      jack.type('/quit');
      await jack.waitFor(exact('Leaving: telling 2 peers and the tracker...'));
      await jack.waitFor(exact('[Tracker] Unregister successful: OK'));
      expect(await jack.waitForExit()).to.equal(0);
      await alice.waitFor(exact(`[P2P] Peer disconnected: Jack (${id('Jack')})`));
      await bob.waitFor(exact(`[P2P] Peer disconnected: Jack (${id('Jack')})`));
      expect(await peersOf(bob)).to.deep.equal(['Connected peers (1)', `  - Alice (${id('Alice')})`]);
      expect(await listedIds(run)).to.deep.equal([id('Alice'), id('Bob')].sort());
    });

    it('Ctrl+D (end of input): Carol leaves like /quit', async () => {
      const carol = await run.startPeer('Carol');
      carol.endInput();
      expect(await carol.waitForExit()).to.equal(0);
      await alice.waitFor(exact(`[P2P] Peer disconnected: Carol (${id('Carol')})`));
      expect(await listedIds(run)).to.deep.equal([id('Alice'), id('Bob')].sort());
    });

    it('SIGTERM: Dave leaves like /quit', async () => {
      const dave = await run.startPeer('Dave');
      dave.signal('SIGTERM');
      await dave.waitFor(exact('[Tracker] Unregister successful: OK'));
      expect(await dave.waitForExit()).to.equal(0);
      await bob.waitFor(exact(`[P2P] Peer disconnected: Dave (${id('Dave')})`));
      expect(await listedIds(run)).to.deep.equal([id('Alice'), id('Bob')].sort());
    });
  });
});
