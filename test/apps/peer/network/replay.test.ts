/**
 * Replays: what Alice's peer signs when it sends to Bob (a hello, a batch, a history query) is captured on the
 * way and sent again, to Carol or to Bob after the freshness window; each is refused (401, with a sentence).
 * Tests for `notForNow` (apps/signature.ts) as `apps/peer/network/routes.ts` and `inbox.ts` apply it.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../../../daemon/client';
import type { Backend } from '../../../../daemon/backend';
import { History } from '../../../../apps/peer/storage/history';
import { PeerClient } from '../../../../apps/peer/network/peer-client';
import { createPeerServer } from '../../../../apps/peer/network/routes';
import { ChatState, type PeerInfo } from '../../../../apps/peer/model/peers';
import { Trust } from '../../../../apps/peer/identity/trust';
import { KnownPeers } from '../../../../apps/peer/identity/known-peers';
import { loadOrCreateIdentity, type Identity } from '../../../../apps/peer/identity/identity';
import { SIGNED_TIME_WINDOW_MS } from '../../../../apps/signature';
import { freePort } from '../../child';
import { type Captured, tapping } from './tap';

const ALICE: PeerInfo = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
const folders: string[] = [];
const folder = () => {
  const made = mkdtempSync(join(tmpdir(), 'weaprous-replay-'));
  folders.push(made);
  return made;
};

/** A trust that knows `known` (peer id → key) and asks nobody for keys. */
const trustOf = (identity: Identity, known: Record<string, string>) =>
  new Trust(
    identity,
    new KnownPeers(known),
    () => {},
    'known-peers.json',
    async () => ({ ok: false, reason: 'not asked in this test' }),
  );

interface Receiver {
  info: PeerInfo;
  state: ChatState;
  backend: Backend;
  history: History;
}

/** Bob or Carol: a peer server that knows Alice's key, in every channel, admitting every member. */
async function startReceiver(name: string, alice: Identity): Promise<Receiver> {
  const port = await freePort();
  const info = { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name };
  const state = new ChatState(info);
  const history = await History.open(folder(), info, { startedAt: Date.now() });
  const trust = trustOf(loadOrCreateIdentity(folder()), { [ALICE.peer_id]: alice.publicKey });
  const gate = { isMember: () => true, admits: async () => true };
  const backend = await createPeerServer(state, { history, trust, gate }, () => {})
    .prepareAddress('127.0.0.1', port)
    .run();
  return { info, state, backend, history };
}

/** Runs `act` with the clock `ms` ahead: the moment a captured copy is replayed, after the freshness window. */
async function later<T>(ms: number, act: () => Promise<T>): Promise<T> {
  const realNow = Date.now;
  Date.now = () => realNow() + ms;
  try {
    return await act();
  } finally {
    Date.now = realNow;
  }
}

