/**
 * PeerApp as a whole, in this process: streams stand in for the keyboard and the screen, a fake tracker
 * that never answers stands in for a slow one, the real tracker app stops and restarts on one port, and
 * `exit` is recorded instead of ending mocha.
 * Tests for `apps/peer/app.ts` (`run()` of `class PeerApp` in WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PeerApp } from '../../../apps/peer/app';
import { PeerRegistry } from '../../../apps/tracker/registry';
import { createTrackerApp } from '../../../apps/tracker/routes';
import type { Backend } from '../../../daemon/backend';
import { HttpClient } from '../../../daemon/client';
import { WeApRous } from '../../../daemon/weaprous';
import { loadOrCreateIdentity } from '../../../apps/peer/identity/identity';
import { freePort } from '../child';

/** Resolves once `read()` includes `text`, checking each time the stream writes. */
function whenShown(stream: PassThrough, read: () => string, text: string): Promise<void> {
  return new Promise((done) => {
    const check = () => {
      if (!read().includes(text)) return;
      stream.off('data', check);
      done();
    };
    stream.on('data', check);
    check();
  });
}

const folders: string[] = [];
/** Every PeerApp a test starts: one a failed test left running is made to leave, so mocha can end. */
const running: PeerApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.quit().catch(() => {})));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A fresh `--data-dir` for one PeerApp, removed after the test. */
function dataDir(): string {
  const folder = mkdtempSync(join(tmpdir(), 'weaprous-app-'));
  folders.push(folder);
  return folder;
}

/**
 * A PeerApp in this process on a free port, its console a pair of streams; `running` makes it leave after the
 * test. `text()` is all it printed so far; `gone` settles when it exits.
 */
async function startApp(
  name: string,
  trackerPort: number,
  options: { dataDir?: string; heartbeatMs?: number; requestTimeoutMs?: number } = {},
) {
  const port = await freePort();
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  let exited!: () => void;
  const gone = new Promise<void>((done) => (exited = done));
  const app = (await PeerApp.start({
    self: { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name },
    trackerUrl: `http://127.0.0.1:${trackerPort}`,
    heartbeatMs: options.heartbeatMs ?? 60_000,
    dataDir: options.dataDir ?? dataDir(),
    requestTimeoutMs: options.requestTimeoutMs ?? 2_000,
    listenIp: '127.0.0.1',
    input,
    output,
    exit: () => exited(),
  }))!;
  running.push(app);
  await app.open();
  return { app, input, output, text: () => text, gone };
}

/** Resolves true when something accepts a connection on the port, false when it is refused. */
function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

