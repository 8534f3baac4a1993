/**
 * The tracker's channels: who is in which channel, and the salted key hash of each private one. Pure state
 * with no sockets, no clock and no crypto: `now` is passed in, and the key work is done by `keys.ts` between
 * `plan` (what a join needs) and `join` (do it). New: WeApRous's tracker had no channels (issue 7).
 */

import { channelName, GENERAL_CHANNEL, MAX_CHANNELS_PER_PEER } from '../protocol';
import type { KeySecret } from './keys';

interface Channel {
  /** Peer ids in the order they joined. */
  members: Set<string>;
  /** Set for a private channel: the salted scrypt hash of its key, never the key. */
  secret?: KeySecret;
  /** When a private channel lost its last member; it is forgotten `keyHoldMs` later. */
  emptySince?: number;
}

/** What joining needs, from `plan`: nothing more, a key hashed (to create), a key checked, or a refusal. */
export type JoinPlan =
  | { kind: 'member' | 'general' | 'join' | 'create' }
  | { kind: 'create-private' }
  | { kind: 'check-key'; secret: KeySecret }
  | { kind: 'refused'; status: 400 | 403 | 409 | 503; error: string };

/** What `join` did; `changed` means the channel changed since `plan` (plan again). */
export type JoinResult = 'member' | 'general' | 'joined' | 'created' | 'changed';

export class ChannelRegistry {
  private readonly channels = new Map<string, Channel>();
  private readonly byPeer = new Map<string, Set<string>>();

  /**
   * @param keyHoldMs how long an empty private channel keeps its key (the peer TTL), so that its members can
   *   come back and nobody else can take the name the moment the last one leaves.
   * @param maxChannels the most channels the tracker holds; creating one more is refused (503).
   */
  constructor(
    readonly keyHoldMs: number,
    readonly maxChannels = 10_000,
  ) {}

  get size(): number {
    return this.channels.size;
  }

  /** What `peerId` joining `name` needs, given whether it sent a key. Names are read as `channelName` reads them. */
  plan(peerId: string, name: string, hasKey: boolean): JoinPlan {
    const id = channelName(name);
    if (id === null)
      return { kind: 'refused', status: 400, error: `"${name}" is not a channel name (1 to 32 letters, digits, "-" or "_")` };
    if (id === GENERAL_CHANNEL) {
      return hasKey
        ? { kind: 'refused', status: 409, error: '#general is public (every peer is in it); join it without a key' }
        : { kind: 'general' };
    }
    const channel = this.channels.get(id);
    if (channel?.members.has(peerId)) return { kind: 'member' };
    if ((this.byPeer.get(peerId)?.size ?? 0) >= MAX_CHANNELS_PER_PEER)
      return {
        kind: 'refused',
        status: 409,
        error: `${peerId} is in ${MAX_CHANNELS_PER_PEER} channels, the most a peer can be in; leave one first`,
      };
    if (!channel) {
      if (this.channels.size >= this.maxChannels)
        return {
          kind: 'refused',
          status: 503,
          error: `The tracker holds ${this.maxChannels} channels, its limit; join an existing one or try later`,
        };
      return { kind: hasKey ? 'create-private' : 'create' };
    }
    if (channel.secret) {
      return hasKey
        ? { kind: 'check-key', secret: channel.secret }
        : { kind: 'refused', status: 403, error: `#${id} is private; send its key, e.g. "key":"s3cret"` };
    }
    return hasKey
      ? { kind: 'refused', status: 409, error: `#${id} is a public channel; join it without a key, or pick another name for a private one` }
      : { kind: 'join' };
  }

  /**
   * Puts `peerId` in `name`. Without `secret` the channel must be public (or new, and then public); with it,
   * new (and then private with that secret) or private with that very secret (the one `plan` gave and the
   * caller checked the key against). Anything else since `plan` → `changed`.
   */
  join(peerId: string, name: string, secret?: KeySecret): JoinResult {
    const id = channelName(name);
    if (id === null) return 'changed';
    if (id === GENERAL_CHANNEL) return 'general';
    let channel = this.channels.get(id);
    if (channel?.members.has(peerId)) return 'member';
    if ((this.byPeer.get(peerId)?.size ?? 0) >= MAX_CHANNELS_PER_PEER) return 'changed';
    let created = false;
    if (!channel) {
      if (this.channels.size >= this.maxChannels) return 'changed';
      channel = secret ? { members: new Set(), secret } : { members: new Set() };
      this.channels.set(id, channel);
      created = true;
    } else if (channel.secret !== secret) {
      return 'changed';
    }
    channel.members.add(peerId);
    delete channel.emptySince;
    if (!this.byPeer.has(peerId)) this.byPeer.set(peerId, new Set());
    this.byPeer.get(peerId)!.add(id);
    return created ? 'created' : 'joined';
  }

  /** Takes `peerId` out of `name`; false when it was not in it. An empty public channel disappears. */
  leave(peerId: string, name: string, now: number): boolean {
    const id = channelName(name);
    const channel = id === null ? undefined : this.channels.get(id);
    if (!channel || !channel.members.delete(peerId)) return false;
    const mine = this.byPeer.get(peerId)!;
    mine.delete(id!);
    if (mine.size === 0) this.byPeer.delete(peerId);
    if (channel.members.size === 0) {
      if (channel.secret) channel.emptySince = now;
      else this.channels.delete(id!);
    }
    return true;
  }

  /** Takes `peerId` out of every channel (it unregistered or expired); returns the channels it was in. */
  leaveAll(peerId: string, now: number): string[] {
    const names = this.channelsOf(peerId);
    for (const name of names) this.leave(peerId, name, now);
    return names;
  }

  /** The channels `peerId` is in, besides #general, in the order it joined them. */
  channelsOf(peerId: string): string[] {
    return [...(this.byPeer.get(peerId) ?? [])];
  }

  /** The members of `name` in the order they joined, or undefined when there is no such channel. */
  members(name: string): string[] | undefined {
    const id = channelName(name);
    const channel = id === null ? undefined : this.channels.get(id);
    return channel ? [...channel.members] : undefined;
  }

  /** Every channel besides #general, in the order it was created; an empty private one too, until `expire` forgets it. */
  names(): string[] {
    return [...this.channels.keys()];
  }

  isPrivate(name: string): boolean {
    const id = channelName(name);
    return id !== null && this.channels.get(id)?.secret !== undefined;
  }

  /** Forgets the private channels empty for longer than `keyHoldMs`; returns their names. */
  expire(now: number): string[] {
    const forgotten: string[] = [];
    for (const [id, channel] of this.channels) {
      if (channel.emptySince !== undefined && now - channel.emptySince > this.keyHoldMs) {
        this.channels.delete(id);
        forgotten.push(id);
      }
    }
    return forgotten;
  }
}
