/**
 * The connection to Redis behind `--registry redis://host:port`, shared by `redis-registry.ts` and
 * `redis-channels.ts`: connect (or fail with a sentence), the key names, Lua scripts run by their SHA, and
 * every failure to reach Redis turned into `RegistryUnavailable` (the routes answer 503). Several trackers
 * on one Redis then serve one registry. New: WeApRous's tracker kept its peers in a dict that died with it.
 */

import { createHash } from 'node:crypto';
import Redis, { ReplyError } from 'ioredis';
import { RegistryUnavailable } from './registry';

/** How long one command may take before the request fails with 503 rather than hang. */
const COMMAND_TIMEOUT_MS = 2_000;
/** While Redis is down the client tries again this often; requests meanwhile fail at once. */
const RECONNECT_MS = 500;

/** A Lua script, sent once and then called by its SHA1 (EVALSHA); sent again if Redis lost it (a restart). */
export class Script {
  private readonly sha: string;
  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run<T>(client: Redis, args: Array<string | number>): Promise<T> {
    try {
      return (await client.evalsha(this.sha, 0, ...args)) as T;
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return (await client.eval(this.lua, 0, ...args)) as T;
    }
  }
}

/**
 * Lua shared by the scripts that take a peer out of its channels (leaving, unregistering, expiring). `P` is
 * ARGV[1], the key prefix. An empty public channel is deleted; an empty private one keeps its key hash for
 * `hold` ms (a Redis expiry on its hash) and is listed in `channels:empty` for `expire` to forget on time.
 * `release` takes a deleted channel off the share of the address that created it (`redis-channels.ts`).
 */
export const LEAVE_LUA = `
local P = ARGV[1]
local function release(name)
  local owner = redis.call('HGET', P .. 'channels:owner', name)
  if not owner then return end
  redis.call('HDEL', P .. 'channels:owner', name)
  redis.call('ZREM', P .. 'owned:' .. owner, name)
  if tonumber(redis.call('ZINCRBY', P .. 'owners', -1, owner)) <= 0 then redis.call('ZREM', P .. 'owners', owner) end
end
local function leave(id, name, now, hold)
  local c = P .. 'chan:' .. name
  if redis.call('ZREM', c .. ':ids', id) == 0 then return false end
  redis.call('ZREM', c .. ':order', id)
  redis.call('ZREM', P .. 'member:' .. id, name)
  if redis.call('EXISTS', c .. ':ids') == 0 then
    if redis.call('HEXISTS', c, 'verifier') == 1 then
      redis.call('ZADD', P .. 'channels:empty', now, name)
      redis.call('PEXPIRE', c, hold)
    else
      redis.call('DEL', c)
      redis.call('ZREM', P .. 'channels', name)
      release(name)
    end
  end
  return true
end
local function leaveAll(id, now, hold)
  local names = redis.call('ZRANGE', P .. 'member:' .. id, 0, -1)
  for _, name in ipairs(names) do leave(id, name, now, hold) end
  return names
end
`;

/** One Redis connection and the prefix of every key the tracker writes. */
export class RedisLink {
  constructor(
    readonly client: Redis,
    readonly prefix: string,
    readonly url: string,
  ) {}

  /** Runs `script`, with the prefix as ARGV[1]; a Redis that cannot be reached becomes `RegistryUnavailable`. */
  run<T>(script: Script, ...args: Array<string | number>): Promise<T> {
    return this.call(() => script.run<T>(this.client, [this.prefix, ...args]));
  }

  /** Runs one plain command (`link.call((c) => c.zcard(key))`), mapping unreachable Redis likewise. */
  async call<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    try {
      return await command(this.client);
    } catch (error) {
      // An error Redis answered (a script's bug) stays a 500; any other (no link, a timeout) is Redis being away.
      if (error instanceof ReplyError) throw error;
      throw new RegistryUnavailable(`Redis at ${this.url}: ${(error as Error).message}`);
    }
  }

  close(): Promise<void> {
    return this.client.quit().then(
      () => undefined,
      () => this.client.disconnect(),
    );
  }
}

/**
 * Connects to `url` (`redis://127.0.0.1:6379`); rejects with a sentence when nothing answers there. After that
 * the client reconnects by itself, and `log` hears each time the link goes down or comes back.
 */
export async function connectRedis(url: string, prefix: string, log: (line: string) => void = () => {}): Promise<RedisLink> {
  const client = new Redis(url, {
    lazyConnect: true,
    // No queue while Redis is away: a request then fails at once with 503 instead of waiting in memory.
    enableOfflineQueue: false,
    // Commands issued in the same tick go in one write: the status page's per-peer questions, many requests at once.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: () => RECONNECT_MS,
  });
  let up = false;
  client.on('error', (error: Error) => {
    if (up) log(`[Tracker] Redis at ${url} is unreachable (${error.message}); answering 503 until it is back`);
    up = false;
  });
  client.on('ready', () => {
    if (!up) log(`[Tracker] Redis at ${url} is ready`);
    up = true;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`Cannot reach Redis at ${url} (${(error as Error).message}); start redis-server or fix --registry`);
  }
  return new RedisLink(client, prefix, url);
}
