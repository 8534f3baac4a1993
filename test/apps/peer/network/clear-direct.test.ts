/**
 * Two peers with keys never fall back to clear text: a direct message in clear from a sender with a key is
 * refused (403, not stored) at `/send-peer/`, in a batch and in a catch-up page; a listener who strips `enc` gets
 * 401; the document's key-less curl `TestPeer` is still taken. Tests for `apps/peer/network/inbox.ts` and `catch-up.ts`.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../../../daemon/client';
import type { Backend } from '../../../../daemon/backend';
import { History } from '../../../../apps/peer/storage/history';
import { createPeerServer } from '../../../../apps/peer/network/routes';
import { CatchUp } from '../../../../apps/peer/network/catch-up';
import { clearDirectReason } from '../../../../apps/peer/network/inbox';
import type { PeerClient } from '../../../../apps/peer/network/peer-client';
import { ChatState, type PeerInfo } from '../../../../apps/peer/model/peers';
import { Channels } from '../../../../apps/peer/model/channels';
import { EventLog } from '../../../../apps/peer/model/events';
import type { ChatMessage } from '../../../../apps/peer/model/message';
import { Trust } from '../../../../apps/peer/identity/trust';
import { KnownPeers } from '../../../../apps/peer/identity/known-peers';
import { sealMessage } from '../../../../apps/peer/identity/sealed';
import { loadOrCreateIdentity, type Identity } from '../../../../apps/peer/identity/identity';
import { freePort } from '../../child';

const MALLORY: PeerInfo = { peer_id: '127.0.0.1:5006', ip: '127.0.0.1', port: 5006, name: 'Mallory' };
const ALICE: PeerInfo = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
const folders: string[] = [];
const folder = () => {
  const made = mkdtempSync(join(tmpdir(), 'weaprous-clear-'));
  folders.push(made);
  return made;
};

describe('a direct message in clear from a sender with a key', () => {
  const client = new HttpClient({ timeoutMs: 5_000 });
  const [mallory, alice] = [loadOrCreateIdentity(folder()), loadOrCreateIdentity(folder())];
  let bob: { info: PeerInfo; identity: Identity; trust: Trust; history: History; backend: Backend };

  beforeEach(async () => {
    const port = await freePort();
    const info = { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Bob' };
    const identity = loadOrCreateIdentity(folder());
    const history = await History.open(folder(), info, { startedAt: Date.now() });
    // Bob knows Alice; Mallory he meets by her signature, her address confirming her key (`Trust.learn`).
    const askKey = async () => ({ ok: true as const, key: mallory.publicKey });
    const trust = new Trust(identity, new KnownPeers({ [ALICE.peer_id]: alice.publicKey }), () => {}, 'known-peers.json', askKey);
    const backend = await createPeerServer(new ChatState(info), { history, trust }, () => {})
      .prepareAddress('127.0.0.1', port)
      .run();
    bob = { info, identity, trust, history, backend };
  });
  afterEach(async () => {
    await bob.backend.close();
    await bob.history.close();
  });
  after(() => {
    client.close();
    for (const made of folders) rmSync(made, { recursive: true, force: true });
  });

  const post = (path: string, json: unknown) => client.request(`http://127.0.0.1:${bob.info.port}${path}`, { method: 'POST', json });
  /** Every message Bob holds, whichever conversation (`@<the other peer>`) it is in. */
  const stored = () => bob.history.conversations().flatMap((name) => bob.history.recent(name, 10).messages);
  const direct = (from: PeerInfo, n: number, msg = 'meet me at the gate'): ChatMessage => ({
    id: `${from.peer_id}/c-${n}`,
    channel: `@${bob.info.peer_id}`,
    from: from.peer_id,
    name: from.name,
    msg,
    timestamp: Date.now() / 1000,
    clock: n,
  });
  const signed = (by: Identity, message: ChatMessage) => ({ ...message, signature: by.sign(message) });

  it('refuses Mallory signing a clear direct message to Bob: 403 with a sentence, not stored', async () => {
    const res = await post('/send-peer/', signed(mallory, direct(MALLORY, 1)));
    expect([res.status, res.json<{ status: string; error: string }>()]).to.deep.equal([
      403,
      { status: 'error', error: clearDirectReason(MALLORY.peer_id) },
    ]);
    expect(stored()).to.deep.equal([]);
  });

  it('refuses it in a batch, signed as a whole or message by message', async () => {
    const messages = [signed(alice, direct(ALICE, 1))];
    const batch = { messages, to: bob.info.peer_id, time: Date.now() };
    for (const body of [{ ...batch, signature: alice.sign(batch) }, { messages }]) {
      const res = await post('/messages/', body);
      expect(res.json<{ results: unknown[] }>().results).to.deep.equal([
        { status: 'error', code: 403, error: clearDirectReason(ALICE.peer_id) },
      ]);
    }
    expect(stored()).to.deep.equal([]);
  });

  it('refuses a sealed message whose "enc" a listener stripped, signature kept or dropped (401: it is not what Alice signed)', async () => {
    const sealed = signed(alice, sealMessage(direct(ALICE, 2, 'the real text'), bob.identity.boxKey, alice.boxKey));
    const { enc: _enc, ...stripped } = sealed;
    const { signature: _signature, ...unsigned } = stripped;
    for (const body of [stripped, unsigned]) expect((await post('/send-peer/', body)).status).to.equal(401);
    expect(stored()).to.deep.equal([]);
    expect((await post('/send-peer/', sealed)).status).to.equal(200); // the message itself is taken
    expect(stored().map((m) => m.id)).to.deep.equal([sealed.id]);
  });

  it("takes the document's curl TestPeer (no key, no signature) in clear, shown unverified", async () => {
    const body = { from: '127.0.0.1:9999', name: 'TestPeer', msg: 'Hello from curl!', timestamp: 1_700_000_000 };
    expect((await post('/send-peer/', body)).status).to.equal(200);
    const [message] = stored();
    expect(message.msg).to.equal('Hello from curl!');
    expect(bob.trust.authorship(message, bob.info.peer_id)).to.equal('unverified');
  });

  it('leaves out of a catch-up page a clear direct message its keyed sender signed; a sealed one is kept', async () => {
    const sealed = signed(alice, sealMessage(direct(ALICE, 4, 'sealed'), bob.identity.boxKey, alice.boxKey));
    const page = [signed(alice, direct(ALICE, 3, 'in clear')), sealed];
    const pages = { historyPage: async () => ({ messages: page, more: false }) } as unknown as PeerClient;
    const parts = { selfId: bob.info.peer_id, client: pages, channels: new Channels(), history: bob.history, trust: bob.trust };
    await new CatchUp({ ...parts, events: new EventLog(), notify: () => {} }).run(ALICE, []);
    expect(stored().map((m) => m.id)).to.deep.equal([sealed.id]);
  });
});
