/**
 * The tracker's channels: who is in which channel, and the key's verifier of each private one. `Channels` is
 * what the routes need (`redis-channels.ts` keeps it in Redis); `ChannelRegistry` is the embedded default, pure
 * state with no sockets, no clock and no crypto: `now` is passed in, and the key work is done by `keys.ts`
 * between `plan` (what a join needs) and `join` (do it). New: WeApRous's tracker had no channels (docs/protocol.md, "Channels").
 */

import { channelName, GENERAL_CHANNEL, MAX_CHANNELS_PER_PEER } from '../protocol';
import type { Verifier } from './keys';
import type { Awaitable } from './registry';
import { SortedStrings } from './sorted';
import { shareOf } from '../../daemon/admission';
import { ChannelOwners, ownerOf } from './channel-owners';
import { ChannelVault } from './vault';

/** What joining needs, from `plan`: nothing more, a verifier (to create), a credential checked, or a refusal. */
export type JoinPlan =
  | { kind: 'member' | 'general' | 'join' | 'create' }
  | { kind: 'create-private' }
  | { kind: 'check-key'; secret: Verifier }
  | { kind: 'refused'; status: 400 | 403 | 409 | 429 | 503; error: string };

/**
 * The channels one source address may have created and still exist (`shares.ts`): 1,150 made-up peers
 * behind one address could otherwise fill the whole table in seconds. A class's demo from 127.0.0.1 is exempt.
 */
export const CHANNELS_PER_ADDRESS = 32;

/** What `join` did; `changed` means the channel changed since `plan` (plan again). */
export type JoinResult = 'member' | 'general' | 'joined' | 'created' | 'changed';

/** One page of a channel's members in peer-id order; `next` when more follow. */
export interface MemberPage {
  ids: string[];
  next?: string;
}

/** The channel state the routes use, in memory or in Redis. The contract: test/apps/tracker/store-contract.ts. */
export interface Channels {
  /** How long an empty private channel keeps its key (the peer TTL). */
  readonly keyHoldMs: number;
  /** What `peerId` joining `name` needs, given whether it sent a key. */
  plan(peerId: string, name: string, hasKey: boolean, source?: string): Awaitable<JoinPlan>;
  /**
   * Puts `peerId` in `name`. Without `secret` the channel must be public (or new, and then public); with it,
   * new (and then private with that secret) or private with that very secret (the one `plan` gave and the
   * caller checked the key against). Anything else since `plan` → `changed`.
   */
  join(peerId: string, name: string, secret?: Verifier, source?: string): Awaitable<JoinResult>;
  /** Takes `peerId` out of `name`; false when it was not in it. An empty public channel disappears. */
  leave(peerId: string, name: string, now: number): Awaitable<boolean>;
  /** Takes `peerId` out of every channel (it unregistered or expired); returns the channels it was in. */
  leaveAll(peerId: string, now: number): Awaitable<string[]>;
  /** The channels `peerId` is in, besides #general, in the order it joined them. */
  channelsOf(peerId: string): Awaitable<string[]>;
  /** The members of `name` in the order they joined, or undefined when there is no such channel. */
  members(name: string): Awaitable<string[] | undefined>;
  /** At most `limit` members whose id sorts after `after`, in id order; undefined when there is no such channel. */
  page(name: string, after: string | undefined, limit: number): Awaitable<MemberPage | undefined>;
  /** How many peers are in `name` (0 when there is no such channel). */
  memberCount(name: string): Awaitable<number>;
  /** Every channel besides #general, in the order it was created; an empty private one too, until `expire` forgets it. */
  names(): Awaitable<string[]>;
  isPrivate(name: string): Awaitable<boolean>;
  /** Forgets the private channels empty for longer than `keyHoldMs`; returns their names. */
  expire(now: number): Awaitable<string[]>;
}

/** What `planJoin` needs to know about a channel and a peer, read from memory or from Redis. */
export interface JoinFacts {
  /** The channel exists (a private one with no member, its key still held, counts). */
  exists: boolean;
  isMember: boolean;
  /** Channels the peer is in besides #general. */
  peerChannels: number;
  /** Channels the tracker holds; when it holds its most, those it could make room for (`roomFor`). */
  channelCount: number;
  /** Channels the request's source address created and that still exist (0 for an exempt address). */
  addressChannels?: number;
  /** The private channel's verifier, or the one a name created private is held to (`vault.ts`). */
  secret?: Verifier;
}

