/**
 * The tracker's peer registry: who registered, at which address, and when it was last heard from. `Registry`
 * is what the routes need (`redis-registry.ts` keeps it in Redis, for several trackers); `PeerRegistry` is the
 * embedded default, pure state with no sockets and no clock: every method that needs the time takes `now`
 * (milliseconds), so a test can expire peers without waiting. Ports the `peers = {}` dict and
 * `cleanup_expired_peers()` of the Task 2 tracker in WeApRous `apps/sampleApp.py`.
 */

import type { PeerEntry } from '../protocol';
import { peerId } from '../address';
import { SortedStrings } from './sorted';
import { shareOf } from '../../daemon/admission';
import { UNPROVEN_PER_ADDRESS } from './shares';

/** A value, or a promise of it: the in-memory registry answers at once, the Redis one after a round trip. */
export type Awaitable<T> = T | Promise<T>;

/**
 * What `register` did; `boundTo` when the id is bound to another key than the one given, `shareFull` when the
 * source address has its share of unproven ids already (`shares.ts`); nothing changed in either case.
 */
export type Registered = { entry: PeerEntry; isNew: boolean } | { boundTo: string } | { shareFull: string };

/**
 * One peer's entry as `/get-list/` sends it, already JSON: `{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"}`.
 * Entries are serialized once, at registration, and lists are sent by joining them: at 100,000 peers that is
 * a fraction of the time and garbage of building 100,000 objects and `JSON.stringify`-ing them at every request.
 */
export type EntryJson = string;

/** One page of the list in peer-id order; `next` (the last id of the page) when more follow. */
export interface PeerPage {
  entries: EntryJson[];
  next?: string;
}

/** `parseEntries(['{"ip":...}'])` → `[{ ip: ... }]`, for a reader that wants objects (the status page, tests). */
export function parseEntries(entries: EntryJson[]): PeerEntry[] {
  return JSON.parse(`[${entries.join(',')}]`) as PeerEntry[];
}

/** The registry the routes use, in memory or in Redis. The contract: test/apps/tracker/store-contract.ts. */
export interface Registry {
  /** A peer not seen for this long is dropped by `expire` (the document's TTL, 300 s). */
  readonly ttlMs: number;
  /** Registered peers. */
  count(): Awaitable<number>;
  /**
   * Adds a peer, or refreshes it (name, last seen) when it registers again, and binds `publicKey` to a new id.
   * An id bound to a key is refreshed only with that very key: anything else answers `boundTo`. A new id with
   * no key counts against its `source` address's share of unproven ids: past it, `shareFull`.
   */
  register(peer: Omit<PeerEntry, 'peer_id'>, now: number, publicKey?: string, source?: string): Awaitable<Registered>;
  /** Removes a peer; false when it was not registered (already removed or expired). */
  unregister(id: string): Awaitable<boolean>;
  /** Marks a peer as alive; false when the tracker does not know it (it must register again). */
  heartbeat(id: string, now: number): Awaitable<boolean>;
  /** The key `id` is bound to; undefined when it has none or is not registered. */
  keyOf(id: string): Awaitable<string | undefined>;
  /** When `id` last registered or sent a heartbeat (ms since the epoch); undefined when it is not registered. */
  lastSeen(id: string): Awaitable<number | undefined>;
  has(id: string): Awaitable<boolean>;
  /** The registered peers among `ids`, in that order, as `list` shows them (a channel's members). */
  entries(ids: string[]): Awaitable<EntryJson[]>;
  /** Every registered peer, those bound to a key first, each part in registration order (the document's answer). */
  list(): Awaitable<EntryJson[]>;
  /** A number that changes whenever `list` would answer differently (a heartbeat does not change it). */
  version(): Awaitable<number>;
  /** At most `limit` peers whose id sorts after `after` (from the first when undefined), in id order. */
  page(after: string | undefined, limit: number): Awaitable<PeerPage>;
  /** Drops the peers not seen for the TTL and returns their ids. A peer seen exactly `ttlMs` ago stays. */
  expire(now: number): Awaitable<string[]>;
  /** Lets go of any connection; nothing for the in-memory one. */
  close?(): Promise<void>;
}

/** Thrown by a registry whose store cannot be reached (Redis down): the routes answer 503, not 500. */
export class RegistryUnavailable extends Error {
  constructor(readonly why: string) {
    super(`The tracker's registry cannot be reached (${why})`);
    this.name = 'RegistryUnavailable';
  }
}

/** What the registry keeps of a peer: its entry as JSON only (no copy of its fields: 100,000 of them add up). */
interface PeerRecord {
  peer_id: string;
  /** The entry as `list` sends it (`EntryJson`), made when the peer registers. */
  json: EntryJson;
  /** When the peer last registered or sent a heartbeat (ms since the epoch). */
  lastSeen: number;
  /** The key this id is bound to (docs/identity.md); it goes when the peer unregisters or expires. */
  publicKey?: string;
  /** For an id no key proves: the address whose share it counts against (undefined when exempt). */
  source?: string;
  /** The neighbours in the order of `lastSeen` (a doubly linked list, oldest first): see `bySeen`. */
  older?: PeerRecord;
  newer?: PeerRecord;
}

