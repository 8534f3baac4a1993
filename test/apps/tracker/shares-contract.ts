/**
 * The contract of fair shares, one suite for every store (`registry.test.ts` runs it in memory and in Redis):
 * 16 unproven ids per source address, listed after proven ones; private names held to their key for good, 64
 * per address; 32 existing channels per address, a full table taking back from the biggest holder.
 * Specifies `apps/tracker/shares.ts` and its use in the stores (docs/security/tracker.md). Not a test file itself.
 */

import { expect } from 'chai';
import { parseEntries, type Registered, type Registry } from '../../../apps/tracker/registry';
import { CHANNELS_PER_ADDRESS, type Channels } from '../../../apps/tracker/channels';
import type { Verifier } from '../../../apps/tracker/keys';
import { UNPROVEN_PER_ADDRESS } from '../../../apps/tracker/shares';
import { HELD_PER_ADDRESS } from '../../../apps/tracker/vault';
import { TTL, type MakeStore } from './contract';

const KEY = 'A'.repeat(43) + '=';
const made = (n: number) => ({ ip: `10.0.0.${n}`, port: 4000 });
const ok = (result: Registered) => 'entry' in result;
const secret = (tag: string): Verifier => Buffer.alloc(32, `${tag}-hash`).toString('base64');

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

export function channelSharesContract(make: MakeStore): void {
  const X = '10.0.0.9:5009';
  const Y = '10.0.0.8:5008';
  let channels: Channels;
  beforeEach(async () => {
    ({ channels } = await make(TTL));
  });

  /** Creates `name` as `peer` from `source`, private when `key` is given, then lets it empty and be forgotten. */
  const createAndForget = async (name: string, source: string, key?: Verifier) => {
    expect(await channels.join(X, name, key, source)).to.equal('created');
    await channels.leave(X, name, 0);
    await channels.expire(TTL + 1);
  };

  it('holds a private name to its key after it is forgotten: 403 without it, no public or other-key re-creation', async () => {
    const s = secret('s');
    await createAndForget('secret', '127.0.0.2', s);
    expect(await channels.names()).to.deep.equal([]);
    expect(await channels.plan(Y, 'secret', false, '127.0.0.3')).to.deep.include({ kind: 'refused', status: 403 });
    expect(await channels.plan(Y, 'secret', true, '127.0.0.3')).to.deep.equal({ kind: 'check-key', secret: s });
    expect(await channels.join(Y, 'secret', undefined, '127.0.0.3')).to.equal('changed');
    expect(await channels.join(Y, 'secret', secret('other'), '127.0.0.3')).to.equal('changed');
    expect(await channels.join(Y, 'secret', s, '127.0.0.3')).to.equal('created');
  });

  it(`lets an address hold ${HELD_PER_ADDRESS} private names, then lets its oldest go; 127.0.0.1's stay`, async () => {
    await createAndForget('mine', '127.0.0.1', secret('m'));
    for (let n = 0; n <= HELD_PER_ADDRESS; n++) await createAndForget(`x${n}`, '127.0.0.2', secret('s'));
    expect(await channels.plan(Y, 'x0', false, '127.0.0.3')).to.deep.equal({ kind: 'create' });
    expect(await channels.plan(Y, 'x1', false, '127.0.0.3')).to.deep.include({ status: 403 });
    expect(await channels.plan(Y, 'mine', false, '127.0.0.3')).to.deep.include({ status: 403 });
  });

  it(`refuses an address its ${CHANNELS_PER_ADDRESS + 1}th existing channel (429), until one empties; others and 127.0.0.1 create`, async () => {
    for (let n = 0; n < CHANNELS_PER_ADDRESS; n++) {
      expect(await channels.plan(X, `c${n}`, false, '127.0.0.2')).to.deep.equal({ kind: 'create' });
      expect(await channels.join(X, `c${n}`, undefined, '127.0.0.2')).to.equal('created');
    }
    const refused = await channels.plan(Y, 'one-more', false, '::ffff:127.0.0.2');
    expect(refused).to.deep.include({ kind: 'refused', status: 429 });
    expect(refused)
      .to.have.property('error')
      .that.matches(/^Your address created 32 channels that still exist, its share/);
    expect(await channels.join(Y, 'one-more', undefined, '127.0.0.3')).to.equal('created');
    expect(await channels.plan(Y, 'mine', false, '127.0.0.1')).to.deep.equal({ kind: 'create' });
    await channels.leave(X, 'c0', 0);
    expect(await channels.plan(Y, 'again', false, '127.0.0.2')).to.deep.equal({ kind: 'create' });
  });

  it('a full table takes back the biggest holder’s newest channel for an address with its share left, never from a fair one', async () => {
    ({ channels } = await make(TTL, 4));
    for (const name of ['a1', 'a2', 'a3']) await channels.join(X, name, undefined, '127.0.0.2');
    await channels.join(Y, 'b1', undefined, '127.0.0.3');
    expect(await channels.plan(Y, 'c1', false, '127.0.0.4')).to.deep.equal({ kind: 'create' });
    expect(await channels.join(Y, 'c1', undefined, '127.0.0.4')).to.equal('created');
    expect(await channels.names()).to.deep.equal(['a1', 'a2', 'b1', 'c1']);
    expect(await channels.channelsOf(X)).to.deep.equal(['a1', 'a2']);
    expect(await channels.plan(Y, 'b2', false, '127.0.0.3')).to.deep.include({ kind: 'refused', status: 503 });
    expect(await channels.join(Y, 'b2', undefined, '127.0.0.3')).to.equal('changed');
  });
}
