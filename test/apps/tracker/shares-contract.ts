/**
 * The contract of fair shares, one suite for every store (`registry.test.ts` runs it in memory and in Redis):
 * 16 unproven ids per source address, listed after proven ones; private names held to their key for good, 64
 * per address; 32 existing channels per address, a full table taking back from the biggest holder.
 * Specifies `apps/tracker/shares.ts` and its use in the stores (docs/security/tracker.md). Not a test file itself.
 */

import { expect } from 'chai';
import { parseEntries, type Registered, type Registry } from '../../../apps/tracker/registry';
import { UNPROVEN_PER_ADDRESS } from '../../../apps/tracker/shares';
import type { MakeStore } from './contract';
import { TTL } from './contract';

const KEY = 'A'.repeat(43) + '=';
const made = (n: number) => ({ ip: `10.0.0.${n}`, port: 4000 });
const ok = (result: Registered) => 'entry' in result;

export function registrySharesContract(make: MakeStore): void {
  let registry: Registry;
  beforeEach(async () => {
    ({ registry } = await make(TTL));
    for (let n = 0; n < UNPROVEN_PER_ADDRESS; n++) expect(ok(await registry.register(made(n), 0, undefined, '127.0.0.2'))).to.equal(true);
  });

  it(`refuses the ${UNPROVEN_PER_ADDRESS + 1}th key-less id from one address, and takes it from another address`, async () => {
    expect(await registry.register(made(99), 0, undefined, '::ffff:127.0.0.2')).to.deep.equal({ shareFull: '127.0.0.2' });
    expect(await registry.has('10.0.0.99:4000')).to.equal(false);
    expect(ok(await registry.register(made(99), 0, undefined, '127.0.0.3'))).to.equal(true);
    expect(await registry.count()).to.equal(UNPROVEN_PER_ADDRESS + 1);
  });

  it('still refreshes the ids it holds, and exempts 127.0.0.1 (the curl examples)', async () => {
    expect(ok(await registry.register({ ...made(0), name: 'again' }, 1, undefined, '127.0.0.2'))).to.equal(true);
    for (let n = 100; n < 140; n++) expect(ok(await registry.register(made(n), 0, undefined, '127.0.0.1'))).to.equal(true);
  });

  it('gives a place back when an id is removed or expires', async () => {
    await registry.unregister('10.0.0.0:4000');
    expect(ok(await registry.register(made(99), 0, undefined, '127.0.0.2'))).to.equal(true);
    await registry.heartbeat('10.0.0.99:4000', 10);
    expect(await registry.expire(TTL + 1)).to.have.length(UNPROVEN_PER_ADDRESS - 1);
    expect(ok(await registry.register(made(98), TTL + 1, undefined, '127.0.0.2'))).to.equal(true);
    expect(await registry.register(made(97), TTL + 1, undefined, '127.0.0.2')).to.deep.include({ isNew: true });
  });

  it('gives a place back when a key is bound to an id, and lists proven ids first', async () => {
    const versionBefore = await registry.version();
    expect(ok(await registry.register(made(5), 1, KEY, '127.0.0.2'))).to.equal(true);
    expect(await registry.version()).to.not.equal(versionBefore);
    expect(ok(await registry.register(made(99), 1, undefined, '127.0.0.2'))).to.equal(true);
    expect(await registry.register(made(98), 1, undefined, '127.0.0.2')).to.have.property('shareFull');
    const ids = parseEntries(await registry.list()).map((peer) => peer.peer_id);
    const unproven = [...Array(UNPROVEN_PER_ADDRESS).keys(), 99].filter((n) => n !== 5).map((n) => `10.0.0.${n}:4000`);
    expect(ids).to.deep.equal(['10.0.0.5:4000', ...unproven]);
  });
}