describe('PeerApp', () => {
  let hung: Server;
  const hungSockets: Socket[] = [];
  beforeEach(async () => {
    hung = createServer((socket) => {
      hungSockets.push(socket);
    }); // a tracker that accepts and never answers
    await new Promise<void>((done) => hung.listen(0, '127.0.0.1', () => done()));
  });
  afterEach(async () => {
    for (const socket of hungSockets) socket.destroy();
    await new Promise<void>((done) => hung.close(() => done()));
  });

  it('Ctrl+C during start-up leaves, closes its port, and does not open the console afterwards', async () => {
    const port = await freePort();
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    let exitCode: number | null = null;
    let exited!: () => void;
    const gone = new Promise<void>((done) => {
      exited = done;
    });
    const app = (await PeerApp.start({
      self: { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Early' },
      trackerUrl: `http://127.0.0.1:${(hung.address() as { port: number }).port}`,
      heartbeatMs: 60_000,
      dataDir: dataDir(),
      requestTimeoutMs: 300,
      listenIp: '127.0.0.1',
      input,
      output,
      exit: (code) => {
        exitCode = code;
        exited();
      },
    }))!;

    const starting = app.open();
    await whenShown(output, () => text, 'Peer ID:'); // the banner is out; registration hangs
    app.interrupt();
    await Promise.all([gone, starting]);
    expect(exitCode).to.equal(0);
    const afterLeaving = text.slice(text.indexOf('Leaving:'));
    expect(afterLeaving).to.include('Goodbye!');
    expect(afterLeaving).not.to.include('Peer Console');
    expect(afterLeaving).not.to.include('[Early] > ');
    expect(await listening(port)).to.equal(false);
  });
});

describe('PeerApp and a tracker that stops and restarts (document Test 10)', function () {
  this.timeout(10_000);
  const backends: Backend[] = [];
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });

  /** The real tracker app, in this process, on `port`; a new one starts with an empty list, as after a restart. */
  async function startTracker(port: number): Promise<Backend> {
    const app = createTrackerApp({ registry: new PeerRegistry(300_000), log: () => {}, now: Date.now });
    const backend = await app.prepareAddress('127.0.0.1', port).run();
    backends.push(backend);
    return backend;
  }

  it("/discover after a failed heartbeat registers again at once and prints the walkthrough's lines", async () => {
    const trackerPort = await freePort();
    const port = await freePort();
    const tracker = await startTracker(trackerPort);
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    let exited!: () => void;
    const gone = new Promise<void>((done) => {
      exited = done;
    });
    const app = (await PeerApp.start({
      self: { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Alice' },
      trackerUrl: `http://127.0.0.1:${trackerPort}`,
      // One heartbeat a second: the first fails at 1 s, the next would register at 2 s; /discover comes first.
      heartbeatMs: 1_000,
      dataDir: dataDir(),
      requestTimeoutMs: 500,
      listenIp: '127.0.0.1',
      input,
      output,
      exit: () => exited(),
    }))!;
    await app.open();
    await tracker.close();
    backends.splice(backends.indexOf(tracker), 1);
    await whenShown(output, () => text, '[Tracker] Heartbeat failed: ');
    await startTracker(trackerPort);
    const mark = text.length;
    input.write('/discover\n');
    await whenShown(output, () => text.slice(mark), '[P2P] No new peers to connect to');
    expect(text.slice(mark).split('\n')).to.deep.equal([
      'Discovering peers...',
      '[Tracker] Re-registered with the tracker',
      '[Tracker] Found 1 peers',
      '[P2P] No new peers to connect to',
      '',
    ]);
    input.write('/quit\n');
    await gone;
  });
});

