/**
 * Made-up ids cost their maker: the in-memory `PeerRegistry` counts each source address's ids that no key
 * proves against a share of 16, lists proven ids first, and frees the share when an id leaves or proves itself.
 * Tests for `apps/tracker/registry.ts` and `shares.ts` (docs/security/tracker.md).
 */

import { expect } from 'chai';
import { parseEntries, PeerRegistry, type Registered } from '../../../apps/tracker/registry';
import { UNPROVEN_PER_ADDRESS } from '../../../apps/tracker/shares';

const KEY = 'A'.repeat(43) + '=';
const made = (n: number) => ({ ip: `10.0.0.${n}`, port: 4000 });
const ok = (result: Registered) => 'entry' in result;

describe('PeerRegistry: unproven ids per source address', () => {
  let registry: PeerRegistry;
  beforeEach(() => {
    registry = new PeerRegistry(300_000);
    for (let n = 0; n < UNPROVEN_PER_ADDRESS; n++) expect(ok(registry.register(made(n), 0, undefined, '127.0.0.2'))).to.equal(true);
  });

  it('refuses the 17th key-less id from one address, and takes it from another address', () => {
    expect(registry.register(made(99), 0, undefined, '::ffff:127.0.0.2')).to.deep.equal({ shareFull: '127.0.0.2' });
    expect(ok(registry.register(made(99), 0, undefined, '127.0.0.3'))).to.equal(true);
    expect(registry.count()).to.equal(UNPROVEN_PER_ADDRESS + 1);
  });

  it('still refreshes the ids it holds, and exempts 127.0.0.1 (the curl examples)', () => {
    expect(ok(registry.register({ ...made(0), name: 'again' }, 1, undefined, '127.0.0.2'))).to.equal(true);
    for (let n = 100; n < 140; n++) expect(ok(registry.register(made(n), 0, undefined, '127.0.0.1'))).to.equal(true);
  });

  it('gives a place back when an id is removed or expires', () => {
    registry.unregister('10.0.0.0:4000');
    expect(ok(registry.register(made(99), 0, undefined, '127.0.0.2'))).to.equal(true);
    registry.heartbeat('10.0.0.99:4000', 10);
    expect(registry.expire(300_001)).to.have.length(UNPROVEN_PER_ADDRESS - 1);
    expect(ok(registry.register(made(98), 300_001, undefined, '127.0.0.2'))).to.equal(true);
  });

  it('gives a place back when a key is bound to an id, and lists proven ids first', () => {
    const versionBefore = registry.version();
    expect(ok(registry.register(made(5), 1, KEY, '127.0.0.2'))).to.equal(true);
    expect(registry.version()).to.not.equal(versionBefore);
    expect(ok(registry.register(made(99), 1, undefined, '127.0.0.2'))).to.equal(true);
    const ids = parseEntries(registry.list()).map((peer) => peer.peer_id);
    expect(ids[0]).to.equal('10.0.0.5:4000');
    expect(ids.at(-1)).to.equal('10.0.0.99:4000');
  });
});
