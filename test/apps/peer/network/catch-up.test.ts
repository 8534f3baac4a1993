/**
 * Catch-up from several peers at once: two peers answering the same history, at the same time, bring each
 * message once, and the notices count it once. Catch-up by place: a message a peer stores late, with a clock far
 * below what was read from it, still comes at the next catch-up; a new history file there is read from its start.
 * Tests for `apps/peer/network/catch-up.ts`.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { History } from '../../../../apps/peer/storage/history';
import { CatchUp } from '../../../../apps/peer/network/catch-up';
import type { PeerClient } from '../../../../apps/peer/network/peer-client';
import type { PeerInfo } from '../../../../apps/peer/model/peers';
import { Channels } from '../../../../apps/peer/model/channels';
import { EventLog } from '../../../../apps/peer/model/events';
import type { Notice } from '../../../../apps/peer/model/notices';
import { Trust } from '../../../../apps/peer/identity/trust';
import { KnownPeers } from '../../../../apps/peer/identity/known-peers';
import { loadOrCreateIdentity } from '../../../../apps/peer/identity/identity';
import { HttpClient } from '../../../../daemon/client';
import { PeerClient as RealPeerClient } from '../../../../apps/peer/network/peer-client';
import { createPeerServer } from '../../../../apps/peer/network/routes';
import { ChatState } from '../../../../apps/peer/model/peers';
import { CatchUpCursors } from '../../../../apps/peer/storage/cursors';
import { HISTORY_FILE } from '../../../../apps/peer/storage/store';
import { freePort } from '../../child';

const ALICE: PeerInfo = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
const BOB: PeerInfo = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, name: 'Bob' };
const JACK: PeerInfo = { peer_id: '127.0.0.1:5003', ip: '127.0.0.1', port: 5003, name: 'Jack' };

/** 14 messages of #general written by a key-less peer, as Bob and Jack both hold them. */
const HELD = Array.from({ length: 14 }, (_, i) => ({
  id: `127.0.0.1:9001/t-${i + 1}`,
  channel: 'general',
  from: '127.0.0.1:9001',
  name: 'TestPeer',
  msg: `message ${i + 1}`,
  timestamp: 1_699_680_000 + i,
  clock: i + 1,
}));