export class PeerRegistry implements Registry {
  // A Map keeps registration order, so the list reads in the order peers arrived (as in the document).
  private readonly peers = new Map<string, PeerRecord>();
  // The same ids sorted, so a page costs O(log N + limit) rather than a sort of every id.
  private readonly sorted = new SortedStrings();
  // The same records linked from the least recently seen to the most (a heartbeat moves its peer to the end, as an
  // LRU cache does), so `expire`, run at every request, looks at the oldest only: O(1), not O(N). (A Map re-inserted
  // at every heartbeat did the same on paper, but iterating it skips the holes deletions leave: tens of µs at
  // 100,000 peers.) A clock stepped back only delays expiry.
  private readonly bySeen: { oldest?: PeerRecord; newest?: PeerRecord } = {};
  private changes = 0;
  // The unproven ids each source address registered (`shares.ts`).
  private readonly unproven = new Map<string, Set<string>>();

  /** @param ttlMs a peer not seen for this long is dropped by `expire` (the document's TTL, 300 s). */
  constructor(readonly ttlMs: number) {}

  get size(): number {
    return this.peers.size;
  }

  count(): number {
    return this.peers.size;
  }

  register(peer: Omit<PeerEntry, 'peer_id'>, now: number, publicKey?: string, source?: string): Registered {
    const id = peerId(peer.ip, peer.port);
    const previous = this.peers.get(id);
    if (previous?.publicKey !== undefined && previous.publicKey !== publicKey) return { boundTo: previous.publicKey };
    // An id keeps counting against the address that first registered it; a key takes it off that share.
    const share = publicKey !== undefined ? undefined : previous ? previous.source : (shareOf(source) ?? undefined);
    if (previous === undefined && share !== undefined && (this.unproven.get(share)?.size ?? 0) >= UNPROVEN_PER_ADDRESS)
      return { shareFull: share };
    const entry: PeerEntry = { ip: peer.ip, port: peer.port, peer_id: id };
    if (peer.name !== undefined) entry.name = peer.name;
    if (peer.scheme === 'https') entry.scheme = 'https'; // how other peers reach it; absent: http
    // Every field set here, in one order, so all records share one shape (V8 hidden class).
    const record: PeerRecord = {
      peer_id: id,
      json: JSON.stringify(entry),
      lastSeen: now,
      publicKey,
      source: share,
      older: undefined,
      newer: undefined,
    };
    if (previous) this.unlink(previous);
    this.peers.set(id, record);
    this.append(record);
    if (previous === undefined) this.sorted.add(id);
    if (previous?.source !== share) this.moveShare(id, previous?.source, share);
    // A key bound moves the id to the proven part of the list: the list changed too.
    if (previous?.json !== record.json || previous?.publicKey !== publicKey) this.changes++;
    return { entry, isNew: previous === undefined };
  }

  /** Takes `id` off the share of address `from` and counts it against `to` (either undefined: none). */
  private moveShare(id: string, from: string | undefined, to: string | undefined): void {
    const mine = from === undefined ? undefined : this.unproven.get(from);
    mine?.delete(id);
    if (mine?.size === 0) this.unproven.delete(from!);
    if (to === undefined) return;
    if (!this.unproven.has(to)) this.unproven.set(to, new Set());
    this.unproven.get(to)!.add(id);
  }

  unregister(id: string): boolean {
    const record = this.peers.get(id);
    if (!record) return false;
    this.peers.delete(id);
    this.sorted.delete(id);
    this.unlink(record);
    this.moveShare(id, record.source, undefined);
    this.changes++;
    return true;
  }

  heartbeat(id: string, now: number): boolean {
    const record = this.peers.get(id);
    if (!record) return false;
    record.lastSeen = now;
    this.unlink(record);
    this.append(record);
    return true;
  }

  /** Puts `record` at the newest end of `bySeen`. */
  private append(record: PeerRecord): void {
    record.older = this.bySeen.newest;
    record.newer = undefined;
    if (this.bySeen.newest) this.bySeen.newest.newer = record;
    else this.bySeen.oldest = record;
    this.bySeen.newest = record;
  }

  /** Takes `record` out of `bySeen`, joining its neighbours. */
  private unlink(record: PeerRecord): void {
    if (record.older) record.older.newer = record.newer;
    else this.bySeen.oldest = record.newer;
    if (record.newer) record.newer.older = record.older;
    else this.bySeen.newest = record.older;
    record.older = record.newer = undefined;
  }

  keyOf(id: string): string | undefined {
    return this.peers.get(id)?.publicKey;
  }

  lastSeen(id: string): number | undefined {
    return this.peers.get(id)?.lastSeen;
  }

  has(id: string): boolean {
    return this.peers.has(id);
  }

  entries(ids: string[]): EntryJson[] {
    return ids.flatMap((id) => this.peers.get(id)?.json ?? []);
  }

  list(): EntryJson[] {
    // Proven ids first: a peer reading the list meets the peers that answered for their key before made-up ones.
    const proven: EntryJson[] = [];
    const unproven: EntryJson[] = [];
    for (const record of this.peers.values()) (record.publicKey === undefined ? unproven : proven).push(record.json);
    return proven.concat(unproven);
  }

  version(): number {
    return this.changes;
  }

  page(after: string | undefined, limit: number): PeerPage {
    // One more than asked tells whether another page follows, without counting the rest.
    const ids = this.sorted.after(after, limit + 1);
    const entries = this.entries(ids.slice(0, limit));
    return ids.length > limit ? { entries, next: ids[limit - 1] } : { entries };
  }

  expire(now: number): string[] {
    const expired: string[] = [];
    for (let oldest = this.bySeen.oldest; oldest && now - oldest.lastSeen > this.ttlMs; oldest = this.bySeen.oldest) {
      this.unregister(oldest.peer_id);
      expired.push(oldest.peer_id);
    }
    return expired;
  }
}
