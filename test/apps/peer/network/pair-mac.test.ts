/**
 * The pair's MAC on the wire: Alice's peer posts its messages to Bob with `Authorization: Pair <mac>` once it
 * knows Bob's box key, and Bob takes them on that one HMAC, without verifying a signature. Then the attacks: a
 * changed body, a copy sent to Carol, a MAC made with another pair's key, a claim to be Alice under Mallory's
 * key, a replayed batch; each is refused with 401 and a sentence, and nothing is stored. Tests for
 * `identity/pair-keys.ts` as `network/peer-client.ts` sends and `network/inbox.ts` checks it.
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
import { pairAuthorization, pairKey } from '../../../../apps/peer/identity/pair-keys';
import { boxKeyBody } from '../../../../apps/peer/identity/envelope';
import { SIGNED_TIME_WINDOW_MS } from '../../../../apps/signature';
import type { ChatMessage } from '../../../../apps/peer/model/message';
import { freePort } from '../../child';
import { type Captured, tapping } from './tap';

const ALICE: PeerInfo = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
const MALLORY: PeerInfo = { peer_id: '127.0.0.1:5066', ip: '127.0.0.1', port: 5066, name: 'Mallory' };

/** A trust that knows `peers` (their keys and box keys) and asks nobody for keys. */
function trustOf(identity: Identity, peers: Array<{ id: string; identity: Identity }>): Trust {
  const known = new KnownPeers(Object.fromEntries(peers.map((peer) => [peer.id, peer.identity.publicKey])));
  const trust = new Trust(
    identity,
    known,
    () => {},
    'known-peers.json',
    async () => ({ ok: false, reason: 'not asked in this test' }),
  );
  for (const peer of peers) trust.rememberBox(peer.id, { box_key: peer.identity.boxKey, box_key_signature: peer.identity.boxKeySignature });
  return trust;
}

interface Receiver {
  info: PeerInfo;
  identity: Identity;
  trust: Trust;
  backend: Backend;
  history: History;
  /** How many signatures its trust checked (`Trust.check`: a message's, or a batch's). */
  checks: () => number;
}

