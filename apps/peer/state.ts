/**
 * What one peer knows: itself, the peers it is connected to, and the messages it sent and received.
 * Plain state with no sockets and no clock (timestamps come in with the messages), so it is easy to test.
 * Ports the `connected_peers` dict and `messages` list of `class PeerApp` in WeApRous `apps/peer.py`.
 */

/** A peer as this peer knows it; `peer_id` is `ip:port`. */
export interface PeerInfo {
  peer_id: string;
  ip: string;
  port: number;
  name: string;
}

export interface ChatMessage {
  type: 'broadcast' | 'direct';
  direction: 'in' | 'out';
  /** The sender's peer id (ours for outgoing messages). */
  from: string;
  name: string;
  msg: string;
  /** Seconds since the epoch, as the Python peers sent it. */
  timestamp: number;
  /** For outgoing direct messages: the peer it went to. */
  to?: string;
}

/** How `find` answered: one peer, nobody, or several peers sharing the name asked for. */
export type FindResult = { kind: 'found'; peer: PeerInfo } | { kind: 'none' } | { kind: 'ambiguous'; peers: PeerInfo[] };

/** Old messages are dropped beyond this, so a long chat does not grow memory for ever. */
const MAX_MESSAGES = 1000;

export class ChatState {
  private readonly connected = new Map<string, PeerInfo>();
  readonly messages: ChatMessage[] = [];

  constructor(readonly self: PeerInfo) {}

  /** Adds or updates a connected peer: 'new', 'updated' (its name or address changed) or 'same'. */
  connect(peer: PeerInfo): 'new' | 'updated' | 'same' {
    const known = this.connected.get(peer.peer_id);
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

  /** Keeps a message in the history (the document's `self.messages`). */
  record(message: ChatMessage): void {
    this.messages.push(message);
    if (this.messages.length > MAX_MESSAGES) this.messages.splice(0, this.messages.length - MAX_MESSAGES);
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