describe('PeerApp catching up from a peer that forges messages', function () {
  this.timeout(10_000);
  const backends: Backend[] = [];
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });

  it("stores what is signed by its sender or from a sender it has no key for, refuses what names a known sender without that sender's signature", async () => {
    const trackerPort = await freePort();
    const tracker = await createTrackerApp({ registry: new PeerRegistry(300_000), log: () => {}, now: Date.now })
      .prepareAddress('127.0.0.1', trackerPort)
      .run();
    backends.push(tracker);
    const alice = loadOrCreateIdentity(dataDir());
    const mallory = loadOrCreateIdentity(dataDir());
    const ALICE = '127.0.0.1:5901';
    const malloryPort = await freePort();
    const MALLORY = `127.0.0.1:${malloryPort}`;
    const message = (id: string, from: string, clock: number, msg: string) => ({
      id: `${from}/${id}`,
      channel: 'general',
      from,
      name: from === ALICE ? 'Alice' : 'Someone',
      msg,
      timestamp: 1_700_000_000,
      clock,
    });
    const signedBy = (identity: typeof alice, body: object) => ({ ...body, signature: identity.sign(body) });
    // Mallory answers catch-up with Alice's real message, one she made up in Alice's name, her own, and one of a stranger.
    const page = [
      signedBy(alice, message('a-1', ALICE, 1, 'really from Alice')),
      signedBy(mallory, message('a-2', ALICE, 2, 'Alice never wrote this')),
      { ...message('a-3', ALICE, 3, 'nor this, unsigned') },
      signedBy(mallory, message('m-1', MALLORY, 4, 'from Mallory herself')),
      message('s-1', '127.0.0.1:5999', 5, 'from a peer without a key'),
    ];
    const fake = new WeApRous()
      .addRoute('POST', '/connect-peer/', () => ({
        status: 'ok',
        message: 'Connected',
        peer_id: MALLORY,
        name: 'Mallory',
        public_key: mallory.publicKey,
      }))
      .addRoute('GET', '/identity/', () => ({ status: 'ok', peer_id: MALLORY, name: 'Mallory', public_key: mallory.publicKey }))
      .addRoute('GET', '/history/', () => ({ status: 'ok', channel: 'general', count: page.length, messages: page, more: false }));
    backends.push(await fake.prepareAddress('127.0.0.1', malloryPort).run());
    const client = new HttpClient();
    const registered = await client.request(`http://127.0.0.1:${trackerPort}/submit-info/`, {
      json: { ip: '127.0.0.1', port: malloryPort },
    });
    client.close();
    expect(registered.status).to.equal(200);

    // Carol has met Alice before: her known-peers.json holds Alice's key.
    const carolDir = dataDir();
    writeFileSync(join(carolDir, 'known-peers.json'), JSON.stringify({ [ALICE]: alice.publicKey }));
    const { input, output, text, gone } = await startApp('Carol', trackerPort, { dataDir: carolDir });
    const line = `[History] Caught up on #general from Mallory (${MALLORY}): 3 new messages; refused 2 not signed by the sender they name (/history #general)`;
    await whenShown(output, text, line);
    const mark = text().length;
    input.write('/history\n');
    await whenShown(output, () => text().slice(mark), 'from a peer without a key');
    const shown = text().slice(mark);
    expect(shown).to.include('really from Alice');
    expect(shown).to.include('from Mallory herself');
    expect(shown).not.to.include('Alice never wrote this');
    expect(shown).not.to.include('nor this, unsigned');
    input.write('/quit\n');
    await gone;
  });
});

describe('PeerApp sending a burst', function () {
  this.timeout(10_000);
  const backends: Backend[] = [];
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });

  it('sends 250 lines typed at once to a peer in three requests (POST /messages/, 100 at most each), in order; a lone line in one', async () => {
    const trackerPort = await freePort();
    backends.push(
      await createTrackerApp({ registry: new PeerRegistry(300_000), log: () => {}, now: Date.now })
        .prepareAddress('127.0.0.1', trackerPort)
        .run(),
    );
    // Bob: a peer that answers at once; what it was sent is counted by request.
    const bobPort = await freePort();
    const bob = loadOrCreateIdentity(dataDir());
    const got: string[] = [];
    const requests: string[] = [];
    let wanted = 250;
    let allThere!: () => void;
    let arrivedAll = new Promise<void>((done) => (allThere = done));
    const arrived = (msgs: string[]) => {
      got.push(...msgs);
      if (got.length >= wanted) allThere();
    };
    const fake = new WeApRous()
      .addRoute('POST', '/connect-peer/', () => ({
        status: 'ok',
        message: 'Connected',
        peer_id: `127.0.0.1:${bobPort}`,
        name: 'Bob',
        public_key: bob.publicKey,
      }))
      .addRoute('GET', '/identity/', () => ({ status: 'ok', public_key: bob.publicKey }))
      .addRoute('GET', '/history/', () => ({ status: 'ok', channel: 'general', count: 0, messages: [], more: false }))
      .addRoute('POST', '/broadcast-peer/', async (request) => {
        requests.push('/broadcast-peer/ 1');
        arrived([(JSON.parse(request.body.toString('utf8')) as { msg: string }).msg]);
        return { status: 'received' };
      })
      .addRoute('POST', '/messages/', async (request) => {
        const { messages } = JSON.parse(request.body.toString('utf8')) as { messages: Array<{ msg: string }> };
        requests.push(`/messages/ ${messages.length}`);
        arrived(messages.map((m) => m.msg));
        return { status: 'received', results: messages.map(() => ({ status: 'received' })) };
      });
    backends.push(await fake.prepareAddress('127.0.0.1', bobPort).run());
    const client = new HttpClient();
    await client.request(`http://127.0.0.1:${trackerPort}/submit-info/`, { json: { ip: '127.0.0.1', port: bobPort } });
    client.close();

    const { input, output, text, gone } = await startApp('Alice', trackerPort);
    await whenShown(output, text, '[P2P] Connected to peer: Bob');
    // A paste: the lines are stored together and handed to delivery together (`Chat.sendAll`).
    const lines = Array.from({ length: 250 }, (_, n) => `line ${n + 1}`);
    input.write(lines.map((line) => `${line}\n`).join(''));
    await arrivedAll;
    expect(got).to.deep.equal(lines);
    expect(requests).to.deep.equal(['/messages/ 100', '/messages/ 100', '/messages/ 50']);
    // A line typed alone goes alone, the document's way.
    wanted = 251;
    arrivedAll = new Promise<void>((done) => (allThere = done));
    input.write('one more\n');
    await arrivedAll;
    expect(got.at(-1)).to.equal('one more');
    expect(requests.at(-1)).to.equal('/broadcast-peer/ 1');
    input.write('/quit\n');
    await gone;
  });
});

