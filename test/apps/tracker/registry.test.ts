/**
 * PeerRegistry, the tracker's list of peers, with time passed in so expiry needs no waiting.
 * Tests for `apps/tracker/registry.ts` (the `peers` dict of WeApRous `apps/sampleApp.py`).
 */

import { expect } from 'chai';
import { PeerRegistry } from '../../../apps/tracker/registry';

const TTL = 300_000;

describe('PeerRegistry', () => {
  it('registers a peer under "ip:port" and lists it with the documented fields', () => {
    const registry = new PeerRegistry(TTL);
    const { entry, isNew } = registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    expect(isNew).to.equal(true);
    expect(entry).to.deep.equal({ ip: '127.0.0.1', port: 5001, peer_id: '127.0.0.1:5001' });
    expect(registry.list()).to.deep.equal([{ ip: '127.0.0.1', port: 5001, peer_id: '127.0.0.1:5001' }]);
    expect(Object.keys(registry.list()[0])).to.deep.equal(['ip', 'port', 'peer_id']);
  });

  it('keeps a display name after the documented fields', () => {
    const registry = new PeerRegistry(TTL);
    registry.register({ ip: '127.0.0.1', port: 5002, name: 'Bob' }, 0);
    expect(registry.list()).to.deep.equal([{ ip: '127.0.0.1', port: 5002, peer_id: '127.0.0.1:5002', name: 'Bob' }]);
    expect(Object.keys(registry.list()[0])).to.deep.equal(['ip', 'port', 'peer_id', 'name']);
  });

  it('lists peers in registration order, and a re-registration keeps its place', () => {
    const registry = new PeerRegistry(TTL);
    registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    registry.register({ ip: '127.0.0.1', port: 5002 }, 0);
    const again = registry.register({ ip: '127.0.0.1', port: 5001, name: 'Alice' }, 10);
    expect(again.isNew).to.equal(false);
    expect(registry.size).to.equal(2);
    expect(registry.list().map((p) => p.peer_id)).to.deep.equal(['127.0.0.1:5001', '127.0.0.1:5002']);
    expect(registry.list()[0].name).to.equal('Alice');
  });

  it('unregisters a peer, and says false the second time', () => {
    const registry = new PeerRegistry(TTL);
    registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    expect(registry.unregister('127.0.0.1:5001')).to.equal(true);
    expect(registry.unregister('127.0.0.1:5001')).to.equal(false);
    expect(registry.list()).to.deep.equal([]);
  });

  it('expires a peer not seen for longer than the TTL, and keeps one seen exactly TTL ago', () => {
    const registry = new PeerRegistry(TTL);
    registry.register({ ip: '127.0.0.1', port: 5001 }, 1_000);
    registry.register({ ip: '127.0.0.1', port: 5002 }, 2_000);
    expect(registry.expire(1_000 + TTL)).to.deep.equal([]);
    const gone = registry.expire(1_000 + TTL + 1);
    expect(gone.map((p) => p.peer_id)).to.deep.equal(['127.0.0.1:5001']);
    expect(registry.list().map((p) => p.peer_id)).to.deep.equal(['127.0.0.1:5002']);
  });

  it('a heartbeat moves last_seen forward, so the peer outlives its first TTL', () => {
    const registry = new PeerRegistry(TTL);
    registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    expect(registry.heartbeat('127.0.0.1:5001', TTL - 1)).to.equal(true);
    expect(registry.expire(TTL + 10)).to.deep.equal([]);
    expect(registry.expire(2 * TTL)).to.have.length(1);
  });

  it('says when a peer was last seen (for the status page), and undefined for an unknown one', () => {
    const registry = new PeerRegistry(TTL);
    registry.register({ ip: '127.0.0.1', port: 5001 }, 1_000);
    registry.heartbeat('127.0.0.1:5001', 4_000);
    expect(registry.lastSeen('127.0.0.1:5001')).to.equal(4_000);
    expect(registry.lastSeen('127.0.0.1:5009')).to.equal(undefined);
  });

  it('a heartbeat from an unknown peer answers false and registers nothing', () => {
    const registry = new PeerRegistry(TTL);
    expect(registry.heartbeat('127.0.0.1:5009', 0)).to.equal(false);
    expect(registry.size).to.equal(0);
  });
});
