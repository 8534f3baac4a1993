/**
 * Discovery against a slow peer: Bob checks a new peer's key by asking its address (`GET /identity/`), and Alice
 * answers that too slowly the first time, so Bob refuses her first hello (401). Discovery tries the meeting
 * again, with growing waits, and they meet. Tests for `apps/peer/network/discovery.ts` with a real Bob.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../../../daemon/client';
import type { Backend } from '../../../../daemon/backend';
import { KeyOwners } from '../../../../apps/owner';
import type { Delivery } from '../../../../apps/peer/delivery/delivery';
import { loadOrCreateIdentity } from '../../../../apps/peer/identity/identity';
import { KnownPeers } from '../../../../apps/peer/identity/known-peers';
import { Trust } from '../../../../apps/peer/identity/trust';
import { ChatState } from '../../../../apps/peer/model/peers';
import type { CatchUp } from '../../../../apps/peer/network/catch-up';
import { Discovery, type Meeting } from '../../../../apps/peer/network/discovery';
import { PeerClient } from '../../../../apps/peer/network/peer-client';
import { createPeerServer } from '../../../../apps/peer/network/routes';
import type { TrackerSession } from '../../../../apps/peer/network/session';
import type { TrackerClient } from '../../../../apps/peer/network/tracker-client';
import { History } from '../../../../apps/peer/storage/history';
import { freePort } from '../../child';

describe('Discovery with a peer slow to answer its identity check', () => {
  const client = new HttpClient({ timeoutMs: 5_000 });
  const folders: string[] = [];
  const folder = () => {
    folders.push(mkdtempSync(join(tmpdir(), 'weaprous-discovery-')));
    return folders.at(-1)!;
  };
  let bobBackend: Backend;
  let bobHistory: History;
  let slow: Server;
  after(async () => {
    await bobBackend?.close();
    await bobHistory?.close();
    slow?.close();
    client.close();
    for (const made of folders) rmSync(made, { recursive: true, force: true });
  });

  it('tries a meeting refused by a slow identity check again, and meets (it did not before: the pair met only at /discover)', async () => {
    const alice = loadOrCreateIdentity(folder());
    // Alice's address answers GET /identity/ after 600 ms the first time (busy), at once afterwards.
    let asked = 0;
    slow = createServer((_req, res) => {
      const answer = () => res.end(JSON.stringify({ status: 'ok', public_key: alice.publicKey }));
      if (asked++ === 0) setTimeout(answer, 600);
      else answer();
    });
    await new Promise<void>((done) => slow.listen(0, '127.0.0.1', done));
    const alicePort = (slow.address() as { port: number }).port;
    const aliceInfo = { peer_id: `127.0.0.1:${alicePort}`, ip: '127.0.0.1', port: alicePort, name: 'Alice' };

    // Bob, for real: his check of a new key gives up after 200 ms (1 s in the peer), so Alice's first hello gets 401.
    const bobPort = await freePort();
    const bobInfo = { peer_id: `127.0.0.1:${bobPort}`, ip: '127.0.0.1', port: bobPort, name: 'Bob' };
    const bobState = new ChatState(bobInfo);
    bobHistory = await History.open(folder(), bobInfo, { startedAt: Date.now() });
    const owners = new KeyOwners(client, 200);
    const bobTrust = new Trust(
      loadOrCreateIdentity(folder()),
      new KnownPeers({}),
      () => {},
      'known-peers.json',
      (a, s) => owners.keyAt(a, s),
    );
    bobBackend = await createPeerServer(bobState, { history: bobHistory, trust: bobTrust }, () => {})
      .prepareAddress('127.0.0.1', bobPort)
      .run();

    const aliceState = new ChatState(aliceInfo);
    const aliceTrust = new Trust(
      alice,
      new KnownPeers({}),
      () => {},
      'known-peers.json',
      async () => ({ ok: false, reason: 'unused' }),
    );
    const peers = new PeerClient(client, aliceState, aliceTrust);
    const missed: string[] = [];
    const delivery = { expect: () => {}, reached: () => {}, retryNow: () => {}, missed: (_id: string, why: string) => missed.push(why) };
    const discovery = new Discovery({
      state: aliceState,
      tracker: { list: async () => [{ ip: '127.0.0.1', port: bobPort, peer_id: bobInfo.peer_id }] } as unknown as TrackerClient,
      session: {} as TrackerSession,
      client: peers,
      delivery: delivery as unknown as Delivery,
      catchUp: { run: async () => {} } as unknown as CatchUp,
      background: () => {},
      retryMs: [300, 600, 1_200],
    });
    let onLate: (meeting: Meeting) => void = () => {};
    const late = new Promise<Meeting>((done) => (onLate = done));
    const found = await discovery.connect('start', onLate);
    const first = found.ok ? found.meetings[0] : undefined;
    expect(first && 'reason' in first && first.reason).to.match(/^Answer 401\b/);
    expect(missed).to.have.length(1);
    const meeting = await late;
    expect('peer' in meeting && meeting.peer.name).to.equal('Bob');
    expect(aliceState.isConnected(bobInfo.peer_id)).to.equal(true);
    expect(bobState.isConnected(aliceInfo.peer_id)).to.equal(true);
  });

  it('does not try again an address that did not answer, nor one that refused for good', async () => {
    const reasons = ['Connection refused by 127.0.0.1:9', 'Answer 400: "ip" is wrong'];
    let calls = 0;
    const peers = {
      connectAll: async (targets: Array<{ peer_id: string }>, onEach: (t: unknown, r: PromiseSettledResult<never>, ms: number) => void) => {
        calls += 1;
        targets.forEach((target, i) => onEach(target, { status: 'rejected', reason: new Error(reasons[i]) }, 1));
        return [];
      },
    };
    const entries = reasons.map((_, i) => ({ ip: '127.0.0.1', port: 9 + i, peer_id: `127.0.0.1:${9 + i}` }));
    const discovery = new Discovery({
      state: new ChatState({ peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' }),
      tracker: { list: async () => entries } as unknown as TrackerClient,
      session: {} as TrackerSession,
      client: peers as unknown as PeerClient,
      delivery: { expect: () => {}, missed: () => {} } as unknown as Delivery,
      catchUp: {} as CatchUp,
      background: () => {},
      retryMs: [10, 10],
    });
    await discovery.connect('start');
    await new Promise((done) => setTimeout(done, 100));
    expect(calls).to.equal(1);
  });

  it('meets again, after a heartbeat, a listed peer it knows the key of and is not connected to; never a stranger', async () => {
    const entries = ['127.0.0.1:5002', '127.0.0.1:5003', '127.0.0.1:5004'].map((peer_id) => ({
      ip: '127.0.0.1',
      port: Number(peer_id.slice(10)),
      peer_id,
    }));
    const asked: string[][] = [];
    const peers = {
      connectAll: async (targets: Array<{ peer_id: string; ip: string; port: number }>) => {
        asked.push(targets.map((t) => t.peer_id));
        return targets.map((t) => ({ status: 'fulfilled', value: { ...t, name: 'Bob' } }));
      },
    };
    const state = new ChatState({ peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' });
    state.connect({ peer_id: '127.0.0.1:5004', ip: '127.0.0.1', port: 5004, name: 'Jack' }); // connected already
    const caughtUp: string[] = [];
    const discovery = new Discovery({
      state,
      tracker: { list: async () => entries } as unknown as TrackerClient,
      session: {} as TrackerSession,
      client: peers as unknown as PeerClient,
      delivery: { reached: () => {}, retryNow: () => {} } as unknown as Delivery,
      catchUp: { run: async (peer: { peer_id: string }) => void caughtUp.push(peer.peer_id) } as unknown as CatchUp,
      background: (task) => void task(),
      isProven: (id) => id !== '127.0.0.1:5003', // 5003: never met, key unknown
    });
    const met: Meeting[] = [];
    await discovery.meetAgain((meeting) => met.push(meeting));
    expect(asked).to.deep.equal([['127.0.0.1:5002']]);
    expect(met.map((m) => m.peerId)).to.deep.equal(['127.0.0.1:5002']);
    expect(caughtUp).to.deep.equal(['127.0.0.1:5002']); // the meeting catches up what was said meanwhile
  });

  it('meets again a connected peer owed a meeting (it missed a message no outbox holds), once', async () => {
    const bob = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, name: 'Bob' };
    const jack = { peer_id: '127.0.0.1:5004', ip: '127.0.0.1', port: 5004, name: 'Jack' };
    const asked: string[][] = [];
    const state = new ChatState({ peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' });
    const peers = {
      connectAll: async (targets: Array<typeof bob>) => {
        asked.push(targets.map((t) => t.peer_id));
        return targets.map((t) => (state.connect(t), { status: 'fulfilled', value: t })); // a hello answered connects
      },
    };
    state.connect(bob);
    state.connect(jack);
    state.owe(bob.peer_id);
    const caughtUp: string[] = [];
    const discovery = new Discovery({
      state,
      tracker: { list: async () => [bob, jack] } as unknown as TrackerClient,
      session: {} as TrackerSession,
      client: peers as unknown as PeerClient,
      delivery: { reached: () => {}, retryNow: () => {} } as unknown as Delivery,
      catchUp: { run: async (peer: { peer_id: string }) => void caughtUp.push(peer.peer_id) } as unknown as CatchUp,
      background: (task) => void task(),
      isProven: () => true,
    });
    await discovery.meetAgain(() => {});
    await discovery.meetAgain(() => {}); // met: not owed any more
    expect(asked).to.deep.equal([[bob.peer_id]]);
    expect(caughtUp).to.deep.equal([bob.peer_id]);
  });
});
