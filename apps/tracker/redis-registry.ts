/**
 * The peer registry kept in Redis (`--registry redis://host:port`), so that several trackers serve one list: a
 * hash per peer whose Redis expiry is the TTL, sorted sets by registration, id and last seen, and a set per
 * source address of its unproven ids (`shares.ts`). Each write is one Lua script, so two trackers never
 * interleave half a registration. New: no WeApRous twin.
 */

import type { PeerEntry } from '../protocol';
import { peerId } from '../address';
import type { EntryJson, PeerPage, Registered, Registry } from './registry';
import { LEAVE_LUA, Script, type RedisLink } from './redis';
import { shareOf } from '../../daemon/admission';
import { UNPROVEN_PER_ADDRESS } from './shares';

/** How many expired peers one request sweeps at most; Redis's own expiry hides the rest from every list meanwhile. */
const SWEEP_BATCH = 1000;

/**
 * Lua shared by the scripts that remove a peer: `drop(id)` takes it off the indexes and its address's share of
 * unproven ids (`unproven:<address>`, a set; `peers:source` says which, and has no expiry, so an id whose hash
 * Redis expired still finds its share). Needs `P`, the prefix.
 */
const DROP_LUA = `
local function unshare(id)
  local source = redis.call('HGET', P .. 'peers:source', id)
  if not source then return end
  redis.call('SREM', P .. 'unproven:' .. source, id)
  redis.call('HDEL', P .. 'peers:source', id)
end
local function drop(id)
  local existed = redis.call('DEL', P .. 'peer:' .. id) + redis.call('ZREM', P .. 'peers:seen', id)
  redis.call('ZREM', P .. 'peers:order', id)
  redis.call('ZREM', P .. 'peers:ids', id)
  unshare(id)
  return existed
end
`;

// ARGV: prefix, id, entry JSON, now, ttl, key ('' for none), source address ('' when exempt), its share.
// Returns {'new'|'again'}, {'bound', key} or {'full', address}.
const REGISTER = new Script(`${LEAVE_LUA}${DROP_LUA}
local id, entry, now, ttl, key, source, most = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
local pk = P .. 'peer:' .. id
-- An id whose hash Redis expired before a tracker swept it: sweep it now, as expire would have.
local function sweep(gone)
  leaveAll(gone, now, ttl)
  if drop(gone) > 0 then redis.call('INCR', P .. 'peers:version') end
end
-- The address holds its share; ids Redis already expired hold no place in it.
local function full(address)
  local k = P .. 'unproven:' .. address
  if redis.call('SCARD', k) < most then return false end
  for _, other in ipairs(redis.call('SMEMBERS', k)) do
    if redis.call('EXISTS', P .. 'peer:' .. other) == 0 then sweep(other) end
  end
  return redis.call('SCARD', k) >= most
end
local exists = redis.call('EXISTS', pk) == 1
if not exists and redis.call('ZSCORE', P .. 'peers:seen', id) then sweep(id) end
local bound = redis.call('HGET', pk, 'key')
if bound and bound ~= key then return {'bound', bound} end
-- An id keeps counting against the address that first registered it; a key takes it off that share.
local before = redis.call('HGET', P .. 'peers:source', id) or ''
local share = ''
if key == '' and exists then share = before elseif key == '' then share = source end
if not exists and share ~= '' and full(share) then return {'full', share} end
-- A key bound moves the id to the proven part of the list: the list changed too.
if redis.call('HGET', pk, 'entry') ~= entry or (not bound and key ~= '') then redis.call('INCR', P .. 'peers:version') end
if not exists then
  redis.call('ZADD', P .. 'peers:order', redis.call('INCR', P .. 'seq'), id)
  redis.call('ZADD', P .. 'peers:ids', 0, id)
end
redis.call('HSET', pk, 'entry', entry, 'seen', now)
if key ~= '' then redis.call('HSET', pk, 'key', key) end
redis.call('PEXPIRE', pk, ttl)
redis.call('ZADD', P .. 'peers:seen', now, id)
if before ~= share then
  unshare(id)
  if share ~= '' then
    redis.call('SADD', P .. 'unproven:' .. share, id)
    redis.call('HSET', P .. 'peers:source', id, share)
  end
end
if exists then return {'again'} end
return {'new'}
`);

// ARGV: prefix, id, now, ttl. Returns 1, or 0 for an unknown peer.
const HEARTBEAT = new Script(`
local P, id, now, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local pk = P .. 'peer:' .. id
if redis.call('EXISTS', pk) == 0 then return 0 end
redis.call('HSET', pk, 'seen', now)
redis.call('PEXPIRE', pk, ttl)
redis.call('ZADD', P .. 'peers:seen', now, id)
return 1
`);

// ARGV: prefix, id. Returns 1 when the peer was registered (its entry, or its index entry if Redis expired the entry).
const UNREGISTER = new Script(`
local P, id = ARGV[1], ARGV[2]
${DROP_LUA}
if drop(id) == 0 then return 0 end
redis.call('INCR', P .. 'peers:version')
return 1
`);

