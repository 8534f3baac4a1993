/**
 * Mesh, the peer's outgoing messages: connect, broadcast to all at once, direct, leave. Real peer servers
 * on port 0 receive; a closed port and a server that never answers play the dead and the hung peer.
 * Tests for `apps/peer/network/peer-client.ts` (`connect_to_peer`, `broadcast_message`, `send_direct_message` of
 * WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../../../daemon/client';
import type { Backend } from '../../../../daemon/backend';
import { Refused, sendInOrder } from '../../../../apps/peer/delivery/courier';
import { noticeLines } from '../../../../apps/peer/console/notices';
import { History } from '../../../../apps/peer/storage/history';
import { MAX_CONNECTING, PeerClient, peerUrl } from '../../../../apps/peer/network/peer-client';
import { directChannel, type ChatMessage } from '../../../../apps/peer/model/message';
import { createPeerServer } from '../../../../apps/peer/network/routes';
import type { InboxParts } from '../../../../apps/peer/network/inbox';
import { ChatState, type PeerInfo } from '../../../../apps/peer/model/peers';
import { freePort } from '../../child';
import { WeApRous } from '../../../../daemon/weaprous';

interface Remote {
  info: PeerInfo;
  state: ChatState;
  shown: string[];
  backend: Backend;
  history: History;
  connections: number;
}

const folders: string[] = [];

/** A history in a fresh folder of its own, removed after each test. */
function openHistory(self: PeerInfo): Promise<History> {
  const folder = mkdtempSync(join(tmpdir(), 'weaprous-mesh-'));
  folders.push(folder);
  return History.open(folder, self, { startedAt: Date.now() });
}

/** A real peer server; `onShow` hears each line it prints, so a test can wait for one. */
async function startRemote(name: string, onShow: (line: string) => void = () => {}, gate?: InboxParts['gate']): Promise<Remote> {
  const port = await freePort();
  const info = { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name };
  const state = new ChatState(info);
  const shown: string[] = [];
  const show = (line: string) => {
    shown.push(line);
    onShow(line);
  };
  const history = await openHistory(info);
  const backend = await createPeerServer(state, { history, gate }, (notice) => noticeLines(notice).forEach(show))
    .prepareAddress('127.0.0.1', port)
    .run();
  const remote: Remote = { info, state, shown, backend, history, connections: 0 };
  backend.server.on('connection', () => {
    remote.connections += 1;
  });
  return remote;
}

