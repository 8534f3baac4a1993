/**
 * Catch-up: asking a peer for what it holds of the channels both are in, and of the direct conversation with it
 * (`GET /history/`, page after page), so a peer that was away, or joins late, ends up with the history the others
 * have. Each message is checked as the inbox checks one and stored once; what was added is one notice and one
 * `history` event. New; WeApRous `apps/peer.py` kept no history. docs/protocol.md, "Catch-up".
 */

import { GENERAL_CHANNEL } from '../../protocol';
import { reasonOf } from '../../text';
import type { Channels } from '../model/channels';
import type { History } from '../storage/history';
import { type ChatMessage, derivedId, directChannel, readMessage } from '../model/message';
import type { PageFrom, PeerClient } from './peer-client';
import type { PeerInfo } from '../model/peers';
import { isSealed } from '../identity/sealed';
import type { Trust } from '../identity/trust';
import type { EventLog } from '../model/events';
import type { Notify } from '../model/notices';
import { CatchUpCursors } from '../storage/cursors';
import { NOT_MEMBER_RETRY_SECONDS } from './inbox';

/** What one catch-up of a conversation brought: messages new here, and messages refused as forged. */
interface Tally {
  added: number;
  forged: number;
}

/** A page's last message as the peer sent it, and its highest clock (-1 for none): where the cursors go. */
interface PageRead {
  last: ChatMessage | undefined;
  highest: number;
}

/**
 * A peer that answers by clock only (no `arrived`: an older peer) is asked from this many clocks before the
 * highest one read from it (`storage/cursors.ts`): what it wrote itself always comes after, but a message it
 * passed on may carry a lower clock (its writer had not seen the others). Duplicates cost nothing.
 */
const CATCH_UP_MARGIN = 100;
/** A peer that answered "not a member yet" (409) is asked again this often, at most `NOT_YET_TRIES` times. */
const NOT_YET_RETRY_MS = NOT_MEMBER_RETRY_SECONDS * 1_000;
const NOT_YET_TRIES = 3;
/** At most this many pages from one peer for one channel at a time (100 messages each). */
const CATCH_UP_PAGES = 100;

export interface CatchUpParts {
  selfId: string;
  client: PeerClient;
  channels: Channels;
  history: History;
  trust: Trust;
  events: EventLog;
  notify: Notify;
  /** How far each peer's history has been read; in memory only when not given. */
  cursors?: CatchUpCursors;
}

export class CatchUp {
  private readonly cursors: CatchUpCursors;
  /** Catch-ups running, by peer and channels: a second meeting meanwhile does not ask the same pages twice. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly parts: CatchUpParts) {
    this.cursors = parts.cursors ?? new CatchUpCursors();
  }

  /** No more retries: the peer is leaving. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
  }

  /**
   * Asks `peer` for what it has of the channels both are in (#general, and the ones it is listed in), then, when
   * its key is known (it answers only then), for the direct conversation with it: a direct message lost comes back.
   */
  run(peer: PeerInfo, channels = this.parts.channels.list().map((c) => c.name)): Promise<void> {
    const key = `${peer.peer_id} ${channels.join(' ')}`;
    const running = this.running.get(key) ?? this.runNow(peer, channels).finally(() => this.running.delete(key));
    this.running.set(key, running);
    return running;
  }

  private async runNow(peer: PeerInfo, channels: string[]): Promise<void> {
    const shared = channels.filter((channel) => channel === GENERAL_CHANNEL || this.parts.channels.isKnownMember(channel, peer.peer_id));
    for (const channel of shared) await this.ask(peer, channel, channel);
    if (this.parts.trust.knows(peer.peer_id)) await this.ask(peer, directChannel(this.parts.selfId), directChannel(peer.peer_id));
  }

  /**
   * One conversation from `peer`: `asked` as it names it, kept as `conversation`; one notice for what came. A
   * "not a member yet" (409: the tracker has not heard this peer's claim again) is asked again a little later.
   */
  private async ask(peer: PeerInfo, asked: string, conversation: string, tries = 1): Promise<void> {
    let result: Tally = { added: 0, forged: 0 };
    try {
      result = await this.channel(peer, asked, conversation);
    } catch (error) {
      // It went away, or is older: no /history/ (404), or none of direct conversations (400). Else say so.
      const why = reasonOf(error);
      const older = /^Answer 404\b/.test(why) || (asked !== conversation && /^Answer 400\b/.test(why));
      // 409: not a member yet; 401: met this instant, it has not read this peer's key from the meeting's answer yet.
      if (/^Answer 40[19]\b/.test(why) && tries < NOT_YET_TRIES) return this.later(() => this.ask(peer, asked, conversation, tries + 1));
      if (!older) this.parts.notify({ kind: 'catch-up-failed', channel: conversation, peer, reason: why });
      return;
    }
    if (result.added > 0) this.parts.events.emit('history', { conversation, added: result.added });
    if (result.added > 0 || result.forged > 0) this.parts.notify({ kind: 'caught-up', channel: conversation, peer, ...result });
  }

