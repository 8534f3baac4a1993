/**
 * The channels one peer is in, as plain state: joined channels (with the key of a private one, so the
 * heartbeat can claim it again after a tracker restart), the current one (where plain text goes), unread
 * counts, and the members last heard from the tracker. No sockets, no clock. New; WeApRous `apps/peer.py`
 * had one room. docs/protocol.md, "Channels on the console".
 */

import { SHORT_KEY_CHARS } from '../../channel-secret';
import { type ChannelClaim, channelName, GENERAL_CHANNEL } from '../../protocol';

/** Why a channel operation cannot be done: the same sentence on both screens (the console adds `[Channel]`). */
export const channelReasons = {
  badName: (typed: string) => `"${typed}" is not a channel name: 1 to 32 letters, digits, "-" or "_", e.g. #team`,
  notJoined: (channel: string) => `You are not in #${channel}; /join #${channel} first (/channels lists yours)`,
  general: () => 'Every peer is always in #general; it cannot be joined or left',
  shortKey: (channel: string, length: number) =>
    `The key of #${channel} has ${length} characters: whoever captures one of its messages can try guesses offline. ` +
    `A key of ${SHORT_KEY_CHARS} or more characters (a few words) is much harder to guess.`,
};

export interface ChannelView {
  name: string;
  current: boolean;
  unread: number;
  private: boolean;
  /** The tracker refused this peer's claim to it (someone else holds the name there now). */
  contested?: true;
}

/** What `storage/channels-file.ts` keeps across a restart: the joined channels (a private one's key), unread counts, members. A restart starts in #general. */
export interface ChannelsJson {
  joined: ChannelClaim[];
  unread: Record<string, number>;
  members: Record<string, string[]>;
}

/** The most peers remembered as having proved one channel's key (only a proof with the key adds one). */
export const MAX_PROVEN_PER_CHANNEL = 1_000;

export class Channels {
  private readonly joined = new Map<string, { key?: string }>([[GENERAL_CHANNEL, {}]]);
  private readonly unread = new Map<string, number>();
  private readonly members = new Map<string, Set<string>>();
  /** Per channel, since when each remembered member has been missing from the tracker's list (`setMembers`). */
  private readonly unlisted = new Map<string, Map<string, number>>();
  /** Per private channel, the peers that proved its key to this one (identity/channel-keys.ts). */
  private readonly proven = new Map<string, Set<string>>();
  private readonly contested = new Set<string>();
  private currentName = GENERAL_CHANNEL;
  /** Hears every change worth keeping across a restart (`storage/channels-file.ts` saves it then). */
  onChange: () => void = () => {};
  /** Hears an unread count changed by a message that arrived: one per message, so it may be saved later (`onChange` unless set). */
  onUnread: () => void = () => this.onChange();

  get current(): string {
    return this.currentName;
  }

  has(channel: string): boolean {
    return this.joined.has(channel);
  }

  join(channel: string, key?: string): void {
    if (this.joined.get(channel)?.key !== key) this.forgetProofs(channel);
    this.joined.set(channel, key === undefined ? {} : { key });
    this.onChange();
  }

  /** The key `channel` was joined with; undefined for a public channel or one not joined. */
  keyOf(channel: string): string | undefined {
    return this.joined.get(channel)?.key;
  }

  isPrivate(channel: string): boolean {
    return this.keyOf(channel) !== undefined;
  }

  /** Leaves a channel (never #general); the current channel becomes #general if it was this one. */
  leave(channel: string): void {
    if (channel === GENERAL_CHANNEL) return;
    this.joined.delete(channel);
    this.unread.delete(channel);
    this.members.delete(channel);
    this.unlisted.delete(channel);
    this.forgetProofs(channel);
    if (this.currentName === channel) this.currentName = GENERAL_CHANNEL;
    this.onChange();
  }

  /** Makes a joined channel the current one and marks it read; false when not joined. */
  switchTo(channel: string): boolean {
    if (!this.joined.has(channel)) return false;
    this.currentName = channel;
    this.unread.delete(channel);
    this.onChange();
    return true;
  }

  /** The user has seen `channel` elsewhere (the web UI): its unread count goes, the current channel stays. */
  markRead(channel: string): void {
    if (this.unread.delete(channel)) this.onChange();
  }

  /** A message arrived in `channel`: true when it counts as unread (not the current channel). */
  arrived(channel: string): boolean {
    if (channel === this.currentName || !this.joined.has(channel)) return false;
    this.unread.set(channel, (this.unread.get(channel) ?? 0) + 1);
    this.onUnread();
    return true;
  }

  /** Unread messages in every channel but the current one. */
  get unreadElsewhere(): number {
    let total = 0;
    for (const [channel, count] of this.unread) if (channel !== this.currentName) total += count;
    return total;
  }