/**
 * The first rule of joining, read from the name alone: a bad name or #general gets its plan at once;
 * any other name gets its canonical form, for `planJoin`. `planByName('#Team', false)` → `'team'`.
 */
export function planByName(name: string, hasKey: boolean): JoinPlan | string {
  const id = channelName(name);
  if (id === null) return { kind: 'refused', status: 400, error: `"${name}" is not a channel name (1 to 32 letters, digits, "-" or "_")` };
  if (id !== GENERAL_CHANNEL) return id;
  return hasKey
    ? { kind: 'refused', status: 409, error: '#general is public (every peer is in it); join it without a key' }
    : { kind: 'general' };
}

/** The rest of the rules, the same for every store: what `peerId` joining channel `id` needs, given the facts. */
export function planJoin(peerId: string, id: string, hasKey: boolean, channel: JoinFacts, maxChannels: number): JoinPlan {
  if (channel.isMember) return { kind: 'member' };
  if (channel.peerChannels >= MAX_CHANNELS_PER_PEER)
    return {
      kind: 'refused',
      status: 409,
      error: `${peerId} is in ${MAX_CHANNELS_PER_PEER} channels, the most a peer can be in; leave one first`,
    };
  if (!channel.exists) {
    if ((channel.addressChannels ?? 0) >= CHANNELS_PER_ADDRESS)
      return {
        kind: 'refused',
        status: 429,
        error: `Your address created ${CHANNELS_PER_ADDRESS} channels that still exist, its share; join an existing one or wait until one empties`,
      };
    if (channel.channelCount >= maxChannels)
      return {
        kind: 'refused',
        status: 503,
        error: `The tracker holds ${maxChannels} channels, its limit; join an existing one or try later`,
      };
    // A name once created private stays its key's (`vault.ts`): only the key creates it again.
    if (!channel.secret) return { kind: hasKey ? 'create-private' : 'create' };
  }
  if (channel.secret) {
    return hasKey
      ? { kind: 'check-key', secret: channel.secret }
      : { kind: 'refused', status: 403, error: `#${id} is private; only its key joins it (in the console: /join #${id} <key>)` };
  }
  return hasKey
    ? { kind: 'refused', status: 409, error: `#${id} is a public channel; join it without a key, or pick another name for a private one` }
    : { kind: 'join' };
}

interface Channel {
  /** Peer ids in the order they joined. */
  members: Set<string>;
  /** The same ids sorted, for paged lists. */
  sorted: SortedStrings;
  /** Set for a private channel: its key's verifier (`channel-secret.ts`), never the key. */
  secret?: Verifier;
  /** The source address that created it ('' when unknown), whose share it counts against. */
  owner: string;
}

export class ChannelRegistry implements Channels {
  private readonly channels = new Map<string, Channel>();
  private readonly byPeer = new Map<string, Set<string>>();
  // Empty private channels and since when, oldest first, so `expire` (run at every request) stops at the first young one.
  private readonly emptySince = new Map<string, number>();
  // The channels each source address created: its share, and what a full table takes back first.
  private readonly owners = new ChannelOwners();

  /**
   * @param keyHoldMs how long an empty private channel keeps its key (the peer TTL), so that its members can
   *   come back and nobody else can take the name the moment the last one leaves.
   * @param maxChannels the most channels the tracker holds; creating one more is refused (503).
   * @param vault the key of every name created private, for good (`vault.ts`).
   */
  constructor(
    readonly keyHoldMs: number,
    readonly maxChannels = 10_000,
    private readonly vault = new ChannelVault(),
  ) {}

  plan(peerId: string, name: string, hasKey: boolean, source?: string): JoinPlan {
    const id = planByName(name, hasKey);
    if (typeof id !== 'string') return id;
    const channel = this.channels.get(id);
    const capped = shareOf(source);
    const facts: JoinFacts = {
      exists: channel !== undefined,
      isMember: channel?.members.has(peerId) ?? false,
      peerChannels: this.byPeer.get(peerId)?.size ?? 0,
      channelCount: this.hogOver(ownerOf(source)) === undefined ? this.channels.size : 0,
      addressChannels: capped === null ? 0 : this.owners.count(capped),
    };
    const secret = channel ? channel.secret : this.vault.get(id);
    if (secret) facts.secret = secret;
    return planJoin(peerId, id, hasKey, facts, this.maxChannels);
  }

