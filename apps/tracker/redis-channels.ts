/**
 * The tracker's channels kept in Redis, beside `redis-registry.ts`. The rules are `planJoin`'s, shared with the
 * in-memory `channels.ts`; a join is one Lua script that checks what `plan` saw still holds. The shares of
 * `channel-owners.ts` and the private names of `vault.ts` live in Redis too, so every tracker counts the same.
 * New: no WeApRous twin.
 */

import { channelName, GENERAL_CHANNEL, MAX_CHANNELS_PER_PEER } from '../protocol';
import { CHANNELS_PER_ADDRESS, planByName, planJoin, type Channels, type JoinPlan, type JoinResult, type MemberPage } from './channels';
import { ownerOf } from './channel-owners';
import { shareOf } from '../../daemon/admission';
import { HELD_PER_ADDRESS } from './vault';
import type { Verifier } from './keys';
import { LEAVE_LUA, Script, type RedisLink } from './redis';

// The keys, under the prefix: a hash `chan:<name>` (its creation number, and the verifier of a private one's
// key, `channel-secret.ts`), two sorted sets of members (by join order, by id for pages), `member:<id>` (a peer's
// channels in join order), `channels` (every name, by creation) and `channels:empty` (empty private channels,
// since when). An empty private channel's hash gets a Redis expiry of the hold time; joining again removes it.
// The shares (`shares.ts`): `vault` (name → verifier of every name created private, never expiring, as
// `vault.ts`) and `vault:by:<address>` (the names an address holds, oldest first); `channels:owner` (name →
// the address that created it), `owned:<address>` (its existing channels, oldest first) and `owners` (address →
// how many), as `channel-owners.ts`.

/** Lua for the shares, after LEAVE_LUA (`P`, `release`): the hog a full table takes back from, and the vault. */
const SHARES_LUA = `
local function own(owner, name)
  redis.call('HSET', P .. 'channels:owner', name, owner)
  redis.call('ZADD', P .. 'owned:' .. owner, redis.call('INCR', P .. 'seq'), name)
  redis.call('ZINCRBY', P .. 'owners', 1, owner)
end
-- The address holding the most channels, if it holds more than owner would after creating one.
local function hogOver(owner)
  local top = redis.call('ZREVRANGE', P .. 'owners', 0, 0, 'WITHSCORES')
  if top[1] and tonumber(top[2]) > redis.call('ZCARD', P .. 'owned:' .. owner) + 1 then return top[1] end
  return false
end
-- Deletes the hog's newest channel (its members leave it) to make room for owner; false when none is fair to take.
local function makeRoom(owner)
  local hog = hogOver(owner)
  local name = hog and redis.call('ZREVRANGE', P .. 'owned:' .. hog, 0, 0)[1]
  if not name then return false end
  local c = P .. 'chan:' .. name
  for _, id in ipairs(redis.call('ZRANGE', c .. ':ids', 0, -1)) do redis.call('ZREM', P .. 'member:' .. id, name) end
  redis.call('DEL', c, c .. ':ids', c .. ':order')
  redis.call('ZREM', P .. 'channels', name)
  redis.call('ZREM', P .. 'channels:empty', name)
  release(name)
  return true
end
-- Holds name to secret for good (a held name keeps its first); an address past its share lets its oldest go.
local function hold(name, secret, address, most)
  if redis.call('HEXISTS', P .. 'vault', name) == 1 then return end
  if address ~= '' then
    local mine = P .. 'vault:by:' .. address
    if redis.call('ZCARD', mine) >= most then redis.call('HDEL', P .. 'vault', redis.call('ZPOPMIN', mine)[1]) end
    redis.call('ZADD', mine, redis.call('INCR', P .. 'seq'), name)
  end
  redis.call('HSET', P .. 'vault', name, secret)
end
`;

