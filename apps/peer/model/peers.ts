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
  /** `https` for a peer that serves HTTPS (its hello or the tracker's list said so); absent: http. */
  scheme?: 'https';
}

/** Where a message goes: the peer's address is its id (`127.0.0.1:5002`, `::1:5002`). */
export interface Address {
  peer_id: string;
  ip: string;
  port: number;
  scheme?: 'https';
}

/** Peers remembered as serving HTTPS at most; past it, the longest known is forgotten. */
export const MAX_SECURE_REMEMBERED = 10_000;

/** `127.0.0.1:5002` → `{ip: '127.0.0.1', port: 5002}`; undefined when the id is not `ip:port`. */
export function addressOf(peerId: string): Address | undefined {
  const colon = peerId.lastIndexOf(':');
  const port = Number(peerId.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { peer_id: peerId, ip: peerId.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
}

/** How `find` answered: one peer, nobody, or several peers sharing the name asked for. */
export type FindResult = { kind: 'found'; peer: PeerInfo } | { kind: 'none' } | { kind: 'ambiguous'; peers: PeerInfo[] };

/** The most peers one peer keeps connected: a flood of fake `/connect-peer/` requests stops here. */
export const MAX_CONNECTED = 1_000;
/**
 * Unproven peers (no key confirmed at their address) kept per source address: a made-up id costs its maker,
 * whose 17th pushes out its own oldest, never someone else's. docs/security/peer-in.md.
 */
export const UNPROVEN_PER_SOURCE = 16;

/** Who asked to connect: its source address, whether its key was confirmed, and whether its address is capped. */
export interface Proof {
  source: string;
  proven: boolean;
  /** False for this machine itself (the curl examples): its unproven peers are not capped, only the first to go. */
  capped?: boolean;
}

/** How many peers that left `ChatState` remembers by name. */
const MAX_GONE = 1_024;

export class ChatState {
  private readonly connected = new Map<string, PeerInfo>();
  /** Peers that left, the latest `MAX_GONE`: their names, for what still waits for them. */
  private readonly gone = new Map<string, PeerInfo>();
  /** Unproven peers by id, oldest first, with the address that made each. */
  private readonly unproven = new Map<string, string>();
  /** Ids heard to serve HTTPS, connected or not: an outbox for a peer gone still goes over TLS. */
  private readonly secure = new Set<string>();
  /** Connected peers to meet again all the same (`owe`), until a hello either way says they are back. */
  private readonly owed = new Set<string>();
  private readonly listeners: Array<() => void> = [];

  constructor(
    readonly self: PeerInfo,
    private readonly limit = MAX_CONNECTED,
  ) {}

  /**
   * Adds or updates a connected peer: 'new', 'updated' (its name or address changed), 'same', or 'full'. An
   * unproven peer over its address's share pushes out that address's oldest unproven one; a full table makes
   * room by dropping an unproven peer of the address holding most (not for an uncapped unproven newcomer), and
   * is 'full' only when every peer is proven.
   */
  connect(peer: PeerInfo, proof: Proof = { source: '', proven: true }): 'new' | 'updated' | 'same' | 'full' {
    const known = this.connected.get(peer.peer_id);
    if (!known && !this.makeRoom(proof)) return 'full';
    this.learnScheme(peer);
    this.connected.set(peer.peer_id, this.withScheme(peer));
    this.owed.delete(peer.peer_id); // met: the meeting catches both sides up
    if (proof.proven) this.unproven.delete(peer.peer_id);
    else if (!known || this.unproven.has(peer.peer_id)) this.unproven.set(peer.peer_id, proof.source);
    const same =
      known !== undefined &&
      known.name === peer.name &&
      known.ip === peer.ip &&
      known.port === peer.port &&
      known.scheme === this.schemeOf(peer.peer_id);
    if (!same) this.touch();
    return !known ? 'new' : same ? 'same' : 'updated';
  }

  /**
   * Remembers that `peer` serves HTTPS (`"scheme":"https"` in its hello or the tracker's list). Once heard it
   * stays: a hello without the scheme, which anyone can send, must not make this peer post to it in clear.
   */
  learnScheme(peer: { peer_id: string; scheme?: string }): void {
    if (peer.scheme !== 'https' || this.secure.has(peer.peer_id)) return;
    if (this.secure.size >= MAX_SECURE_REMEMBERED) this.secure.delete(this.secure.values().next().value as string);
    this.secure.add(peer.peer_id);
  }

  /** `'https'` for a peer heard to serve HTTPS, else undefined (http). */
  schemeOf(peerId: string): 'https' | undefined {
    return this.secure.has(peerId) ? 'https' : undefined;
  }

  /** `peer` with the scheme it is reached by, and no `scheme` field for a plain one (the document's shape). */
  private withScheme(peer: PeerInfo): PeerInfo {
    const { scheme: _said, ...plain } = peer;
    return this.secure.has(peer.peer_id) ? { ...plain, scheme: 'https' } : plain;
  }

  /** Whether a peer not yet connected fits: its address's oldest unproven peer, or the most crowded address's, goes. */
  private makeRoom({ source, proven, capped = true }: Proof): boolean {
    const mine = [...this.unproven].filter(([, from]) => from === source);
    if (!proven && capped && mine.length >= UNPROVEN_PER_SOURCE) this.disconnect(mine[0][0]);
    if (this.connected.size < this.limit) return true;
    // This machine's own unproven peers have no share to claim room with: they wait, as before any cap.
    const victim = proven || capped ? this.mostCrowded() : undefined;
    if (victim === undefined) return false;
    this.disconnect(victim);
    return true;
  }

  /** The oldest unproven peer of the address that made the most of them. */
  private mostCrowded(): string | undefined {
    const count = new Map<string, number>();
    for (const from of this.unproven.values()) count.set(from, (count.get(from) ?? 0) + 1);
    const top = Math.max(0, ...count.values());
    for (const [id, from] of this.unproven) if (count.get(from) === top) return id;
    return undefined;
  }

  /** Forgets a peer; returns it, or undefined when it was not connected. */
  disconnect(peerId: string): PeerInfo | undefined {
    const known = this.connected.get(peerId);
    if (known) this.gone.set(peerId, known);
    if (this.gone.size > MAX_GONE) this.gone.delete(this.gone.keys().next().value as string);
    this.connected.delete(peerId);
    this.unproven.delete(peerId);
    this.owed.delete(peerId);
    if (known) this.touch();
    return known;
  }

  /**
   * A connected peer missed a message that waits in no outbox for it (a private channel's goes only to members
   * that prove the key now, and it did not answer): it is to be met again, and the meeting catches both sides
   * up (`needsMeeting`, `Discovery.meetAgain`; docs/history.md, "What is never lost").
   */
  owe(peerId: string): void {
    if (this.connected.has(peerId)) this.owed.add(peerId);
  }

  /** Whether `peerId` is to be met: not connected, or owed a meeting (`owe`). */
  needsMeeting(peerId: string): boolean {
    return !this.connected.has(peerId) || this.owed.has(peerId);
  }

  /** Subscribes to changes of the peers: one connected or left, or what waits for one (`touch`). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Puts the connected peers `ids` last, in that order (`peers()` lists them so): discovery's, in the tracker's order. */
  arrange(ids: string[]): void {
    for (const id of ids) {
      const peer = this.connected.get(id);
      if (!peer) continue;
      this.connected.delete(id);
      this.connected.set(id, peer);
    }
  }

  /** Something about the peers changed (a message delivered or queued for one): the listeners hear of it. */
  touch(): void {
    for (const listener of this.listeners) listener();
  }

  isConnected(peerId: string): boolean {
    return this.connected.has(peerId);
  }

  get(peerId: string): PeerInfo | undefined {
    return this.connected.get(peerId);
  }

  /** A connected peer, or one that left lately (what still waits for it is named so: `/outbox`). */
  recall(peerId: string): PeerInfo | undefined {
    return this.connected.get(peerId) ?? this.gone.get(peerId);
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
