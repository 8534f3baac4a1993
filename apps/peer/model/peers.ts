/**
 * What one peer knows of the others: itself and the peers it is connected to (its messages are in
 * `history.ts`). Plain state with no sockets and no clock, so it is easy to test.
 * Ports the `connected_peers` dict of `class PeerApp` in WeApRous `apps/peer.py`.
 */

/** A peer as this peer knows it; `peer_id` is `ip:port`. */
export interface PeerInfo {
  peer_id: string;
  ip: string;
  port: number;
  name: string;
}

/** How `find` answered: one peer, nobody, or several peers sharing the name asked for. */
export type FindResult = { kind: 'found'; peer: PeerInfo } | { kind: 'none' } | { kind: 'ambiguous'; peers: PeerInfo[] };

/** The most peers one peer keeps connected: a flood of fake `/connect-peer/` requests stops here. */
export const MAX_CONNECTED = 1_000;

export class ChatState {
  private readonly connected = new Map<string, PeerInfo>();

  constructor(
    readonly self: PeerInfo,
    private readonly limit = MAX_CONNECTED,
  ) {}

  /** Adds or updates a connected peer: 'new', 'updated' (its name or address changed), 'same', or 'full'. */
  connect(peer: PeerInfo): 'new' | 'updated' | 'same' | 'full' {
    const known = this.connected.get(peer.peer_id);
    if (!known && this.connected.size >= this.limit) return 'full';
    this.connected.set(peer.peer_id, { ...peer });
    if (!known) return 'new';
    const same = known.name === peer.name && known.ip === peer.ip && known.port === peer.port;
    return same ? 'same' : 'updated';
  }

  /** Forgets a peer; returns it, or undefined when it was not connected. */
  disconnect(peerId: string): PeerInfo | undefined {
    const known = this.connected.get(peerId);
    this.connected.delete(peerId);
    return known;
  }

  isConnected(peerId: string): boolean {
    return this.connected.has(peerId);
  }

  get(peerId: string): PeerInfo | undefined {
    return this.connected.get(peerId);
  }

  /** The connected peers, in the order they connected. */
  peers(): PeerInfo[] {
    return [...this.connected.values()];
  }

  /** A peer by id (`127.0.0.1:5002`) or by name, ignoring case (`bob`). */
  find(target: string): FindResult {
    const byId = this.connected.get(target);
    if (byId) return { kind: 'found', peer: byId };
    const wanted = fold(target);
    return oneOf(this.peers().filter((peer) => fold(peer.name) === wanted));
  }

  /**
   * Whom a `/direct` line is for, and what it says. Typed without quotes, a name with spaces arrives split at
   * its first space (`/direct Nguyễn Văn An chào` → target "Nguyễn", message "Văn An chào"), so the longest
   * connected name with spaces that starts the line is tried first, then the first word alone.
   */
  recipient(target: string, message: string, quoted = false): { found: FindResult; message: string } {
    if (!quoted) {
      const line = `${target} ${message}`.normalize('NFC');
      const starts = (name: string) => fold(line.slice(0, name.length)) === fold(name) && /^\s+\S/.test(line.slice(name.length));
      const spaced = this.peers()
        .map((peer) => ({ peer, name: peer.name.normalize('NFC') }))
        .filter(({ name }) => /\s/.test(name) && starts(name));
      if (spaced.length > 0) {
        const longest = Math.max(...spaced.map(({ name }) => name.length));
        const named = spaced.filter(({ name }) => name.length === longest).map(({ peer }) => peer);
        return { found: oneOf(named), message: line.slice(longest).trim() };
      }
    }
    return { found: this.find(target), message };
  }
}

/** Names compare ignoring case and Unicode form (a terminal may send "ễ" as one code point or as three). */
function fold(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

function oneOf(named: PeerInfo[]): FindResult {
  if (named.length === 1) return { kind: 'found', peer: named[0] };
  return named.length === 0 ? { kind: 'none' } : { kind: 'ambiguous', peers: named };
}
