/**
 * The peer list for the browser: reachable, verified, waiting; a peer that left keeps its name while messages wait
 * for it; a burst of changes is one `peers` event, and none when nothing changed. The list hears of changes from
 * `ChatState.onChange` (a peer comes or goes, or `touch()`). Tests for `apps/peer/web/peers.ts`.
 */

import { expect } from 'chai';
import { EventLog } from '../../../../apps/peer/model/events';
import { ChatState } from '../../../../apps/peer/model/peers';
import { PeerList } from '../../../../apps/peer/web/peers';

const self = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
const bob = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, name: 'Bob' };
const jack = { peer_id: '127.0.0.1:5003', ip: '127.0.0.1', port: 5003, name: 'Jack' };

describe('PeerList', () => {
  it('lists connected peers, then peers only messages wait for, each reachable or not and verified or not', () => {
    const state = new ChatState(self);
    let waiting: Array<{ peerId: string; waiting: number }> = [];
    const list = new PeerList({ state, pending: () => waiting, knows: (id) => id === bob.peer_id }, new EventLog());
    state.connect(bob);
    state.connect(jack);
    expect(list.snapshot()).to.deep.equal([
      { peer_id: bob.peer_id, name: 'Bob', reachable: true, verified: true, waiting: 0 },
      { peer_id: jack.peer_id, name: 'Jack', reachable: true, verified: false, waiting: 0 },
    ]);
    state.disconnect(bob.peer_id);
    waiting = [{ peerId: bob.peer_id, waiting: 2 }];
    expect(list.snapshot()).to.deep.equal([
      { peer_id: jack.peer_id, name: 'Jack', reachable: true, verified: false, waiting: 0 },
      { peer_id: bob.peer_id, name: 'Bob', reachable: false, verified: true, waiting: 2 },
    ]);
  });

  it('hears of a connect or a leave from the chat state, not of a peer that connects again unchanged', () => {
    const state = new ChatState(self);
    let changes = 0;
    state.onChange(() => (changes += 1));
    state.connect(bob);
    state.connect(bob);
    state.connect({ ...bob, name: 'Robert' });
    state.disconnect(bob.peer_id);
    state.disconnect(bob.peer_id);
    expect(changes).to.equal(3);
  });

  it('emits one peers event for a burst of changes, subscribed to the chat state by itself', async () => {
    const state = new ChatState(self);
    const events = new EventLog({ run: 'r' });
    const list = new PeerList({ state, pending: () => [], knows: () => false }, events);
    const emitted = () => new Promise<unknown>((done) => events.on((event) => done(event.data)));
    let next = emitted();
    state.connect(bob);
    state.connect(jack);
    expect(await next).to.deep.equal({ peers: list.snapshot() });
    expect(events.lastSeq).to.equal(1);
    list.changed();
    next = emitted();
    state.disconnect(jack.peer_id);
    expect(((await next) as { peers: unknown[] }).peers).to.have.length(1);
    expect(events.lastSeq).to.equal(2);
    list.close();
  });

  it('emits again when the chat state is touched and what waits for a peer changed', async () => {
    const state = new ChatState(self);
    const events = new EventLog({ run: 'r' });
    let waiting: Array<{ peerId: string; waiting: number }> = [];
    const list = new PeerList({ state, pending: () => waiting, knows: () => false }, events);
    const emitted = () => new Promise<unknown>((done) => events.on((event) => done(event.data)));
    const next = emitted();
    waiting = [{ peerId: bob.peer_id, waiting: 1 }];
    state.touch();
    expect(await next).to.deep.equal({
      peers: [{ peer_id: bob.peer_id, name: bob.peer_id, reachable: false, verified: false, waiting: 1 }],
    });
    list.close();
  });
});