describe('CatchUp', () => {
  const folders = [mkdtempSync(join(tmpdir(), 'weaprous-catchup-')), mkdtempSync(join(tmpdir(), 'weaprous-catchup-'))];
  after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  it('counts each message once when two peers answer the same history at the same time', async () => {
    const history = await History.open(folders[0], ALICE, { startedAt: Date.now() });
    const noKey = async () => ({ ok: false as const, reason: 'no key' });
    const trust = new Trust(loadOrCreateIdentity(folders[1]), new KnownPeers({}), () => {}, 'known-peers.json', noKey);
    // Both answer one page, after a pause, so the two catch-ups store the same messages at the same time.
    const client = {
      historyPage: async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return { messages: HELD, more: false };
      },
    } as unknown as PeerClient;
    const notices: Notice[] = [];
    const parts = { selfId: ALICE.peer_id, client, channels: new Channels(), history, trust, events: new EventLog() };
    const catchUp = new CatchUp({ ...parts, notify: (notice) => notices.push(notice) });
    await Promise.all([catchUp.run(BOB), catchUp.run(JACK)]);
    const added = notices.map((notice) => (notice.kind === 'caught-up' ? notice.added : 0));
    expect(added.reduce((sum, n) => sum + n, 0)).to.equal(14);
    expect(history.recent('general', 100).total).to.equal(14);
    await history.close();
  });

  it('checks the signature of a message it does not hold, not of a copy of one it holds (a heal brings many copies)', async () => {
    const writer = loadOrCreateIdentity(folders[1]);
    const signer = new Trust(
      writer,
      new KnownPeers({}),
      () => {},
      'known-peers.json',
      async () => ({ ok: false as const, reason: 'no' }),
    );
    const signed = HELD.map((message) => signer.sign({ ...message, from: JACK.peer_id, id: `${JACK.peer_id}/s-${message.clock}` }));
    const dir = mkdtempSync(join(tmpdir(), 'weaprous-catchup-'));
    const history = await History.open(dir, ALICE, { startedAt: Date.now() });
    const noKey = async () => ({ ok: false as const, reason: 'no key' });
    const trust = new Trust(
      loadOrCreateIdentity(folders[0]),
      new KnownPeers({ [JACK.peer_id]: writer.publicKey }),
      () => {},
      'k.json',
      noKey,
    );
    let checked = 0;
    const authorship = trust.authorship.bind(trust);
    trust.authorship = (...args) => (checked++, authorship(...args));
    const client = { historyPage: async () => ({ messages: signed, more: false }) } as unknown as PeerClient;
    const parts = { selfId: ALICE.peer_id, client, channels: new Channels(), history, trust, events: new EventLog() };
    const catchUp = new CatchUp({ ...parts, notify: () => {} });
    await catchUp.run(BOB);
    await catchUp.run(JACK);
    await history.close();
    rmSync(dir, { recursive: true, force: true });
    expect([history.recent('general', 100).total, checked]).to.deep.equal([14, 14]);
  });

  describe('by place in the answering history', () => {
    const made: string[] = [];
    const folder = () => {
      made.push(mkdtempSync(join(tmpdir(), 'weaprous-catchup-')));
      return made[made.length - 1];
    };
    const http = new HttpClient({ timeoutMs: 5_000 });
    /** What each test started, stopped after it whatever it found. */
    let running: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      await Promise.all(running.map((stop) => stop()));
      running = [];
    });
    after(() => {
      http.close();
      made.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
    });

    /** Bob: a real peer server over its history, key-less (the document's kind), answering #general to anyone. */
    async function startBob(dir: string, port?: number) {
      port ??= await freePort();
      const info: PeerInfo = { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Bob' };
      const history = await History.open(dir, info, { startedAt: Date.now() });
      const gate = { isMember: () => true, admits: async () => true };
      const backend = await createPeerServer(new ChatState(info), { history, gate }, () => {})
        .prepareAddress('127.0.0.1', port)
        .run();
      let stopped: Promise<void> | undefined;
      const stop = () => (stopped ??= backend.close().then(() => history.close()));
      running.push(stop);
      return { info, history, stop };
    }

    /** Alice's catch-up of #general, through the real client, with cursors kept in her data folder. */
    async function startAlice() {
      const dir = folder();
      const history = await History.open(dir, ALICE, { startedAt: Date.now() });
      const noKey = async () => ({ ok: false as const, reason: 'no key' });
      const trust = new Trust(loadOrCreateIdentity(folder()), new KnownPeers({}), () => {}, 'known-peers.json', noKey);
      const client = new RealPeerClient(http, new ChatState(ALICE), null);
      const parts = { selfId: ALICE.peer_id, client, channels: new Channels(), history, trust, events: new EventLog() };
      const catchUp = new CatchUp({ ...parts, notify: () => {}, cursors: new CatchUpCursors(dir) });
      const texts = () => history.recent('general', 1_000).messages.map((m) => m.msg);
      running.push(() => history.close());
      return { history, catchUp, texts };
    }

    const from = (writer: string, text: string, clock: number) => ({
      id: `${writer}/t-${clock}`,
      channel: 'general',
      from: writer,
      name: writer,
      msg: text,
      timestamp: 1_699_680_000 + clock,
      clock,
    });

    it('brings a message Bob stored after the last catch-up with a clock far below the one read from him (a sender cut off until then)', async () => {
      const bob = await startBob(folder());
      const alice = await startAlice();
      for (let clock = 200; clock < 230; clock++) await bob.history.acceptQuietly(from('127.0.0.1:9003', `carol ${clock}`, clock));
      await alice.catchUp.run(bob.info);
      expect(alice.texts()).to.have.length(30);
      await bob.history.acceptQuietly(from('127.0.0.1:9004', 'dave, back after the cut', 50));
      await alice.catchUp.run(bob.info);
      expect(alice.texts()).to.include('dave, back after the cut');
      expect(alice.texts()).to.have.length(31);
    });

    it('reads a new history file at Bob from its start, not from the place read in the old one', async () => {
      const dir = folder();
      let bob = await startBob(dir);
      const alice = await startAlice();
      for (let clock = 1; clock <= 20; clock++) await bob.history.acceptQuietly(from('127.0.0.1:9003', `old ${clock}`, clock));
      await alice.catchUp.run(bob.info);
      await bob.stop();
      rmSync(join(dir, HISTORY_FILE)); // Bob's owner began again, on the same port
      bob = await startBob(dir, bob.info.port);
      await bob.history.acceptQuietly(from('127.0.0.1:9003', 'new 1', 1));
      await alice.catchUp.run(bob.info);
      expect(alice.texts()).to.include('new 1');
    });
  });
});
