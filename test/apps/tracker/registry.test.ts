/**
 * The tracker's state, one contract (`contract.ts`) run against both stores: the in-memory `PeerRegistry` and
 * `ChannelRegistry` (the default), and `RedisRegistry` and `RedisChannels` on a real redis-server started on a
 * free loopback port for this file and stopped after it. Tests for `apps/tracker/registry.ts`, `channels.ts`,
 * `redis-registry.ts` and `redis-channels.ts` (the `peers` dict of WeApRous `apps/sampleApp.py`).
 */

import { expect } from 'chai';
import { parseEntries, PeerRegistry, RegistryUnavailable } from '../../../apps/tracker/registry';
import { ChannelRegistry } from '../../../apps/tracker/channels';
import { connectRedis, type RedisLink } from '../../../apps/tracker/redis';
import { RedisRegistry } from '../../../apps/tracker/redis-registry';
import { RedisChannels } from '../../../apps/tracker/redis-channels';
import { UNPROVEN_PER_ADDRESS } from '../../../apps/tracker/shares';
import { channelsContract, registryContract, TTL, type MakeStore } from './contract';
import { channelSharesContract, registrySharesContract } from './shares-contract';
import { startRedis, type RedisServer } from './redis-server';

const inMemory: MakeStore = async (ttlMs, maxChannels) => ({
  registry: new PeerRegistry(ttlMs),
  channels: new ChannelRegistry(ttlMs, maxChannels),
});

describe('the tracker state, in memory (PeerRegistry, ChannelRegistry)', () => {
  describe('Registry', () => registryContract(inMemory));
  describe('Channels', () => channelsContract(inMemory));
  describe('Registry: unproven ids per source address', () => registrySharesContract(inMemory));
  describe('Channels: shares per source address', () => channelSharesContract(inMemory));
});

describe('the tracker state, in Redis (RedisRegistry, RedisChannels)', () => {
  let server: RedisServer;
  let link: RedisLink;
  let store = 0;

  before(async function () {
    this.timeout(15_000);
    server = await startRedis();
    link = await connectRedis(server.url, 'contract:');
  });
  after(async () => {
    await link?.close();
    await server?.stop();
  });

  // Every store gets a prefix of its own on the one server, so no test sees another's keys.
  const prefixed = (prefix: string) => Object.assign(Object.create(Object.getPrototypeOf(link)) as RedisLink, link, { prefix });
  const inRedis: MakeStore = async (ttlMs, maxChannels) => {
    const own = prefixed(`t${++store}:`);
    return { registry: new RedisRegistry(own, ttlMs), channels: new RedisChannels(own, ttlMs, maxChannels) };
  };

  describe('Registry', () => registryContract(inRedis));
  describe('Channels', () => channelsContract(inRedis));
  describe('Registry: unproven ids per source address', () => registrySharesContract(inRedis));
  describe('Channels: shares per source address', () => channelSharesContract(inRedis));

  it('keeps each peer in a hash whose Redis expiry is the TTL, set again by every heartbeat', async () => {
    const { registry } = await inRedis(TTL);
    await registry.register({ ip: '127.0.0.1', port: 5001 }, Date.now());
    const key = `t${store}:peer:127.0.0.1:5001`;
    const ttl = await link.client.pttl(key);
    expect(ttl).to.be.within(TTL - 5_000, TTL);
    await link.client.pexpire(key, 1_000);
    await registry.heartbeat('127.0.0.1:5001', Date.now());
    expect(await link.client.pttl(key)).to.be.within(TTL - 5_000, TTL);
  });

  it('leaves out of every list a peer whose hash Redis expired before a tracker swept it, and sweeps it on re-registration', async () => {
    const { registry, channels } = await inRedis(TTL);
    await registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    await registry.register({ ip: '127.0.0.1', port: 5002 }, 0);
    await channels.join('127.0.0.1:5001', 'team');
    await link.client.del(`t${store}:peer:127.0.0.1:5001`);
    expect(parseEntries(await registry.list()).map((p) => p.peer_id)).to.deep.equal(['127.0.0.1:5002']);
    expect(parseEntries((await registry.page(undefined, 10)).entries).map((p) => p.peer_id)).to.deep.equal(['127.0.0.1:5002']);
    const again = await registry.register({ ip: '127.0.0.1', port: 5001 }, 10);
    expect(again).to.deep.include({ isNew: true });
    expect(await channels.channelsOf('127.0.0.1:5001')).to.deep.equal([]);
    expect(parseEntries(await registry.list()).map((p) => p.peer_id)).to.deep.equal(['127.0.0.1:5002', '127.0.0.1:5001']);
  });

  it('frees the place of an unproven id whose hash Redis expired before a tracker swept it', async () => {
    const { registry } = await inRedis(TTL);
    for (let n = 0; n < UNPROVEN_PER_ADDRESS; n++) await registry.register({ ip: '10.0.0.1', port: 4000 + n }, 0, undefined, '127.0.0.2');
    expect(await registry.register({ ip: '10.0.0.1', port: 5000 }, 0, undefined, '127.0.0.2')).to.deep.equal({ shareFull: '127.0.0.2' });
    await link.client.del(`t${store}:peer:10.0.0.1:4000`);
    expect(await registry.register({ ip: '10.0.0.1', port: 5000 }, 0, undefined, '127.0.0.2')).to.deep.include({ isNew: true });
    expect(await link.client.scard(`t${store}:unproven:127.0.0.2`)).to.equal(UNPROVEN_PER_ADDRESS);
    expect(await registry.has('10.0.0.1:4000')).to.equal(false);
  });

  it('holds a private name for every tracker on the Redis, even after Redis expired the empty channel', async () => {
    const { channels: atA } = await inRedis(TTL);
    const atB = new RedisChannels(prefixed(`t${store}:`), TTL);
    const s = Buffer.alloc(32, 'verifier').toString('base64');
    await atA.join('127.0.0.2:5002', 'secret', s, '127.0.0.2');
    await atA.leave('127.0.0.2:5002', 'secret', 0);
    await link.client.del(`t${store}:chan:secret`);
    expect(await atB.plan('127.0.0.3:5003', 'secret', false, '127.0.0.3')).to.deep.include({ kind: 'refused', status: 403 });
    expect(await atB.join('127.0.0.3:5003', 'secret', undefined, '127.0.0.3')).to.equal('changed');
    expect(await atB.expire(TTL + 1)).to.deep.equal(['secret']);
    expect(await atA.plan('127.0.0.3:5003', 'secret', true, '127.0.0.3')).to.deep.equal({ kind: 'check-key', secret: s });
    expect(await link.client.pttl(`t${store}:vault`)).to.equal(-1);
  });

  it('fails with RegistryUnavailable, not a hang, when Redis goes away', async () => {
    const own = await startRedis();
    const ownLink = await connectRedis(own.url, 'gone:');
    try {
      const registry = new RedisRegistry(ownLink, TTL);
      await registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
      await own.stop();
      const error = await registry.list().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(RegistryUnavailable);
      expect((error as Error).message).to.match(/registry cannot be reached \(Redis at redis:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await ownLink.close();
      await own.stop();
    }
  });

  it('refuses to start when nothing listens at the URL, with a sentence', async () => {
    const nobody = await startRedis();
    await nobody.stop();
    const error = await connectRedis(nobody.url, 'x:').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).to.match(/^Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(.*\); start redis-server or fix --registry$/);
  });
});