  private later(task: () => Promise<void>): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      if (!this.stopped) void task();
    }, NOT_YET_RETRY_MS);
    timer.unref();
    this.retries.add(timer);
  }

  /**
   * Pages of one channel from one peer, each message checked and stored once: how many were new, and how
   * many were refused because they claim a sender whose key this peer knows without its signature. Asked from
   * where the last catch-up of that peer ended in its history file (`arrived`); a peer that answers by clock
   * only is asked from the clock cursor less `CATCH_UP_MARGIN`. Each page moves the cursor on.
   */
  private async channel(peer: PeerInfo, channel: string, conversation: string): Promise<Tally> {
    const read = this.cursors.of(peer.peer_id, conversation);
    const tally = { added: 0, forged: 0 };
    let [clock, history] = [read.clock, read.history];
    let from: PageFrom = { since: Math.max(-1, clock - CATCH_UP_MARGIN), arrived: read.position ?? 0 };
    for (let page = 0; page < CATCH_UP_PAGES; page++) {
      const answer = await this.parts.client.historyPage(peer, channel, from);
      if (answer.history !== undefined && history !== undefined && answer.history !== history && from.arrived) {
        [from, history] = [{ since: -1, arrived: 0 }, answer.history]; // a new history file there: from its start
        continue;
      }
      const { last, highest } = await this.take(peer, channel, conversation, answer.messages, tally);
      clock = Math.max(clock, highest);
      // By place when the peer said where to go on; else from the page's last message, by clock.
      if (answer.arrived !== undefined) from = { since: clock, arrived: answer.arrived };
      else if (last !== undefined) from = { since: last.clock, after: last.id };
      history = answer.history;
      this.cursors.advance(peer.peer_id, conversation, { clock, position: answer.arrived, history });
      if (!answer.more || answer.messages.length === 0) break;
    }
    return tally;
  }

  /**
   * One page's messages, each checked as the inbox checks one, stored once, counted in `tally`; returns the
   * page's last message as the peer sent it (kept or not) and its highest clock, for the cursors. Of a direct
   * conversation (`@<this peer>`), only what the peer itself wrote to this one is taken.
   */
  private async take(peer: PeerInfo, channel: string, conversation: string, raws: unknown[], tally: Tally): Promise<PageRead> {
    const direct = channel !== conversation;
    let [last, highest]: [ChatMessage | undefined, number] = [undefined, -1];
    for (const raw of raws) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
      const read = readMessage(raw as Record<string, unknown>, { channel, now: Date.now() / 1000 });
      if (!read.ok || read.value.clock === undefined) continue;
      if (read.value.channel !== channel && !(direct && read.value.channel === conversation)) continue;
      const message = { ...read.value, clock: read.value.clock };
      [last, highest] = [message, Math.max(highest, message.clock)];
      if (direct && (message.from !== peer.peer_id || message.channel !== channel)) continue; // ours: held already
      // Its sender has a key (a direct conversation is asked of such peers only): in clear, it is refused, as the inbox refuses it.
      if (direct && !isSealed(message)) continue;
      if (!isSealed(message) && this.parts.channels.isPrivate(channel)) continue; // a private channel's are sealed
      if (this.parts.history.has(message.id)) continue; // held: a copy is not stored again, so not checked again either
      const verdict = await this.judge(message);
      if (verdict === 'forged') tally.forged += 1;
      else if ((await this.parts.history.acceptQuietly(verdict)) === 'added') tally.added += 1;
    }
    return { last, highest };
  }

  /**
   * A message the answering peer passes on, written by someone else: refused ('forged') when it names a
   * sender whose key is known without that sender's signature. A signed one from a sender not met yet makes
   * this peer ask the sender's address for its key first (`Trust.learn`). A sender still without a key cannot
   * prove an id is its own: the message is kept under the id made from what it says, unsigned, so a page cannot
   * take a real peer's ids ahead of its real messages (as `Inbox` does for what comes in directly).
   */
  private async judge(message: ChatMessage): Promise<ChatMessage | 'forged'> {
    const trust = this.parts.trust;
    if (message.signature !== undefined && message.from !== this.parts.selfId) await trust.learn(message.from);
    const verdict = trust.authorship(message, this.parts.selfId);
    if (verdict === 'forged') return 'forged';
    if (verdict === 'verified') return message;
    const { signature: _dropped, ...unsigned } = message;
    return { ...unsigned, id: derivedId(message.from, message.channel, message.timestamp, message.msg) };
  }
}