// ARGV: prefix, cutoff (a peer seen before it is gone), batch. Returns the ids it removed.
const EXPIRE = new Script(`
local P, cutoff, batch = ARGV[1], ARGV[2], ARGV[3]
${DROP_LUA}
local ids = redis.call('ZRANGEBYSCORE', P .. 'peers:seen', '-inf', '(' .. cutoff, 'LIMIT', 0, batch)
for _, id in ipairs(ids) do drop(id) end
if #ids > 0 then redis.call('INCR', P .. 'peers:version') end
return ids
`);

// ARGV: prefix, then ids. Returns each one's entry JSON, '' for one not registered.
const ENTRIES = new Script(`
local P = ARGV[1]
local out = {}
for i = 2, #ARGV do out[i - 1] = redis.call('HGET', P .. 'peer:' .. ARGV[i], 'entry') or '' end
return out
`);

// ARGV: prefix. Returns the entries bound to a key, then the others, each part in registration order (those
// Redis already expired left out).
const LIST = new Script(`
local P = ARGV[1]
local proven, unproven = {}, {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'peers:order', 0, -1)) do
  local fields = redis.call('HMGET', P .. 'peer:' .. id, 'entry', 'key')
  if fields[1] and fields[2] then proven[#proven + 1] = fields[1]
  elseif fields[1] then unproven[#unproven + 1] = fields[1] end
end
for _, entry in ipairs(unproven) do proven[#proven + 1] = entry end
return proven
`);

// ARGV: prefix, lower bound ('-' or '(' .. cursor), count. Returns id, entry, id, entry, ... ('' for an expired entry).
const PAGE = new Script(`
local P, min, count = ARGV[1], ARGV[2], ARGV[3]
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYLEX', P .. 'peers:ids', min, '+', 'LIMIT', 0, count)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', P .. 'peer:' .. id, 'entry') or ''
end
return out
`);

export class RedisRegistry implements Registry {
  constructor(
    private readonly link: RedisLink,
    readonly ttlMs: number,
  ) {}

  count(): Promise<number> {
    return this.link.call((redis) => redis.zcard(`${this.link.prefix}peers:ids`));
  }

  async register(peer: Omit<PeerEntry, 'peer_id'>, now: number, publicKey?: string, source?: string): Promise<Registered> {
    const id = peerId(peer.ip, peer.port);
    const entry: PeerEntry = { ip: peer.ip, port: peer.port, peer_id: id };
    if (peer.name !== undefined) entry.name = peer.name;
    if (peer.scheme === 'https') entry.scheme = 'https'; // how other peers reach it; absent: http
    const share = shareOf(source) ?? '';
    const args = [id, JSON.stringify(entry), now, this.ttlMs, publicKey ?? '', share, UNPROVEN_PER_ADDRESS];
    const [outcome, detail] = await this.link.run<string[]>(REGISTER, ...args);
    if (outcome === 'bound') return { boundTo: detail };
    if (outcome === 'full') return { shareFull: detail };
    return { entry, isNew: outcome === 'new' };
  }

  async unregister(id: string): Promise<boolean> {
    return (await this.link.run<number>(UNREGISTER, id)) === 1;
  }

  async heartbeat(id: string, now: number): Promise<boolean> {
    return (await this.link.run<number>(HEARTBEAT, id, now, this.ttlMs)) === 1;
  }

  async keyOf(id: string): Promise<string | undefined> {
    return (await this.link.call((redis) => redis.hget(this.key(id), 'key'))) ?? undefined;
  }

  async lastSeen(id: string): Promise<number | undefined> {
    const seen = await this.link.call((redis) => redis.hget(this.key(id), 'seen'));
    return seen === null ? undefined : Number(seen);
  }

  async has(id: string): Promise<boolean> {
    return (await this.link.call((redis) => redis.exists(this.key(id)))) === 1;
  }

  async entries(ids: string[]): Promise<EntryJson[]> {
    if (ids.length === 0) return [];
    return (await this.link.run<string[]>(ENTRIES, ...ids)).filter((entry) => entry !== '');
  }

  list(): Promise<EntryJson[]> {
    return this.link.run<string[]>(LIST);
  }

  async version(): Promise<number> {
    return Number((await this.link.call((redis) => redis.get(`${this.link.prefix}peers:version`))) ?? 0);
  }

  async page(after: string | undefined, limit: number): Promise<PeerPage> {
    // One more than asked tells whether another page follows; '(' makes the bound exclusive (ZRANGEBYLEX).
    const flat = await this.link.run<string[]>(PAGE, after === undefined ? '-' : `(${after}`, limit + 1);
    const ids = flat.filter((_, i) => i % 2 === 0);
    const entries = flat.filter((entry, i) => i % 2 === 1 && i < 2 * limit && entry !== '');
    return ids.length > limit ? { entries, next: ids[limit - 1] } : { entries };
  }

  expire(now: number): Promise<string[]> {
    return this.link.run<string[]>(EXPIRE, now - this.ttlMs, SWEEP_BATCH);
  }

  close(): Promise<void> {
    return this.link.close();
  }

  private key(id: string): string {
    return `${this.link.prefix}peer:${id}`;
  }
}
