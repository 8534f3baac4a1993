/**
 * Who is in a channel, as far as this peer knows: the tracker's list (remembered for when it is down), and for a
 * private channel only the peers that proved its key (`channel-proof.ts`), whatever the tracker says. Also what
 * the tracker answered about the channels a heartbeat claimed. New; WeApRous `apps/peer.py` had one room.
 */

import type { Channels } from '../model/channels';
import type { Notify } from '../model/notices';
import { addressOf, type ChatState, type PeerInfo } from '../model/peers';
import type { ChannelProofs } from './channel-proof';
import type { ChannelAnswer, TrackerClient } from './tracker-client';

export interface MembersParts {
  self: PeerInfo;
  state: ChatState;
  channels: Channels;
  tracker: TrackerClient;
  notify: Notify;
  /** Members of a private channel prove its key to each other; without it, the tracker's list is taken. */
  proofs?: ChannelProofs;
  /** How long a member the tracker no longer lists is still sent to (`Channels.setMembers`); `MEMBER_GRACE_MS` by default. */
  graceMs?: number;
  /** How long a list the tracker gave is used again to send; `MEMBER_LIST_FRESH_MS` by default. */
  freshMs?: number;
}

/** Two heartbeats of 30 s and a margin: the time a restarted tracker takes to hear every member's claim again. */
export const MEMBER_GRACE_MS = 65_000;
/**
 * A channel's messages in the same second go to the list the tracker gave for the first: a burst of 1,000 is one
 * `GET /get-list/`, not 1,000 in a row (each before its message could leave). A member that joined in that second
 * is listed again at once when it asks this peer for the history (`admits` asks the tracker for a peer not listed).
 */
export const MEMBER_LIST_FRESH_MS = 1_000;

export class Members {
  /** Per channel, when this peer last asked the tracker for its members to send to, and the answer (awaited by all). */
  private readonly asked = new Map<string, { at: number; list: Promise<string[]> }>();

  constructor(private readonly parts: MembersParts) {}

  /** The members of a channel from the tracker, remembered; the last list when the tracker cannot answer. */
  async refresh(channel: string): Promise<string[]> {
    try {
      const listed = await this.parts.tracker.members(channel);
      const ids = listed.map((entry) => entry.peer_id);
      this.parts.channels.setMembers(channel, ids, Date.now(), this.parts.graceMs ?? MEMBER_GRACE_MS);
    } catch {
      // the tracker is down: peer to peer goes on with the members last heard of
    }
    return this.parts.channels.knownMembers(channel);
  }

  /** Who a channel's message goes to: the members listed; in a private one, those of them and of the peers that proved its key who prove it. */
  async recipients(channel: string): Promise<PeerInfo[]> {
    const { channels, proofs, self } = this.parts;
    const listed = await this.listToSend(channel);
    const isPrivate = proofs !== undefined && channels.isPrivate(channel);
    const ids = [...new Set(isPrivate ? [...channels.provenMembers(channel), ...listed] : listed)].filter((id) => id !== self.peer_id);
    const peers = ids.flatMap((id) => this.peerOf(id) ?? []);
    if (!isPrivate) return peers;
    const proved = await Promise.all(peers.map((peer) => proofs.ensure(channel, peer)));
    // One that did not prove it now (no answer, or not yet) gets this message by catch-up, once met again.
    peers.forEach((peer, i) => proved[i] || this.parts.state.owe(peer.peer_id));
    return peers.filter((_, i) => proved[i]);
  }

  /** The members listed for a message now: the tracker's list of the last `freshMs`, or asked now. */
  private async listToSend(channel: string): Promise<string[]> {
    const now = Date.now();
    const last = this.asked.get(channel);
    if (last !== undefined && now - last.at < (this.parts.freshMs ?? MEMBER_LIST_FRESH_MS)) {
      await last.list;
      return this.parts.channels.knownMembers(channel); // with any member `admits` or `refresh` found since
    }
    const list = this.refresh(channel);
    this.asked.set(channel, { at: now, list });
    return list;
  }

  /**
   * Whether `from` may post in (or read) `channel`: a known member, or one the tracker lists now; in a private
   * channel, only a peer that proved its key, whatever the tracker says. This peer asks for that proof (and so
   * shows its own first) only of a peer the tracker lists in the channel: a stranger proves first, with
   * `POST /channel-proof/`, so it cannot get a member's proof to guess a weak key from offline.
   */
  async admits(channel: string, from: string): Promise<boolean> {
    const { channels, proofs } = this.parts;
    if (proofs !== undefined && channels.isPrivate(channel)) {
      if (channels.hasProved(channel, from)) return true;
      const listed = channels.isKnownMember(channel, from) || (await this.refresh(channel)).includes(from);
      const peer = this.peerOf(from);
      return listed && peer !== undefined && proofs.ensure(channel, peer);
    }
    if (channels.isKnownMember(channel, from)) return true;
    return (await this.refresh(channel)).includes(from);
  }

  /**
   * What the tracker said of the channels a heartbeat claimed: a refusal is said once and marks the channel
   * contested (its list is then someone else's); a channel taken again is said to be back.
   */
  answered(answer: ChannelAnswer): void {
    const { channels, notify } = this.parts;
    for (const { channel, status, error } of answer.refused) {
      if (channels.contest(channel))
        notify({ kind: 'channel-refused', channel, status, reason: error, private: channels.isPrivate(channel) });
    }
    for (const channel of answer.channels) if (channels.settle(channel)) notify({ kind: 'channel-back', channel });
  }

  /** A peer by id: as connected, or by its address alone (named by its id) when it is not. */
  peerOf(peerId: string): PeerInfo | undefined {
    const address = addressOf(peerId);
    const scheme = this.parts.state.schemeOf(peerId); // a peer heard to serve HTTPS is asked over TLS
    return this.parts.state.get(peerId) ?? (address && { ...address, name: peerId, ...(scheme && { scheme }) });
  }
}
