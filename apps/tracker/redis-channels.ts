/**
 * The tracker's channels kept in Redis, beside `redis-registry.ts`. The rules are `planJoin`'s, shared with the
 * in-memory `channels.ts`; a join is one Lua script that checks what `plan` saw still holds.
 * New: no WeApRous twin.
 */

import { channelName, GENERAL_CHANNEL, MAX_CHANNELS_PER_PEER } from '../protocol';
import { planByName, planJoin, type Channels, type JoinPlan, type JoinResult, type MemberPage } from './channels';
import type { KeySecret } from './keys';
import { LEAVE_LUA, Script, type RedisLink } from './redis';

// The keys, under the prefix: a hash `chan:<name>` (its creation number, and the salt and scrypt hash of a
// private one's key), two sorted sets of members (by join order, by id for pages), `member:<id>` (a peer's
// channels in join order), `channels` (every name, by creation) and `channels:empty` (empty private channels,
// since when). An empty private channel's hash gets a Redis expiry of the hold time; joining again removes it.

// ARGV: prefix, peer, name. Returns exists, isMember, peer's channels, channel count, salt, hash ('' when public).
const FACTS = new Script(`
local P, peer, name = ARGV[1], ARGV[2], ARGV[3]
local c = P .. 'chan:' .. name
return {
  redis.call('EXISTS', c),
  redis.call('ZSCORE', c .. ':ids', peer) and 1 or 0,
  redis.call('ZCARD', P .. 'member:' .. peer),
  redis.call('ZCARD', P .. 'channels'),
  redis.call('HGET', c, 'salt') or '',
  redis.call('HGET', c, 'hash') or '',
}
`);

// ARGV: prefix, peer, name, salt, hash ('' '' for public), most channels per peer, most channels. Returns a JoinResult.
const JOIN = new Script(`
local P, peer, name, salt, hash = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local perPeer, most = tonumber(ARGV[6]), tonumber(ARGV[7])
local c = P .. 'chan:' .. name
if redis.call('ZSCORE', c .. ':ids', peer) then return 'member' end
if redis.call('ZCARD', P .. 'member:' .. peer) >= perPeer then return 'changed' end
local created = false
if redis.call('EXISTS', c) == 0 then
  if redis.call('ZCARD', P .. 'channels') >= most then return 'changed' end
  local seq = redis.call('INCR', P .. 'seq')
  redis.call('HSET', c, 'seq', seq)
  if hash ~= '' then redis.call('HSET', c, 'salt', salt, 'hash', hash) end
  redis.call('ZADD', P .. 'channels', seq, name)
  created = true
elseif (redis.call('HGET', c, 'hash') or '') ~= hash or (redis.call('HGET', c, 'salt') or '') ~= salt then
  return 'changed'
end
redis.call('ZADD', c .. ':order', redis.call('INCR', P .. 'seq'), peer)
redis.call('ZADD', c .. ':ids', 0, peer)
redis.call('ZADD', P .. 'member:' .. peer, redis.call('INCR', P .. 'seq'), name)
redis.call('PERSIST', c)
redis.call('ZREM', P .. 'channels:empty', name)
if created then return 'created' end
return 'joined'
`);

// ARGV: prefix, peer, name, now, hold. Returns 1 when the peer was in the channel.
const LEAVE = new Script(`${LEAVE_LUA}
if leave(ARGV[2], ARGV[3], ARGV[4], ARGV[5]) then return 1 end
return 0
`);

// ARGV: prefix, peer, now, hold. Returns the channels the peer left.
const LEAVE_ALL = new Script(`${LEAVE_LUA}
return leaveAll(ARGV[2], ARGV[3], ARGV[4])
`);

// ARGV: prefix, name, then '' for every member in join order, or a lower bound and a count for a page by id.
// Returns {0} when there is no such channel, else {1, id, id, ...}.
const MEMBERS = new Script(`
local P, name, min, count = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local c = P .. 'chan:' .. name
if redis.call('EXISTS', c) == 0 then return {0} end
local ids
if min == '' then ids = redis.call('ZRANGE', c .. ':order', 0, -1)
else ids = redis.call('ZRANGEBYLEX', c .. ':ids', min, '+', 'LIMIT', 0, count) end
table.insert(ids, 1, 1)
return ids
`);

