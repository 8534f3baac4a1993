/**
 * What every tracker route shares: the registry and the channels, the key checks, the write limit, the log and
 * the clock, and the steps several routes take (limit a writer, check its signature, expire, leave channels).
 * The clock and the log are passed in, so tests control both. New: WeApRous's `apps/sampleApp.py` kept its
 * peers in one module-level dict.
 */

import { HttpError } from '../../daemon/status';
import type { Request } from '../../daemon/request';
import { HttpClient } from '../../daemon/client';
import type { TlsTrust } from '../../daemon/tls';
import { GENERAL_CHANNEL } from '../protocol';
import { readJsonObject } from '../json-fields';
import { ASK_KEY_TIMEOUT_MS, type AskKey, KeyOwners } from '../owner';
import { RateLimiter } from '../ratelimit';
import type { Registry } from './registry';
import { ChannelRegistry, type Channels } from './channels';
import { ChannelKeys } from './keys';
import { requireSigned } from './binding';

export interface TrackerOptions {
  /** The peers: a `PeerRegistry` (in memory) or a `RedisRegistry` shared by several trackers. */
  registry: Registry;
  /** Prints one log line; `console.log` in the real tracker. */
  log: (line: string) => void;
  /** Milliseconds since the epoch; `Date.now` in the real tracker. */
  now: () => number;
  /** Channel membership; by default a new in-memory one whose empty private channels keep their key for the peer TTL. */
  channels?: Channels;
  /** The scrypt work for private channel keys; by default Node's cost, two at a time. */
  keys?: ChannelKeys;
  /** Writes per peer id; by default 10 at once, then 1 a second. */
  limiter?: RateLimiter;
  /** Asks an address for its peer's key before the first binding (`owner.ts`); by default `GET /identity/` there. */
  askKey?: AskKey;
  /** How an HTTPS peer's certificate is checked when its `/identity/` is asked (`--tls-ca`); else the system's CAs. */
  peerTrust?: TlsTrust;
  /**
   * Log only what changes (registrations, expiry, channels, refusals), not every request, body, heartbeat and
   * list: the document's log is three lines per heartbeat, 10,000 lines a second at 100,000 peers.
   */
  quiet?: boolean;
}

export class TrackerContext {
  readonly registry: Registry;
  readonly channels: Channels;
  readonly keys: ChannelKeys;
  readonly limiter: RateLimiter;
  readonly askKey: AskKey;
  /** The log of what changes (registrations, expiry, channels, refusals). */
  readonly log: (line: string) => void;
  /** The log of every request, body and list; `quiet` turns it off. */
  readonly trace: (line: string) => void;
  readonly now: () => number;

  constructor({ registry, log, now, channels, keys, limiter, askKey, peerTrust, quiet }: TrackerOptions) {
    this.registry = registry;
    this.log = log;
    this.trace = quiet ? () => {} : log;
    this.now = now;
    this.channels = channels ?? new ChannelRegistry(registry.ttlMs);
    this.keys = keys ?? new ChannelKeys();
    this.limiter = limiter ?? new RateLimiter();
    if (askKey) this.askKey = askKey;
    else {
      // 1 s (ASK_KEY_TIMEOUT_MS of owner.ts), well inside the peer's own 3 s: a wrong --ip is then told to the
      // peer as the 401 it is, not hidden behind a timeout of its registration.
      const owners = new KeyOwners(new HttpClient({ timeoutMs: ASK_KEY_TIMEOUT_MS, ...peerTrust }), ASK_KEY_TIMEOUT_MS);
      this.askKey = (address, source) => owners.keyAt(address, source);
    }
  }

  /** Every write names the peer it is about; one id may not be written to faster than the limiter allows. */
  limit(id: string): void {
    const wait = this.limiter.take(id, this.now());
    if (wait === 0) return;
    const { burst, perSecond } = this.limiter;
    const why = `Too many requests for ${id}: at most ${burst} at once, then ${perSecond} a second; try again in ${wait} s`;
    throw new HttpError(429, why, { headers: { 'Retry-After': String(wait) } });
  }

  /** A write for an id bound to a key must be signed by that key (`binding.ts`); else 401. */
  async requireOwner(id: string, request: Request): Promise<void> {
    const key = await this.registry.keyOf(id);
    if (key !== undefined) requireSigned(id, readJsonObject(request, '{}'), key, this.now());
  }

  /** Drops the peers whose TTL ran out (and the channels they leave empty), logging each. */
  async expire(now: number): Promise<void> {
    const gone = await this.registry.expire(now);
    if (gone.length > 0) {
      const total = await this.registry.count();
      for (const id of gone) {
        this.log(`[Tracker] Expired: ${id} (not seen for ${this.registry.ttlMs / 1000} s) - Total: ${total}`);
        await this.leaveAll(id, now);
      }
    }
    await this.channels.expire(now);
  }

  async leaveAll(id: string, now: number): Promise<void> {
    const left = await this.channels.leaveAll(id, now);
    if (left.length > 0) this.log(`[Tracker] ${id} left ${left.map((name) => `#${name}`).join(', ')}`);
  }

  async countIn(channel: string): Promise<number> {
    return channel === GENERAL_CHANNEL ? this.registry.count() : this.channels.memberCount(channel);
  }
}