// ARGV: prefix, peer, name, owner, capped address ('' when exempt), most channels. Returns exists, isMember,
// peer's channels, channel count (0 when a hog can make room), the address's channels, verifier ('' when public).
const FACTS = new Script(`${LEAVE_LUA}${SHARES_LUA}
local peer, name, owner, capped, most = ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local c = P .. 'chan:' .. name
local exists = redis.call('EXISTS', c)
local count = redis.call('ZCARD', P .. 'channels')
if count >= most and hogOver(owner) then count = 0 end
local verifier = redis.call('HGET', c, 'verifier') or ''
if exists == 0 then verifier = redis.call('HGET', P .. 'vault', name) or '' end
return {
  exists,
  redis.call('ZSCORE', c .. ':ids', peer) and 1 or 0,
  redis.call('ZCARD', P .. 'member:' .. peer),
  count,
  capped == '' and 0 or redis.call('ZCARD', P .. 'owned:' .. capped),
  verifier,
}
`);

// ARGV: prefix, peer, name, verifier ('' for public), most channels per peer, most channels, owner,
// capped address ('' when exempt), its share of channels, its share of held names. Returns a JoinResult.
const JOIN = new Script(`${LEAVE_LUA}${SHARES_LUA}
local peer, name, verifier = ARGV[2], ARGV[3], ARGV[4]
local perPeer, most, owner, capped = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], ARGV[8]
local c = P .. 'chan:' .. name
if redis.call('ZSCORE', c .. ':ids', peer) then return 'member' end
if redis.call('ZCARD', P .. 'member:' .. peer) >= perPeer then return 'changed' end
local created = false
if redis.call('EXISTS', c) == 0 then
  local held = redis.call('HGET', P .. 'vault', name)
  if held and held ~= verifier then return 'changed' end
  -- Checked here too, so two trackers cannot both give an address its last place.
  if capped ~= '' and redis.call('ZCARD', P .. 'owned:' .. capped) >= tonumber(ARGV[9]) then return 'changed' end
  if redis.call('ZCARD', P .. 'channels') >= most and not makeRoom(owner) then return 'changed' end
  release(name)
  local seq = redis.call('INCR', P .. 'seq')
  redis.call('HSET', c, 'seq', seq)
  if verifier ~= '' then
    redis.call('HSET', c, 'verifier', verifier)
    hold(name, verifier, capped, tonumber(ARGV[10]))
  end
  redis.call('ZADD', P .. 'channels', seq, name)
  own(owner, name)
  created = true
elseif (redis.call('HGET', c, 'verifier') or '') ~= verifier then
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
const EXPIRE = new Script(`${LEAVE_LUA}
local cutoff = ARGV[2]
local out = {}
for _, name in ipairs(redis.call('ZRANGEBYSCORE', P .. 'channels:empty', '-inf', '(' .. cutoff)) do
  redis.call('ZREM', P .. 'channels:empty', name)
  if redis.call('EXISTS', P .. 'chan:' .. name .. ':ids') == 0 then
    redis.call('DEL', P .. 'chan:' .. name)
    redis.call('ZREM', P .. 'channels', name)
    release(name)
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

  async plan(peerId: string, name: string, hasKey: boolean, source?: string): Promise<JoinPlan> {
    const id = planByName(name, hasKey);
    if (typeof id !== 'string') return id;
    const [exists, isMember, peerChannels, channelCount, addressChannels, verifier] = await this.link.run<
      [number, number, number, number, number, string]
    >(FACTS, peerId, id, ownerOf(source), shareOf(source) ?? '', this.maxChannels);
    const facts = { exists: exists === 1, isMember: isMember === 1, peerChannels, channelCount, addressChannels };
    const secret = verifier === '' ? {} : { secret: verifier };
    return planJoin(peerId, id, hasKey, { ...facts, ...secret }, this.maxChannels);
  }

  async join(peerId: string, name: string, secret?: Verifier, source?: string): Promise<JoinResult> {
    const id = channelName(name);
    if (id === null) return 'changed';
    if (id === GENERAL_CHANNEL) return 'general';

    const limits = [MAX_CHANNELS_PER_PEER, this.maxChannels];
    const shares = [ownerOf(source), shareOf(source) ?? '', CHANNELS_PER_ADDRESS, HELD_PER_ADDRESS];
    return this.link.run<JoinResult>(JOIN, peerId, id, secret ?? '', ...limits, ...shares);
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
    return id !== null && (await this.link.call((redis) => redis.hexists(`${this.link.prefix}chan:${id}`, 'verifier'))) === 1;
  }

  expire(now: number): Promise<string[]> {
    return this.link.run<string[]>(EXPIRE, now - this.keyHoldMs);
  }
}