// ARGV: prefix. Every channel by creation, less those whose hash Redis already expired.
const NAMES = new Script(`
local P = ARGV[1]
local out = {}
for _, name in ipairs(redis.call('ZRANGE', P .. 'channels', 0, -1)) do
  if redis.call('EXISTS', P .. 'chan:' .. name) == 1 then out[#out + 1] = name end
end
return out
`);

// ARGV: prefix, cutoff. Forgets the private channels empty since before the cutoff; returns their names.
const EXPIRE = new Script(`
local P, cutoff = ARGV[1], ARGV[2]
local out = {}
for _, name in ipairs(redis.call('ZRANGEBYSCORE', P .. 'channels:empty', '-inf', '(' .. cutoff)) do
  redis.call('ZREM', P .. 'channels:empty', name)
  if redis.call('EXISTS', P .. 'chan:' .. name .. ':ids') == 0 then
    redis.call('DEL', P .. 'chan:' .. name)
    redis.call('ZREM', P .. 'channels', name)
    out[#out + 1] = name
  end
end
return out
`);

export class RedisChannels implements Channels {
  /**
   * @param keyHoldMs how long an empty private channel keeps its key (the peer TTL)
   * @param maxChannels the most channels all the trackers together hold; one more is refused (503)
   */
  constructor(
    private readonly link: RedisLink,
    readonly keyHoldMs: number,
    readonly maxChannels = 10_000,
  ) {}

  async plan(peerId: string, name: string, hasKey: boolean): Promise<JoinPlan> {
    const id = planByName(name, hasKey);
    if (typeof id !== 'string') return id;
    const [exists, isMember, peerChannels, channelCount, salt, hash] = await this.link.run<
      [number, number, number, number, string, string]
    >(FACTS, peerId, id);
    const facts = { exists: exists === 1, isMember: isMember === 1, peerChannels, channelCount };
    const secret = hash === '' ? {} : { secret: { salt: Buffer.from(salt, 'hex'), hash: Buffer.from(hash, 'hex') } };
    return planJoin(peerId, id, hasKey, { ...facts, ...secret }, this.maxChannels);
  }

  async join(peerId: string, name: string, secret?: KeySecret): Promise<JoinResult> {
    const id = channelName(name);
    if (id === null) return 'changed';
    if (id === GENERAL_CHANNEL) return 'general';
    const [salt, hash] = secret ? [secret.salt.toString('hex'), secret.hash.toString('hex')] : ['', ''];
    return this.link.run<JoinResult>(JOIN, peerId, id, salt, hash, MAX_CHANNELS_PER_PEER, this.maxChannels);
  }

  async leave(peerId: string, name: string, now: number): Promise<boolean> {
    const id = channelName(name);
    return id !== null && (await this.link.run<number>(LEAVE, peerId, id, now, this.keyHoldMs)) === 1;
  }

  leaveAll(peerId: string, now: number): Promise<string[]> {
    return this.link.run<string[]>(LEAVE_ALL, peerId, now, this.keyHoldMs);
  }

  channelsOf(peerId: string): Promise<string[]> {
    return this.link.call((redis) => redis.zrange(`${this.link.prefix}member:${peerId}`, '0', '-1'));
  }

  async members(name: string): Promise<string[] | undefined> {
    const id = channelName(name);
    if (id === null) return undefined;
    const [found, ...ids] = await this.link.run<[number, ...string[]]>(MEMBERS, id, '', 0);
    return found === 1 ? ids : undefined;
  }

  async page(name: string, after: string | undefined, limit: number): Promise<MemberPage | undefined> {
    const id = channelName(name);
    if (id === null) return undefined;
    const [found, ...ids] = await this.link.run<[number, ...string[]]>(MEMBERS, id, after === undefined ? '-' : `(${after}`, limit + 1);
    if (found !== 1) return undefined;
    return ids.length > limit ? { ids: ids.slice(0, limit), next: ids[limit - 1] } : { ids };
  }

  async memberCount(name: string): Promise<number> {
    const id = channelName(name);
    return id === null ? 0 : this.link.call((redis) => redis.zcard(`${this.link.prefix}chan:${id}:ids`));
  }

  names(): Promise<string[]> {
    return this.link.run<string[]>(NAMES);
  }

  async isPrivate(name: string): Promise<boolean> {
    const id = channelName(name);
    return id !== null && (await this.link.call((redis) => redis.hexists(`${this.link.prefix}chan:${id}`, 'hash'))) === 1;
  }

  expire(now: number): Promise<string[]> {
    return this.link.run<string[]>(EXPIRE, now - this.keyHoldMs);
  }
}