describe('the pair MAC on messages between two peers', () => {
  const client = new HttpClient({ timeoutMs: 5_000 });
  const folders: string[] = [];
  const folder = () => {
    const made = mkdtempSync(join(tmpdir(), 'weaprous-pair-mac-'));
    folders.push(made);
    return made;
  };
  let alice: Identity;
  let mallory: Identity;
  let bob: Receiver;
  let carol: Receiver;
  /** What Alice's peer sent, as it went. */
  let captured: Captured[];
  let mesh: PeerClient;
  let clock = 0;

  /** Bob or Carol: a peer server that knows Alice's and Mallory's keys and box keys, in every channel. */
  async function startReceiver(name: string, knowsAlicesBoxKey = true): Promise<Receiver> {
    const port = await freePort();
    const info = { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name };
    const identity = loadOrCreateIdentity(folder());
    const trust = knowsAlicesBoxKey
      ? trustOf(identity, [
          { id: ALICE.peer_id, identity: alice },
          { id: MALLORY.peer_id, identity: mallory },
        ])
      : new Trust(
          identity,
          new KnownPeers({ [ALICE.peer_id]: alice.publicKey }),
          () => {},
          'k.json',
          async () => ({ ok: false, reason: 'no' }),
        );
    let checks = 0;
    const check = trust.check.bind(trust);
    trust.check = (...args) => (checks++, check(...args));
    const history = await History.open(folder(), info, { startedAt: Date.now() });
    const gate = { isMember: () => true, admits: async () => true };
    const backend = await createPeerServer(new ChatState(info), { history, trust, gate }, () => {})
      .prepareAddress('127.0.0.1', port)
      .run();
    return { info, identity, trust, backend, history, checks: () => checks };
  }

  /** A message of Alice's, signed by her key as her peer stores it. */
  const message = (msg: string, aliceTrust: Trust): ChatMessage => {
    clock += 1;
    const made = { id: `${ALICE.peer_id}/p-${clock}`, channel: 'general', from: ALICE.peer_id, name: 'Alice', msg, timestamp: 1, clock };
    return aliceTrust.sign(made);
  };
  const post = (to: Receiver, path: string, body: Buffer, authorization?: string) =>
    client.request(`http://127.0.0.1:${to.info.port}${path}`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', ...(authorization ? { Authorization: authorization } : {}) },
    });
  const refusal = (res: { status: number; json<T>(): T }) => [res.status, res.json<{ error: string }>().error];
  const texts = (receiver: Receiver) => receiver.history.recent('general', 100).messages.map((m) => m.msg);
  const notAlicesMac = `The Authorization header is not ${ALICE.peer_id}'s MAC of this request to this peer; refused`;

  let aliceTrust: Trust;
  before(() => {
    alice = loadOrCreateIdentity(folder());
    mallory = loadOrCreateIdentity(folder());
  });
  beforeEach(async () => {
    bob = await startReceiver('Bob');
    carol = await startReceiver('Carol');
    aliceTrust = trustOf(alice, [
      { id: bob.info.peer_id, identity: bob.identity },
      { id: carol.info.peer_id, identity: carol.identity },
    ]);
    const tapped = tapping(client);
    captured = tapped.captured;
    mesh = new PeerClient(tapped.tap, new ChatState(ALICE), aliceTrust);
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

  it('sends a message with "Authorization: Pair <mac>"; the receiver stores it, verified, without checking a signature', async () => {
    await mesh.send(bob.info, message('hi Bob', aliceTrust));
    expect(captured[0].headers.Authorization).to.match(/^Pair [A-Za-z0-9+/]{43}=$/);
    expect(texts(bob)).to.deep.equal(['hi Bob']);
    expect(bob.checks()).to.equal(0);
    const [stored] = bob.history.recent('general', 10).messages;
    expect(stored.signature, 'its own signature is kept, for catch-up').to.be.a('string');
    expect(bob.trust.authorship(stored, bob.info.peer_id)).to.equal('verified');
  });

  it('sends a batch with the MAC and no signature of its own: one HMAC stands for all its messages', async () => {
    const results = await mesh.sendBatch(bob.info, [message('one', aliceTrust), message('two', aliceTrust), message('three', aliceTrust)]);
    expect(results).to.deep.equal([null, null, null]);
    const sent = JSON.parse(String(captured[0].body));
    expect([sent.signature, sent.to, typeof sent.time]).to.deep.equal([undefined, bob.info.peer_id, 'number']);
    expect(texts(bob)).to.deep.equal(['one', 'two', 'three']);
    expect(bob.checks()).to.equal(0);
  });

  it('refuses the request with one byte of its body changed (401), and stores nothing', async () => {
    await mesh.send(bob.info, message('pay Alice 10', aliceTrust));
    const { url, headers, body } = captured[0];
    const changed = Buffer.from(String(body).replace('pay Alice 10', 'pay Alice 90'));
    const other = await startReceiver('Dave');
    try {
      // Dave never saw the original: only the changed copy arrives, and it is refused.
      expect(refusal(await post(other, new URL(url).pathname, changed, headers.Authorization))).to.deep.equal([401, notAlicesMac]);
      expect(texts(other)).to.deep.equal([]);
    } finally {
      await other.backend.close();
      await other.history.close();
    }
  });

  it("refuses a copy of Alice's request to Bob sent to Carol, and a batch replayed to Bob after the window", async () => {
    await mesh.sendBatch(bob.info, [message('for Bob only', aliceTrust)]);
    const { headers, body } = captured[0];
    expect(refusal(await post(carol, '/messages/', body, headers.Authorization))).to.deep.equal([401, notAlicesMac]);
    expect(texts(carol)).to.deep.equal([]);
    const realNow = Date.now;
    Date.now = () => realNow() + SIGNED_TIME_WINDOW_MS + 60_000;
    try {
      const replayed = await post(bob, '/messages/', body, headers.Authorization);
      expect(replayed.status).to.equal(401);
      expect(replayed.json<{ error: string }>().error).to.match(/^"time" is 36\d s away from this peer's clock/);
    } finally {
      Date.now = realNow;
    }
  });

  it("refuses a message that claims to be Alice's under Mallory's pair key, or under Alice's key with Carol", async () => {
    // Mallory is a peer Bob knows; she writes a message in Alice's name, signed by nobody, MACed with her own pair key.
    const forged = {
      id: `${ALICE.peer_id}/p-999`,
      channel: 'general',
      from: ALICE.peer_id,
      name: 'Alice',
      msg: 'I owe Mallory',
      timestamp: 1,
      clock: 999,
    };
    const body = Buffer.from(JSON.stringify(forged));
    const request = { from: ALICE.peer_id, to: bob.info.peer_id, method: 'POST', path: '/broadcast-peer/', body };
    const mallorysKey = pairKey(
      mallory.agree(bob.identity.boxKey),
      { id: MALLORY.peer_id, boxKey: mallory.boxKey },
      { id: bob.info.peer_id, boxKey: bob.identity.boxKey },
    );
    const withMallorys = pairAuthorization(mallorysKey, request);
    expect(refusal(await post(bob, '/broadcast-peer/', body, withMallorys))).to.deep.equal([401, notAlicesMac]);
    const withCarols = pairAuthorization(aliceTrust.pairKeyWith(ALICE.peer_id, carol.info.peer_id) as Buffer, request);
    expect(refusal(await post(bob, '/broadcast-peer/', body, withCarols))).to.deep.equal([401, notAlicesMac]);
    // No MAC at all: the signature decides, and there is none.
    expect((await post(bob, '/broadcast-peer/', body)).status).to.equal(401);
    expect(texts(bob)).to.deep.equal([]);
  });

  it('takes a message by its signature at a receiver with no box key for the sender, or with a header of another scheme', async () => {
    const dave = await startReceiver('Dave', false);
    try {
      const daveTrust = trustOf(alice, [{ id: dave.info.peer_id, identity: dave.identity }]);
      const toDave = new PeerClient(client, new ChatState(ALICE), daveTrust);
      await toDave.send(dave.info, message('by signature', aliceTrust));
      expect([texts(dave), dave.checks()]).to.deep.equal([['by signature'], 1]);
      const signed = Buffer.from(JSON.stringify(message('basic', aliceTrust)));
      expect((await post(bob, '/broadcast-peer/', signed, 'Basic YWxpY2U6c2VjcmV0')).status).to.equal(200);
      expect([texts(bob), bob.checks()]).to.deep.equal([['basic'], 1]);
    } finally {
      await dave.backend.close();
      await dave.history.close();
    }
  });
  it('refuses an Authorization header that names Pair but carries no MAC, such as two headers joined (401)', async () => {
    await mesh.send(bob.info, message('first', aliceTrust));
    const { headers } = captured[0];
    const body = Buffer.from(JSON.stringify(message('twice', aliceTrust)));
    const joined = `${headers.Authorization}, ${headers.Authorization}`;
    const said = 'The Authorization header names Pair but carries no MAC (44 characters of base64); refused';
    expect(refusal(await post(bob, '/broadcast-peer/', body, joined))).to.deep.equal([401, said]);
    expect(refusal(await post(bob, '/broadcast-peer/', body, 'Pair'))).to.deep.equal([401, said]);
    // The same on /messages/, for a batch from a sender without a key too, whose MAC would never be looked at.
    const keyless = Buffer.from(JSON.stringify({ messages: [{ from: '127.0.0.1:9001', msg: 'curl', timestamp: 1 }] }));
    expect(refusal(await post(bob, '/messages/', keyless, joined))).to.deep.equal([401, said]);
    expect(texts(bob)).to.deep.equal(['first']);
  });

  it('sends once more on the signature alone when the receiver holds an old box key of the sender, and it is taken', async () => {
    // Dave remembers a box key Alice once signed, not the one she holds now: the MAC cannot check there.
    const dave = await startReceiver('Dave', false);
    try {
      const old = loadOrCreateIdentity(folder()).boxKey;
      expect(dave.trust.rememberBox(ALICE.peer_id, { box_key: old, box_key_signature: alice.sign(boxKeyBody(old)) })).to.equal(true);
      const daveTrust = trustOf(alice, [{ id: dave.info.peer_id, identity: dave.identity }]);
      const toDave = new PeerClient(client, new ChatState(ALICE), daveTrust);
      await toDave.send(dave.info, message('still arrives', aliceTrust));
      expect(await toDave.sendBatch(dave.info, [message('and a batch', aliceTrust)])).to.deep.equal([null]);
      expect([texts(dave), dave.checks()]).to.deep.equal([['still arrives', 'and a batch'], 2]);
    } finally {
      await dave.backend.close();
      await dave.history.close();
    }
  });

  it('refuses a box key no key agreement works with (a low-order point): its owner is judged by signatures, never a 500', async () => {
    const zero = Buffer.alloc(32).toString('base64');
    const lowOrder = { box_key: zero, box_key_signature: mallory.sign(boxKeyBody(zero)) };
    expect(bob.trust.rememberBox(MALLORY.peer_id, lowOrder)).to.equal(false);
    // A peer Bob knows with such a key (as an older version kept it): the agreement fails, the key is "none".
    const broken: Identity = {
      ...bob.identity,
      agree: () => {
        throw new Error('error:1C8000C5:Provider routines::failed during derivation');
      },
    };
    const trust = trustOf(broken, [{ id: ALICE.peer_id, identity: alice }]);
    expect(trust.pairKeyWith(bob.info.peer_id, ALICE.peer_id)).to.equal(undefined);
    // And on the wire: Mallory's unsigned message under a made-up MAC is a 401, not a 500.
    const forged = Buffer.from(
      JSON.stringify({ id: `${MALLORY.peer_id}/z-1`, channel: 'general', from: MALLORY.peer_id, msg: 'x', timestamp: 1, clock: 1 }),
    );
    const made = pairAuthorization(Buffer.alloc(32), {
      from: MALLORY.peer_id,
      to: bob.info.peer_id,
      method: 'POST',
      path: '/broadcast-peer/',
      body: forged,
    });
    expect((await post(bob, '/broadcast-peer/', forged, made)).status).to.equal(401);
  });
});
