/**
 * The channels one peer is in, as plain state: joined channels (with the key of a private one, so the
 * heartbeat can claim it again after a tracker restart), the current one (where plain text goes), unread
 * counts, and the members last heard from the tracker. No sockets, no clock. New; WeApRous `apps/peer.py`
 * had one room. docs/protocol.md, "Channels on the console".
 */

import { type ChannelClaim, GENERAL_CHANNEL } from '../../protocol';

/** Why a channel operation cannot be done: the same sentence on both screens (the console adds `[Channel]`). */
export const channelReasons = {
  badName: (typed: string) => `"${typed}" is not a channel name: 1 to 32 letters, digits, "-" or "_", e.g. #team`,
  notJoined: (channel: string) => `You are not in #${channel}; /join #${channel} first (/channels lists yours)`,
  general: () => 'Every peer is always in #general; it cannot be joined or left',
};

export interface ChannelView {
  name: string;
  current: boolean;
  unread: number;
  private: boolean;
}

export class Channels {
  private readonly joined = new Map<string, { key?: string }>([[GENERAL_CHANNEL, {}]]);
  private readonly unread = new Map<string, number>();
  private readonly members = new Map<string, Set<string>>();
  private currentName = GENERAL_CHANNEL;

  get current(): string {
    return this.currentName;
  }

  has(channel: string): boolean {
    return this.joined.has(channel);
  }

  join(channel: string, key?: string): void {
    this.joined.set(channel, key === undefined ? {} : { key });
  }

  /** Leaves a channel (never #general); the current channel becomes #general if it was this one. */
  leave(channel: string): void {
    if (channel === GENERAL_CHANNEL) return;
    this.joined.delete(channel);
    this.unread.delete(channel);
    this.members.delete(channel);
    if (this.currentName === channel) this.currentName = GENERAL_CHANNEL;
  }

  /** Makes a joined channel the current one and marks it read; false when not joined. */
  switchTo(channel: string): boolean {
    if (!this.joined.has(channel)) return false;
    this.currentName = channel;
    this.unread.delete(channel);
    return true;
  }

  /** The user has seen `channel` elsewhere (the web UI): its unread count goes, the current channel stays. */
  markRead(channel: string): void {
    this.unread.delete(channel);
  }

  /** A message arrived in `channel`: true when it counts as unread (not the current channel). */
  arrived(channel: string): boolean {
    if (channel === this.currentName || !this.joined.has(channel)) return false;
    this.unread.set(channel, (this.unread.get(channel) ?? 0) + 1);
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
    }));
  }

  /** What the heartbeat carries: every joined channel but #general, with its key. */
  claims(): ChannelClaim[] {
    return [...this.joined]
      .filter(([name]) => name !== GENERAL_CHANNEL)
      .map(([channel, { key }]) => (key === undefined ? { channel } : { channel, key }));
  }

  /** The members of a channel as the tracker last listed them. */
  setMembers(channel: string, peerIds: string[]): void {
    this.members.set(channel, new Set(peerIds));
  }

  knownMembers(channel: string): string[] {
    return [...(this.members.get(channel) ?? [])];
  }

  isKnownMember(channel: string, peerId: string): boolean {
    return this.members.get(channel)?.has(peerId) ?? false;
  }
}