describe('replayed signed requests', () => {
  const client = new HttpClient({ timeoutMs: 5_000 });
  let alice: Identity;
  let bob: Receiver;
  let carol: Receiver;
  /** What Alice's peer sent, as it went: the URL and the JSON body. */
  let captured: Captured[];
  let mesh: PeerClient;

  beforeEach(async () => {
    alice = loadOrCreateIdentity(folder());
    bob = await startReceiver('Bob', alice);
    carol = await startReceiver('Carol', alice);
    const tapped = tapping(client);
    captured = tapped.captured;
    mesh = new PeerClient(tapped.tap, new ChatState(ALICE), trustOf(alice, {}));
  });
  afterEach(async () => {
    for (const peer of [bob, carol]) {
      await peer.backend.close();
      await peer.history.close();
    }
  });
  after(() => {
    client.close();
    for (const made of folders) rmSync(made, { recursive: true, force: true });
  });

  const post = (to: Receiver, path: string, json: unknown) =>
    client.request(`http://127.0.0.1:${to.info.port}${path}`, { method: 'POST', json });
  const refusal = (res: { status: number; json<T>(): T }) => [res.status, res.json<{ error: string }>().error];
  const notForCarol = () =>
    `This signed request names "${bob.info.peer_id}", not this peer ("to" must be "${carol.info.peer_id}"): a copy sent to another peer is refused`;
  const stale = /^"time" is 36\d s away from this peer's clock \(at most 300 s\): a request replayed later/;

  it('refuses a hello sent to Bob and replayed to Carol, or to Bob after the window; the hello itself connects', async () => {
    await mesh.connect(bob.info);
    expect(bob.state.isConnected(ALICE.peer_id)).to.equal(true);
    const hello = captured[0].json as Record<string, unknown>;
    expect([hello.to, typeof hello.time]).to.deep.equal([bob.info.peer_id, 'number']);
    expect(refusal(await post(carol, '/connect-peer/', hello))).to.deep.equal([401, notForCarol()]);
    expect(carol.state.isConnected(ALICE.peer_id)).to.equal(false);
    const replayed = await later(SIGNED_TIME_WINDOW_MS + 60_000, () => post(bob, '/connect-peer/', hello));
    expect(replayed.status).to.equal(401);
    expect(replayed.json<{ error: string }>().error).to.match(stale);
  });

  it("refuses a batch's envelope sent to Bob and replayed to Carol, or to Bob after the window; the batch itself is taken", async () => {
    const message = {
      id: `${ALICE.peer_id}/r-1`,
      channel: 'general',
      from: ALICE.peer_id,
      name: 'Alice',
      msg: 'hi',
      timestamp: 1,
      clock: 1,
    };
    expect(await mesh.sendBatch(bob.info, [message])).to.deep.equal([null]);
    expect(bob.history.recent('general', 10).messages.map((m) => m.msg)).to.deep.equal(['hi']);
    const batch = captured[0].json as Record<string, unknown>;
    expect(refusal(await post(carol, '/messages/', batch))).to.deep.equal([401, notForCarol()]);
    const replayed = await later(SIGNED_TIME_WINDOW_MS + 60_000, () => post(bob, '/messages/', batch));
    expect(replayed.json<{ error: string }>().error).to.match(stale);
    // A message itself may be passed on (catch-up does): signed by Alice alone, Carol takes it, once.
    expect((await post(carol, '/broadcast-peer/', (batch.messages as unknown[])[0])).status).to.equal(200);
  });

  it('refuses a history query sent to Bob and replayed to Carol, or to Bob after the window; the query itself is answered', async () => {
    expect(await mesh.historyPage(bob.info, 'team', { since: -1 })).to.deep.equal({ messages: [], more: false });
    const url = new URL(captured[0].url);
    expect(url.searchParams.get('to')).to.equal(bob.info.peer_id);
    const toCarol = await client.request(`http://127.0.0.1:${carol.info.port}${url.pathname}${url.search}`);
    expect(refusal(toCarol)).to.deep.equal([401, notForCarol()]);
    const replayed = await later(SIGNED_TIME_WINDOW_MS + 60_000, () => client.request(url.href));
    expect(replayed.status).to.equal(401);
    expect(replayed.json<{ error: string }>().error).to.match(stale);
  });

  it('refuses a goodbye sent to Bob and replayed to Carol, or to Bob after the window', async () => {
    for (const peer of [bob, carol]) peer.state.connect(ALICE);
    await mesh.connect(bob.info);
    captured.length = 0; // only what leaving sends
    await mesh.leave();
    const goodbye = captured.find((sent) => sent.url.endsWith('/disconnect-peer/'))?.json;
    expect(bob.state.isConnected(ALICE.peer_id)).to.equal(false);
    expect(refusal(await post(carol, '/disconnect-peer/', goodbye))).to.deep.equal([401, notForCarol()]);
    expect(carol.state.isConnected(ALICE.peer_id)).to.equal(true);
    bob.state.connect(ALICE);
    const replayed = await later(SIGNED_TIME_WINDOW_MS + 60_000, () => post(bob, '/disconnect-peer/', goodbye));
    expect(replayed.json<{ error: string }>().error).to.match(stale);
    expect(bob.state.isConnected(ALICE.peer_id)).to.equal(true);
  });

  it("keeps the document's unsigned curl bodies working: no to, no time", async () => {
    const hello = { ip: '127.0.0.1', port: 9001, peer_id: '127.0.0.1:9001', name: 'TestPeer' };
    expect((await post(carol, '/connect-peer/', hello)).status).to.equal(200);
    const batch = { messages: [{ from: '127.0.0.1:9001', msg: 'hello' }] };
    const taken = await post(carol, '/messages/', batch);
    expect(taken.json<{ results: Array<{ status: string }> }>().results).to.deep.equal([{ status: 'received' }]);
    expect((await client.request(`http://127.0.0.1:${carol.info.port}/history/?channel=general&since=-1`)).status).to.equal(200);
  });
});
