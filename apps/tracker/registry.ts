/**
 * The tracker's peer registry: who registered, at which address, and when it was last heard from.
 * Pure state with no sockets and no clock: every method that needs the time takes `now` (milliseconds),
 * so a test can expire peers without waiting. Ports the `peers = {}` dict and `cleanup_expired_peers()`
 * of the Task 2 tracker in WeApRous `apps/sampleApp.py`.
 */

import { peerId, type PeerEntry } from '../protocol';

interface PeerRecord extends PeerEntry {
  /** When the peer last registered or sent a heartbeat (ms since the epoch). */
  lastSeen: number;
  /** The key this id is bound to (docs/identity.md); it goes when the peer unregisters or expires. */
  publicKey?: string;
}

export class PeerRegistry {
  // A Map keeps registration order, so the list reads in the order peers arrived (as in the document).
  private readonly peers = new Map<string, PeerRecord>();

  /** @param ttlMs a peer not seen for this long is dropped by `expire` (the document's TTL, 300 s). */
  constructor(readonly ttlMs: number) {}

  get size(): number {
    return this.peers.size;
  }

  /** Adds a peer, or refreshes it when it registers again; says which. A bound key stays bound. */
  register(peer: { ip: string; port: number; name?: string }, now: number, publicKey?: string): { entry: PeerEntry; isNew: boolean } {
    const id = peerId(peer.ip, peer.port);
    const previous = this.peers.get(id);
    const isNew = previous === undefined;
    const record: PeerRecord = { ip: peer.ip, port: peer.port, peer_id: id, lastSeen: now };
    if (peer.name !== undefined) record.name = peer.name;
    const key = previous?.publicKey ?? publicKey;
    if (key !== undefined) record.publicKey = key;
    this.peers.set(id, record);
    return { entry: toEntry(record), isNew };
  }

  /** Removes a peer; false when it was not registered (already removed or expired). */
  unregister(id: string): boolean {
    return this.peers.delete(id);
  }

  /** Marks a peer as alive; false when the tracker does not know it (it must register again). */
  heartbeat(id: string, now: number): boolean {
    const record = this.peers.get(id);
    if (!record) return false;
    record.lastSeen = now;
    return true;
  }

  /** The key `id` is bound to; undefined when it has none or is not registered. */
  keyOf(id: string): string | undefined {
    return this.peers.get(id)?.publicKey;
  }

  /** When `id` last registered or sent a heartbeat (ms since the epoch); undefined when it is not registered. */
  lastSeen(id: string): number | undefined {
    return this.peers.get(id)?.lastSeen;
  }

  has(id: string): boolean {
    return this.peers.has(id);
  }

  /** One registered peer, as `list` shows it; undefined when unknown. */
  get(id: string): PeerEntry | undefined {
    const record = this.peers.get(id);
    return record ? toEntry(record) : undefined;
  }

  /** Every registered peer, in registration order. */
  list(): PeerEntry[] {
    return [...this.peers.values()].map(toEntry);
  }

  /** Drops the peers not seen for the TTL and returns them. A peer seen exactly `ttlMs` ago stays. */
  expire(now: number): PeerEntry[] {
    const expired: PeerEntry[] = [];
    for (const [id, record] of this.peers) {
      if (now - record.lastSeen > this.ttlMs) {
        this.peers.delete(id);
        expired.push(toEntry(record));
      }
    }
    return expired;
  }
}

/** A copy without the bookkeeping, with the keys in the documented order. */
function toEntry(record: PeerRecord): PeerEntry {
  const entry: PeerEntry = { ip: record.ip, port: record.port, peer_id: record.peer_id };
  if (record.name !== undefined) entry.name = record.name;
  return entry;
}
