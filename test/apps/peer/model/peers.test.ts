/**
 * ChatState: the connected peers and the message history of one peer.
 * Tests for `apps/peer/model/peers.ts` (`connected_peers` of WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { ChatState, type PeerInfo, UNPROVEN_PER_SOURCE } from '../../../../apps/peer/model/peers';

const alice: PeerInfo = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
const bob: PeerInfo = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, name: 'Bob' };
const jack: PeerInfo = { peer_id: '127.0.0.1:5003', ip: '127.0.0.1', port: 5003, name: 'Jack' };

describe('ChatState', () => {
  it('says whether a connection is new, changed or the same', () => {
    const state = new ChatState(alice);
    expect(state.connect(bob)).to.equal('new');
    expect(state.connect({ ...bob })).to.equal('same');
    expect(state.connect({ ...bob, name: 'Robert' })).to.equal('updated');
    expect(state.peers()).to.deep.equal([{ ...bob, name: 'Robert' }]);
  });

  it('remembers a peer that serves HTTPS, and a hello without the scheme does not make it plain again', () => {
    const state = new ChatState(alice);
    expect(state.connect({ ...bob, scheme: 'https' })).to.equal('new');
    expect(state.schemeOf(bob.peer_id)).to.equal('https');
    expect(state.connect(bob)).to.equal('same');
    expect(state.get(bob.peer_id)).to.deep.equal({ ...bob, scheme: 'https' });
    state.disconnect(bob.peer_id);
    expect(state.schemeOf(bob.peer_id)).to.equal('https'); // its outbox still goes over TLS
    expect(state.connect(jack)).to.equal('new');
    expect(state.get(jack.peer_id)).to.deep.equal(jack);
    expect(state.schemeOf(jack.peer_id)).to.equal(undefined);
  });

  it('lists peers in the order they connected and forgets one that leaves', () => {
    const state = new ChatState(alice);
    state.connect(bob);
    state.connect(jack);
    expect(state.peers().map((p) => p.name)).to.deep.equal(['Bob', 'Jack']);
    expect(state.disconnect(bob.peer_id)).to.deep.equal(bob);
    expect(state.disconnect(bob.peer_id)).to.equal(undefined);
    expect(state.isConnected(bob.peer_id)).to.equal(false);
    expect(state.peers().map((p) => p.name)).to.deep.equal(['Jack']);
  });

  it('finds a peer by id or by name whatever its case', () => {
    const state = new ChatState(alice);
    state.connect(bob);
    expect(state.find('127.0.0.1:5002')).to.deep.equal({ kind: 'found', peer: bob });
    expect(state.find('bob')).to.deep.equal({ kind: 'found', peer: bob });
    expect(state.find('BOB')).to.deep.equal({ kind: 'found', peer: bob });
    expect(state.find('Jack')).to.deep.equal({ kind: 'none' });
    expect(state.find('127.0.0.1:5003')).to.deep.equal({ kind: 'none' });
  });

  it('reports a name two peers share as ambiguous', () => {
    const state = new ChatState(alice);
    const otherBob = { ...jack, name: 'bob' };
    state.connect(bob);
    state.connect(otherBob);
    expect(state.find('Bob')).to.deep.equal({ kind: 'ambiguous', peers: [bob, otherBob] });
    expect(state.find(jack.peer_id)).to.deep.equal({ kind: 'found', peer: otherBob });
  });

  describe('recipient() of a /direct line', () => {
    const an = { peer_id: '127.0.0.1:5004', ip: '127.0.0.1', port: 5004, name: 'Nguyễn Văn An' };
    const anh = { peer_id: '127.0.0.1:5005', ip: '127.0.0.1', port: 5005, name: 'Nguyễn Văn Anh Tuấn' };
    const nguyen = { peer_id: '127.0.0.1:5006', ip: '127.0.0.1', port: 5006, name: 'Nguyễn' };

    it('joins an unquoted name with spaces back together, in any case', () => {
      const state = new ChatState(alice);
      state.connect(an);
      expect(state.recipient('Nguyễn', 'Văn An Xin chào')).to.deep.equal({ found: { kind: 'found', peer: an }, message: 'Xin chào' });
      expect(state.recipient('nguyễn', 'văn an  hi')).to.deep.equal({ found: { kind: 'found', peer: an }, message: 'hi' });
    });

    it('prefers the longest name that starts the line, and needs a message after it', () => {
      const state = new ChatState(alice);
      for (const peer of [an, anh, nguyen]) state.connect(peer);
      expect(state.recipient('Nguyễn', 'Văn Anh Tuấn ơi').found).to.deep.equal({ kind: 'found', peer: anh });
      expect(state.recipient('Nguyễn', 'Văn An ơi').found).to.deep.equal({ kind: 'found', peer: an });
      expect(state.recipient('Nguyễn', 'Văn Anh')).to.deep.equal({ found: { kind: 'found', peer: nguyen }, message: 'Văn Anh' });
    });

    it('takes a quoted name exactly, and matches a name typed in another Unicode form', () => {
      const state = new ChatState(alice);
      for (const peer of [an, nguyen]) state.connect(peer);
      expect(state.recipient('Nguyễn', 'Văn An hi', true)).to.deep.equal({ found: { kind: 'found', peer: nguyen }, message: 'Văn An hi' });
      const decomposed = 'Nguyễn Văn An'.normalize('NFD');
      expect(state.recipient(decomposed.split(' ')[0], `${decomposed.split(' ').slice(1).join(' ')} hi`).found).to.deep.equal({
        kind: 'found',
        peer: an,
      });
      expect(state.recipient(decomposed, 'hi', true).found).to.deep.equal({ kind: 'found', peer: an });
    });

    it('leaves a one-word target to find()', () => {
      const state = new ChatState(alice);
      state.connect(bob);
      expect(state.recipient('bob', 'hi there')).to.deep.equal({ found: { kind: 'found', peer: bob }, message: 'hi there' });
      expect(state.recipient('Zed', 'hi').found).to.deep.equal({ kind: 'none' });
    });
  });

  it('keeps at most its limit of connected peers; one already connected may still update', () => {
    const state = new ChatState(alice, 2);
    const peer = (port: number) => ({ peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: `P${port}` });
    expect([state.connect(peer(1)), state.connect(peer(2)), state.connect(peer(3))]).to.deep.equal(['new', 'new', 'full']);
    expect(state.connect({ ...peer(2), name: 'Renamed' })).to.equal('updated');
    expect(state.peers().map((p) => p.port)).to.deep.equal([1, 2]);
  });
});

describe('ChatState.connect() with made-up peers', () => {
  const self = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
  const fake = (i: number) => ({ peer_id: `10.0.0.${i}:9`, ip: `10.0.0.${i}`, port: 9, name: `fake${i}` });
  const bob = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, name: 'Bob' };

  it(`keeps ${UNPROVEN_PER_SOURCE} unproven peers per address: the next pushes out that address's oldest`, () => {
    const state = new ChatState(self);
    for (let i = 0; i <= UNPROVEN_PER_SOURCE; i++) state.connect(fake(i), { source: '127.0.0.2', proven: false });
    expect(state.peers()).to.have.length(UNPROVEN_PER_SOURCE);
    expect(state.isConnected(fake(0).peer_id)).to.equal(false);
    state.connect(fake(200), { source: '127.0.0.3', proven: false });
    expect(state.isConnected(fake(1).peer_id)).to.equal(true); // another address's share is its own
  });

  it('never refuses a proven peer while an unproven one holds room', () => {
    const state = new ChatState(self, 3);
    for (let i = 0; i < 3; i++) state.connect(fake(i), { source: '127.0.0.1', proven: false, capped: false });
    expect(state.connect(fake(9), { source: '127.0.0.1', proven: false, capped: false })).to.equal('full');
    expect(state.connect(bob, { source: '127.0.0.1', proven: true })).to.equal('new');
    expect(state.isConnected(fake(0).peer_id)).to.equal(false);
    state.connect({ ...fake(1) }, { source: '127.0.0.1', proven: true });
    state.connect({ ...fake(2) }, { source: '127.0.0.1', proven: true });
    expect(state.connect(fake(7), { source: '127.0.0.1', proven: true })).to.equal('full'); // every one proven
  });

  it('arrange() lists the peers given last, in that order (discovery puts them in the tracker order)', () => {
    const state = new ChatState({ peer_id: '127.0.0.1:5003', ip: '127.0.0.1', port: 5003, name: 'Jack' });
    const peer = (port: number, name: string) => ({ peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name });
    state.connect(peer(5009, 'Old'));
    state.connect(peer(5002, 'Bob')); // answered first
    state.connect(peer(5001, 'Alice'));
    state.arrange(['127.0.0.1:5001', '127.0.0.1:5002', '127.0.0.1:5999']); // the tracker's order; 5999 never answered
    expect(state.peers().map((p) => p.name)).to.deep.equal(['Old', 'Alice', 'Bob']);
  });
});