  /** The joined channels, #general first, then by name. */
  list(): ChannelView[] {
    const names = [...this.joined.keys()].sort((a, b) => (a === GENERAL_CHANNEL ? -1 : b === GENERAL_CHANNEL ? 1 : a < b ? -1 : 1));
    return names.map((name) => ({
      name,
      current: name === this.currentName,
      unread: this.unread.get(name) ?? 0,
      private: this.joined.get(name)?.key !== undefined,
      ...(this.contested.has(name) ? { contested: true as const } : {}),
    }));
  }

  /** What the heartbeat carries: every joined channel but #general, with its key. */
  claims(): ChannelClaim[] {
    return [...this.joined]
      .filter(([name]) => name !== GENERAL_CHANNEL)
      .map(([channel, { key }]) => (key === undefined ? { channel } : { channel, key }));
  }

  /**
   * The members of a channel as the tracker lists them now. A member remembered and no longer listed stays for
   * `graceMs` from the first list without it: a tracker that restarted lists a member again only after its next
   * heartbeat, and a list without it (or none, a 404) must not make the messages meanwhile go to nobody.
   */
  setMembers(channel: string, peerIds: string[], now = 0, graceMs = 0): void {
    const listed = new Set(peerIds);
    const unlisted = this.unlisted.get(channel) ?? new Map<string, number>();
    for (const id of listed) unlisted.delete(id);
    for (const id of this.members.get(channel) ?? []) {
      if (listed.has(id)) continue;
      const since = unlisted.get(id) ?? now;
      if (now - since < graceMs) {
        listed.add(id);
        unlisted.set(id, since);
      } else unlisted.delete(id);
    }
    const before = this.members.get(channel);
    this.members.set(channel, listed);
    this.unlisted.set(channel, unlisted);
    if (before?.size !== listed.size || [...listed].some((id) => !before.has(id))) this.onChange();
  }

  knownMembers(channel: string): string[] {
    return [...(this.members.get(channel) ?? [])];
  }

  isKnownMember(channel: string, peerId: string): boolean {
    return this.members.get(channel)?.has(peerId) ?? false;
  }

  /** `peerId` proved it holds the key of `channel` (joined with a key): it may be sent and may read it. */
  proved(channel: string, peerId: string): void {
    if (!this.isPrivate(channel)) return;
    const peers = this.proven.get(channel) ?? new Set<string>();
    if (peers.size >= MAX_PROVEN_PER_CHANNEL && !peers.has(peerId)) peers.delete(peers.values().next().value as string);
    this.proven.set(channel, peers.add(peerId));
  }

  hasProved(channel: string, peerId: string): boolean {
    return this.proven.get(channel)?.has(peerId) ?? false;
  }

  /** The peers that proved the key of `channel`. */
  provenMembers(channel: string): string[] {
    return [...(this.proven.get(channel) ?? [])];
  }

  /** The tracker refused this peer's claim to `channel`; true the first time (so it is said once). */
  contest(channel: string): boolean {
    if (!this.joined.has(channel) || this.contested.has(channel)) return false;
    this.contested.add(channel);
    return true;
  }

  /** The tracker took the claim again; true when it had been refused. */
  settle(channel: string): boolean {
    return this.contested.delete(channel);
  }

  isContested(channel: string): boolean {
    return this.contested.has(channel);
  }

  toJSON(): ChannelsJson {
    const members = [...this.members].filter(([name]) => this.joined.has(name));
    return {
      joined: this.claims(),
      unread: Object.fromEntries(this.unread),
      members: Object.fromEntries(members.map(([name, ids]) => [name, [...ids]])),
    };
  }

  /** Takes back what `toJSON` gave after a restart, each field checked: what is not a joined channel is left out. */
  restore(saved: Partial<Record<keyof ChannelsJson, unknown>>): void {
    for (const item of Array.isArray(saved.joined) ? (saved.joined as unknown[]) : []) {
      const claim = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
      const name = typeof claim.channel === 'string' ? channelName(claim.channel) : null;
      if (name !== null && name !== GENERAL_CHANNEL) this.joined.set(name, typeof claim.key === 'string' ? { key: claim.key } : {});
    }
    const entries = (field: unknown) =>
      Object.entries(typeof field === 'object' && field !== null ? field : {}).filter(([name]) => this.joined.has(name));
    for (const [name, count] of entries(saved.unread)) if (Number.isSafeInteger(count) && count > 0) this.unread.set(name, count);
    for (const [name, ids] of entries(saved.members))
      if (Array.isArray(ids)) this.members.set(name, new Set(ids.filter((id): id is string => typeof id === 'string')));
  }

  private forgetProofs(channel: string): void {
    this.proven.delete(channel);
    this.contested.delete(channel);
  }
}