describe('PeerClient', () => {
  const alice: PeerInfo = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
  let remotes: Remote[] = [];
  let hung: Server | null = null;
  const hungSockets: Socket[] = [];
  let client: HttpClient;
  let state: ChatState;
  let mesh: PeerClient;
  let history: History;
  /** Alice's message, made and stored as the console does: `say('Hi')`, `say('Hi', bob)` for a direct one. */
  const say = (msg: string, to?: PeerInfo, now = Date.now()): Promise<ChatMessage> =>
    history.compose(to ? directChannel(to.peer_id) : 'general', msg, now);

  beforeEach(async () => {
    client = new HttpClient({ timeoutMs: 5_000 });
    state = new ChatState(alice);
    mesh = new PeerClient(client, state, null, 500);
    history = await openHistory(alice);
  });
  afterEach(async () => {
    client.close();
    await history.close();
    for (const remote of remotes) {
      await remote.backend.close();
      await remote.history.close();
    }
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
    remotes = [];
    for (const socket of hungSockets) socket.destroy();
    await new Promise<void>((done) => (hung ? hung.close(() => done()) : done()));
    hung = null;
  });

  it("connect() introduces us and learns the other peer's name", async () => {
    const bob = await startRemote('Bob');
    remotes.push(bob);
    const peer = await mesh.connect({ ip: '127.0.0.1', port: bob.info.port, peer_id: bob.info.peer_id });
    expect(peer).to.deep.equal(bob.info);
    expect(state.peers()).to.deep.equal([bob.info]);
    expect(bob.state.peers()).to.deep.equal([alice]);
    expect(bob.shown).to.deep.equal(['[P2P] Peer connected: Alice (127.0.0.1:5001)']);
  });

  it('a tracker list that says "https" for a plain peer (a stranger registered its id) does not pin it to https', async () => {
    const bob = await startRemote('Bob');
    remotes.push(bob);
    const target = { ip: '127.0.0.1', port: bob.info.port, peer_id: bob.info.peer_id };
    await mesh.connect({ ...target, scheme: 'https' }).then(
      () => expect.fail('a plain peer cannot answer a TLS hello'),
      () => undefined,
    );
    expect(state.schemeOf(bob.info.peer_id)).to.equal(undefined);
    expect(await mesh.connect(target)).to.deep.equal(bob.info); // its real address still works
  });

  /** Posts `message` to every connected peer at once, as delivery does: each one's error, or null. */
  const toAll = (client: PeerClient, message: ChatMessage) =>
    Promise.all(
      state.peers().map((peer) =>
        client.send(peer, message).then(
          () => null,
          (error: Error) => ({ peer, error }),
        ),
      ),
    );

  it('send() to every connected peer at once reaches each, and reuses each connection', async () => {
    remotes.push(await startRemote('Bob'), await startRemote('Jack'));
    for (const remote of remotes) state.connect(remote.info);
    const first = await toAll(mesh, await say('Hello everyone from Alice!', undefined, 1_699_680_000_000));
    const second = await toAll(mesh, await say('again', undefined, 1_699_680_001_000));
    expect(first).to.deep.equal([null, null]);
    expect(second).to.deep.equal([null, null]);
    for (const remote of remotes) {
      expect(remote.shown).to.deep.equal([
        '[BROADCAST] Alice (127.0.0.1:5001): Hello everyone from Alice!',
        '[BROADCAST] Alice (127.0.0.1:5001): again',
      ]);
      expect(remote.history.recent('general', 1).messages[0]).to.deep.include({
        from: '127.0.0.1:5001',
        name: 'Alice',
        msg: 'again',
        timestamp: 1_699_680_001,
        channel: 'general',
        clock: 2,
      });
      expect(remote.connections).to.equal(1);
    }
  });

  it('a dead peer and a hung peer delay nobody: the others get it, the failures are named', async () => {
    const bob = await startRemote('Bob');
    remotes.push(bob);
    const deadPort = await freePort();
    hung = createServer((socket) => {
      hungSockets.push(socket);
    }); // accepts, reads, never answers
    await new Promise<void>((done) => hung!.listen(0, '127.0.0.1', () => done()));
    const hungPort = (hung.address() as { port: number }).port;
    const dead = { peer_id: `127.0.0.1:${deadPort}`, ip: '127.0.0.1', port: deadPort, name: 'Dead' };
    const slow = { peer_id: `127.0.0.1:${hungPort}`, ip: '127.0.0.1', port: hungPort, name: 'Hung' };
    state.connect(dead);
    state.connect(slow);
    state.connect(bob.info);

    const results = await toAll(mesh, await say('anyone?'));
    const failures = results.filter((result) => result !== null);
    expect(failures.map((f) => f.peer.name)).to.deep.equal(['Dead', 'Hung']);
    expect(failures[0].error.message).to.equal(`Connection refused by 127.0.0.1:${deadPort}`);
    expect(failures[1].error.message).to.match(/No response from .* within 500 ms/);
    expect(bob.shown).to.deep.equal(['[BROADCAST] Alice (127.0.0.1:5001): anyone?']);
  });

  it('a hung peer does not hold the others back: they have the message while it still waits', async () => {
    let bobShown!: () => void;
    const bobGotIt = new Promise<void>((done) => {
      bobShown = done;
    });
    const bob = await startRemote('Bob', () => bobShown());
    remotes.push(bob);
    let hungAsked!: () => void;
    const hungGotIt = new Promise<void>((done) => {
      hungAsked = done;
    });
    hung = createServer((socket) => {
      hungSockets.push(socket);
      hungAsked();
    });
    await new Promise<void>((done) => hung!.listen(0, '127.0.0.1', () => done()));
    const hungPort = (hung.address() as { port: number }).port;
    state.connect({ peer_id: `127.0.0.1:${hungPort}`, ip: '127.0.0.1', port: hungPort, name: 'Hung' }); // first in line
    state.connect(bob.info);

    // The hung request may wait a minute; had the peers been asked one after another, Bob would wait too.
    const patient = new PeerClient(client, state, null, 60_000);
    let settled = false;
    const sending = toAll(patient, await say('anyone?')).finally(() => {
      settled = true;
    });
    await Promise.all([bobGotIt, hungGotIt]);
    expect(settled).to.equal(false);
    for (const socket of hungSockets) socket.destroy(); // the hung peer goes away: the broadcast can end
    const results = await sending;
    expect(results.filter((result) => result !== null).map((f) => f.peer.name)).to.deep.equal(['Hung']);
  });

  it('connectAll() connects each peer the moment it answers, not after the slower ones; results in the order given', async () => {
    let jackHeard!: () => void;
    const jackConnected = new Promise<void>((done) => {
      jackHeard = done;
    });
    const jack = await startRemote('Jack', () => jackHeard());
    remotes.push(jack);
    // Bob answers only after Jack has answered, so the answers come in the opposite order.
    hung = createServer((socket) => {
      hungSockets.push(socket);
      socket.once('data', async () => {
        await jackConnected;
        setTimeout(() => {
          const body = `{"status":"ok","message":"Connected","peer_id":"127.0.0.1:${bobPort}","name":"Bob"}`;
          socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        }, 50);
      });
    });
    await new Promise<void>((done) => hung!.listen(0, '127.0.0.1', () => done()));
    const bobPort = (hung.address() as { port: number }).port;
    const bob = { ip: '127.0.0.1', port: bobPort, peer_id: `127.0.0.1:${bobPort}` };

    const heard: string[][] = [];
    const results = await mesh.connectAll([bob, jack.info], () => heard.push(state.peers().map((p) => p.name)));
    expect(results.map((r) => r.status === 'fulfilled' && r.value.name)).to.deep.equal(['Bob', 'Jack']);
    expect(heard).to.deep.equal([['Jack'], ['Jack', 'Bob']]); // Jack was connected while Bob had not answered
  });

  it('connectAll() has at most 64 requests out at once, whatever the list (1,000 ports that never answer)', async () => {
    // A client that never answers until told to: the number out at once is then exact, with no clock involved.
    let out = 0;
    let most = 0;
    const pending: Array<() => void> = [];
    const stuck = {
      request: () => {
        out += 1;
        most = Math.max(most, out);
        return new Promise((_, fail) =>
          pending.push(() => {
            out -= 1;
            fail(new Error('No response within 3000 ms'));
          }),
        );
      },
    } as unknown as HttpClient;
    const targets = Array.from({ length: 150 }, (_, n) => ({ ip: '10.9.9.9', port: 20_000 + n, peer_id: `10.9.9.9:${20_000 + n}` }));
    let finished = false;
    const connecting = new PeerClient(stuck, state, null, 500).connectAll(targets).finally(() => (finished = true));
    // Let everything out give up, again and again, until connectAll is done.
    while (!finished) {
      await new Promise((done) => setImmediate(done));
      pending.splice(0).forEach((giveUp) => giveUp());
    }
    const results = await connecting;
    expect(results.filter((r) => r.status === 'rejected')).to.have.length(150);
    expect(most).to.equal(MAX_CONNECTING);
  });

  it('send() of a direct message reaches that one peer only', async () => {
    const bob = await startRemote('Bob');
    const jack = await startRemote('Jack');
    remotes.push(bob, jack);
    state.connect(bob.info);
    state.connect(jack.info);
    await mesh.send(bob.info, await say('Hi Bob, this is Alice speaking privately', bob.info));
    expect(bob.shown).to.deep.equal(['[DIRECT] Alice (127.0.0.1:5001): Hi Bob, this is Alice speaking privately']);
    expect(jack.shown).to.deep.equal([]);
  });

  it('send() to a peer that is gone rejects with the reason, not with Refused (it may come back)', async () => {
    const port = await freePort();
    const gone = { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Gone' };
    const error = await mesh.send(gone, await say('hello?', gone)).catch((e: Error) => e);
    expect(error).to.not.be.instanceOf(Refused);
    expect((error as Error).message).to.equal(`Connection refused by 127.0.0.1:${port}`);
  });

  it('sendBatch() posts several messages in one request; a peer without /messages/ gets them one by one (sendInOrder)', async () => {
    const bob = await startRemote('Bob');
    remotes.push(bob);
    const messages = [await say('one'), await say('two'), await say('three')];
    expect(await mesh.sendBatch(bob.info, messages)).to.deep.equal([null, null, null]);
    expect(bob.shown).to.deep.equal(['one', 'two', 'three'].map((msg) => `[BROADCAST] Alice (127.0.0.1:5001): ${msg}`));

    // A peer of the document's kind: only /broadcast-peer/, so /messages/ is a 404.
    const port = await freePort();
    const got: string[] = [];
    const old = new WeApRous().addRoute('POST', '/broadcast-peer/', (request) => {
      got.push(String((JSON.parse(request.body.toString('utf8')) as { msg: string }).msg));
      return { status: 'received' };
    });
    const backend = await old.prepareAddress('127.0.0.1', port).run();
    try {
      const address = { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port };
      expect(await mesh.sendBatch(address, messages)).to.equal(null); // it takes one per request
      expect(await sendInOrder(mesh, address, messages)).to.deep.equal([null, null, null]);
      expect(await sendInOrder(mesh, address, messages.slice(0, 2))).to.deep.equal([null, null]);
      expect(got).to.deep.equal(['one', 'two', 'three', 'one', 'two']);
    } finally {
      await backend.close();
    }
  });

  it('send() rejects a 4xx with Refused, since sending again cannot help', async () => {
    const bob = await startRemote('Bob');
    remotes.push(bob);
    const wrong = { ...(await say('psst')), channel: 'team' };
    const error = await mesh.send(bob.info, wrong).catch((e: Error) => e);
    expect(error).to.be.instanceOf(Refused);
    expect((error as Error).message).to.equal('Answer 403: This peer is not in #team; it takes broadcasts in #general only');
  });

  it('send() and sendBatch() reject a 409 (not a member yet) as "later", not Refused: the message stays in the outbox', async () => {
    const notYet = { isMember: () => true, admits: async () => false }; // Bob is in #team; Alice not listed yet
    const bob = await startRemote('Bob', () => {}, notYet);
    remotes.push(bob);
    const early = { ...(await say('psst')), channel: 'team' };
    const error = await mesh.send(bob.info, early).catch((e: Error) => e);
    expect(error).to.not.be.instanceOf(Refused);
    expect((error as Error).message).to.equal(
      `Answer 409: ${alice.peer_id} is not a member of #team yet; join it first (POST /add-list/); try again in 5 s`,
    );
    const batch = await mesh.sendBatch(bob.info, [early, { ...(await say('again')), channel: 'team' }]).catch((e: Error) => e);
    expect(batch).to.be.instanceOf(Error);
    expect(batch).to.not.be.instanceOf(Refused);
  });

  it('leave() tells every connected peer, so their lists drop us', async () => {
    remotes.push(await startRemote('Bob'), await startRemote('Jack'));
    for (const remote of remotes) {
      await mesh.connect(remote.info);
      expect(remote.state.isConnected(alice.peer_id)).to.equal(true);
    }
    await mesh.leave();
    for (const remote of remotes) {
      expect(remote.state.isConnected(alice.peer_id)).to.equal(false);
      expect(remote.shown.at(-1)).to.equal('[P2P] Peer disconnected: Alice (127.0.0.1:5001)');
    }
  });

  it('peerUrl() brackets an IPv6 address', () => {
    expect(peerUrl({ ip: '127.0.0.1', port: 5002 })).to.equal('http://127.0.0.1:5002');
    expect(peerUrl({ ip: '127.0.0.1', port: 5002, scheme: 'https' })).to.equal('https://127.0.0.1:5002');
    expect(peerUrl({ ip: '::1', port: 5002 })).to.equal('http://[::1]:5002');
  });
});