describe('PeerApp back after losing the tracker (its own link may have been down)', function () {
  this.timeout(15_000);
  const backends: Backend[] = [];
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });

  it('says hello again to every listed peer, the ones still counted as connected too, and catches up from them', async () => {
    const trackerPort = await freePort();
    const startTracker = async () => {
      const backend = await createTrackerApp({ registry: new PeerRegistry(300_000), log: () => {}, now: Date.now })
        .prepareAddress('127.0.0.1', trackerPort)
        .run();
      backends.push(backend);
      const client = new HttpClient();
      await client.request(`http://127.0.0.1:${trackerPort}/submit-info/`, { json: { ip: '127.0.0.1', port: bobPort } });
      client.close();
      return backend;
    };
    // Bob: a peer that counts the hellos and the history questions it gets.
    const bobPort = await freePort();
    const bob = loadOrCreateIdentity(dataDir());
    let hellos = 0;
    let questions = 0;
    let secondRound!: () => void;
    const bothAgain = new Promise<void>((done) => (secondRound = done));
    const counted = () => hellos >= 2 && questions >= 2 && secondRound();
    const fake = new WeApRous()
      .addRoute('POST', '/connect-peer/', () => {
        hellos += 1;
        counted();
        return { status: 'ok', message: 'Connected', peer_id: `127.0.0.1:${bobPort}`, name: 'Bob', public_key: bob.publicKey };
      })
      .addRoute('GET', '/identity/', () => ({ status: 'ok', public_key: bob.publicKey }))
      .addRoute('GET', '/history/', () => {
        questions += 1;
        counted();
        return { status: 'ok', channel: 'general', count: 0, messages: [], more: false };
      });
    backends.push(await fake.prepareAddress('127.0.0.1', bobPort).run());
    const tracker = await startTracker();

    const { app: alice, input, output, text, gone } = await startApp('Alice', trackerPort, { heartbeatMs: 500, requestTimeoutMs: 500 });
    await whenShown(output, text, '[P2P] Connected to peer: Bob');
    expect(hellos).to.equal(1);
    await tracker.close();
    backends.splice(backends.indexOf(tracker), 1);
    await whenShown(output, text, '[Tracker] Heartbeat failed: ');
    await startTracker();
    await whenShown(output, text, '[Tracker] Re-registered with the tracker');
    await bothAgain; // Bob, still counted as connected, was greeted and asked again
    expect(alice.state.isConnected(`127.0.0.1:${bobPort}`)).to.equal(true);
    input.write('/quit\n');
    await gone;
  });
});