  join(peerId: string, name: string, secret?: Verifier, source?: string): JoinResult {
    const id = channelName(name);
    if (id === null) return 'changed';
    if (id === GENERAL_CHANNEL) return 'general';
    let channel = this.channels.get(id);
    if (channel?.members.has(peerId)) return 'member';
    if ((this.byPeer.get(peerId)?.size ?? 0) >= MAX_CHANNELS_PER_PEER) return 'changed';
    let created = false;
    if (!channel) {
      const owner = ownerOf(source);
      const held = this.vault.get(id);
      if (held !== secret && held !== undefined) return 'changed';
      if (this.channels.size >= this.maxChannels && !this.makeRoom(owner)) return 'changed';
      if (secret) this.vault.hold(id, secret, source);
      channel = { members: new Set(), sorted: new SortedStrings(), ...(secret ? { secret } : {}), owner };
      this.channels.set(id, channel);
      this.owners.add(owner, id);
      created = true;
    } else if (channel.secret !== secret) {
      return 'changed';
    }
    channel.members.add(peerId);
    channel.sorted.add(peerId);
    this.emptySince.delete(id);
    if (!this.byPeer.has(peerId)) this.byPeer.set(peerId, new Set());
    this.byPeer.get(peerId)!.add(id);
    return created ? 'created' : 'joined';
  }

  leave(peerId: string, name: string, now: number): boolean {
    const id = channelName(name);
    const channel = id === null ? undefined : this.channels.get(id);
    if (!channel || !channel.members.delete(peerId)) return false;
    channel.sorted.delete(peerId);
    const mine = this.byPeer.get(peerId)!;
    mine.delete(id!);
    if (mine.size === 0) this.byPeer.delete(peerId);
    if (channel.members.size === 0) {
      if (channel.secret) this.emptySince.set(id!, now);
      else this.forget(id!);
    }
    return true;
  }

  /** Deletes a channel and takes it off its owner's share; its members (if any) leave it. */
  private forget(id: string): void {
    const channel = this.channels.get(id);
    if (!channel) return;
    for (const peerId of channel.members) {
      const mine = this.byPeer.get(peerId)!;
      mine.delete(id);
      if (mine.size === 0) this.byPeer.delete(peerId);
    }
    this.channels.delete(id);
    this.emptySince.delete(id);
    this.owners.remove(channel.owner, id);
  }

  /** When the table is full: the address whose newest channel it would take back for `owner` (`channel-owners.ts`). */
  private hogOver(owner: string): string | undefined {
    return this.channels.size < this.maxChannels ? undefined : this.owners.hogOver(owner);
  }

  /** Frees one place in a full table for `owner`; false when no address holds more than is fair to take from. */
  private makeRoom(owner: string): boolean {
    const hog = this.hogOver(owner);
    const newest = hog === undefined ? undefined : this.owners.newestOf(hog);
    if (newest === undefined) return false;
    this.forget(newest);
    return true;
  }

  leaveAll(peerId: string, now: number): string[] {
    const names = this.channelsOf(peerId);
    for (const name of names) this.leave(peerId, name, now);
    return names;
  }

  channelsOf(peerId: string): string[] {
    return [...(this.byPeer.get(peerId) ?? [])];
  }

  members(name: string): string[] | undefined {
    const channel = this.find(name);
    return channel ? [...channel.members] : undefined;
  }

  page(name: string, after: string | undefined, limit: number): MemberPage | undefined {
    const channel = this.find(name);
    if (!channel) return undefined;
    const ids = channel.sorted.after(after, limit + 1);
    return ids.length > limit ? { ids: ids.slice(0, limit), next: ids[limit - 1] } : { ids };
  }

  memberCount(name: string): number {
    return this.find(name)?.members.size ?? 0;
  }

  names(): string[] {
    return [...this.channels.keys()];
  }

  isPrivate(name: string): boolean {
    return this.find(name)?.secret !== undefined;
  }

  expire(now: number): string[] {
    const forgotten: string[] = [];
    for (const [id, since] of this.emptySince) {
      if (now - since <= this.keyHoldMs) break;
      this.forget(id);
      forgotten.push(id);
    }
    return forgotten;
  }

  private find(name: string): Channel | undefined {
    const id = channelName(name);
    return id === null ? undefined : this.channels.get(id);
  }
}
