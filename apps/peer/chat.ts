/**
 * The chat's operations, the one way in for both screens: the console's commands and the web UI's API call
 * `send`, `sendTo`, `join`, `leave` and `markRead`; a message from another peer arrives through `received`.
 * Each change is emitted once on the event log (`web/events.ts`): the console prints from it and every browser
 * streams it, so what is typed in one appears in the other. Sending never waits for the slowest peer: the
 * message is stored, emitted as pending, handed to the outboxes, and reported (`say`) once every peer has it or
 * has it waiting. Split out of `class PeerApp` (`apps/peer.py`'s `broadcast_message`, `send_direct_message`).
 */

import { ClientError } from '../../daemon/client';
import { channelName, GENERAL_CHANNEL, MAX_MESSAGE_CHARS } from '../protocol';
import type { Channels } from './model/channels';
import * as view from './console/lines';
import { type Address, addressOf, type Delivery, Refused } from './delivery/delivery';
import type { History } from './storage/history';
import { type ChatMessage, directChannel } from './model/message';
import { type Mesh, reasonOf } from './network/peer-client';
import type { ChatState, PeerInfo } from './model/peers';
import type { TrackerClient } from './network/tracker-client';
import type { Trust } from './identity/trust';
import type { EventLog } from './model/events';
import { Receipts } from './model/receipts';
import { Unread } from './model/unread';
import { type MessageView, messageView } from './model/views';

/** Where an action came from: the console prints what the browser did, and not what it typed itself. */
export type Origin = 'console' | 'web';

/** What an operation answers: its value, or a console sentence and the HTTP status the web API answers with. */
export type Result<T> = { ok: true; value: T } | { ok: false; status: number; line: string };

/** The data of a `message` event; `origin` is `peer` for a message another peer sent. */
export interface MessageEvent {
  message: MessageView;
  origin: Origin | 'peer';
}

/** The data of a `channel` event. */
export interface ChannelEvent {
  change: 'joined' | 'left' | 'read';
  /** A channel name, or `@<peer id>` for `read` of a direct conversation. */
  conversation: string;
  origin: Origin;
}

export interface ChatParts {
  self: PeerInfo;
  state: ChatState;
  channels: Channels;
  mesh: Mesh;
  tracker: TrackerClient;
  events: EventLog;
  /** Prints console lines (the send reports). */
  say: (...lines: string[]) => void;
  /** Runs a task without waiting for it; leaving waits for every such task. */
  background: (task: () => Promise<void>) => void;
  /** The peer list may have changed (a message delivered or queued). */
  peersChanged: () => void;
  /** Asks a member for what a channel said before this peer joined. */
  catchUp: (peer: PeerInfo, channels: string[]) => Promise<void>;
}

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (status: number, line: string): Result<never> => ({ ok: false, status, line });

export class Chat {
  readonly receipts: Receipts;
  readonly unread = new Unread();
  /** Set by `attach` once the data folder is open; nothing is sent or received before. */
  history!: History;
  delivery!: Delivery;
  trust: Trust | null = null;

  constructor(private readonly parts: ChatParts) {
    this.receipts = new Receipts((id) => parts.events.emit('delivered', { id }));
  }

  /** This peer, as the page names it. */
  get self(): { peer_id: string; name: string } {
    return { peer_id: this.parts.self.peer_id, name: this.parts.self.name };
  }

  attach(history: History, delivery: Delivery, trust: Trust | null): void {
    this.history = history;
    this.delivery = delivery;
    this.trust = trust;
  }

  /** A stored message as the page shows it. */
  view(message: ChatMessage): MessageView {
    return messageView(message, {
      self: this.parts.self,
      authorship: this.trust ? (m) => this.trust!.authorship(m, this.parts.self.peer_id) : undefined,
      pending: (id) => this.receipts.isPending(id),
    });
  }

  /**
   * `text` to a conversation: `general` (every connected peer), a joined channel (its members), or
   * `@<peer id>` (one connected peer). Resolves once the message is stored, with it as the page shows it.
   */
  async send(conversation: string, text: string, origin: Origin): Promise<Result<MessageView>> {
    if (text.trim() === '') return fail(400, 'Not sent: the message is empty.');
    if (text.length > MAX_MESSAGE_CHARS)
      return fail(400, view.commandErrorLine({ kind: 'too-long', length: text.length, limit: MAX_MESSAGE_CHARS }));
    if (conversation.startsWith('@')) {
      const peer = this.parts.state.get(conversation.slice(1));
      return peer ? this.sendTo(peer, text, origin) : fail(404, view.unknownPeerLine(conversation.slice(1)));
    }
    const channel = channelName(conversation);
    if (channel === null) return fail(400, view.channelLines.badName(conversation));
    if (channel === GENERAL_CHANNEL) return ok(await this.broadcast(text, origin));
    if (!this.parts.channels.has(channel)) return fail(404, view.channelLines.notJoined(channel));
    return ok(await this.say(channel, text, origin));
  }

  /** A broadcast in #general: to every connected peer, and to the peers messages still wait for. */
  private async broadcast(text: string, origin: Origin): Promise<MessageView> {
    const message = await this.history.compose(GENERAL_CHANNEL, text, Date.now());
    const { state } = this.parts;
    const owed = this.delivery
      .pending()
      .filter(({ peerId }) => !state.isConnected(peerId))
      .map(({ peerId }) => ({ ...addressOf(peerId)!, name: peerId }));
    const peers = [...state.peers(), ...owed];
    return this.hand(message, peers, origin, async () => {
      const result = await this.parts.mesh.multicast(message, peers);
      const queued = result.queued.map(({ peer, waiting }) => view.queuedLine(peer, waiting));
      this.settleFailures(message, result.failures, result.queued);
      return [...view.broadcastReport(result.sent, result.total, result.failures), ...queued, ...result.dropped.map(view.droppedLine)];
    });
  }

  /** A message in a channel: to the members the tracker lists (or last listed), peer to peer. */
  private async say(channel: string, text: string, origin: Origin): Promise<MessageView> {
    const message = await this.history.compose(channel, text, Date.now());
    const members = (await this.refreshMembers(channel)).filter((id) => id !== this.parts.self.peer_id);
    const peers = members
      .map((id) => this.parts.state.get(id) ?? { ...addressOf(id)!, name: id })
      .filter((peer) => peer.port !== undefined);
    return this.hand(message, peers, origin, async () => {
      const result = await this.parts.mesh.multicast(message, peers);
      const queued = result.queued.map(({ peer, waiting }) => view.queuedLine(peer, waiting));
      this.settleFailures(message, result.failures, result.queued);
      const failed = view.broadcastReport(result.sent, result.total, result.failures).slice(1);
      return [view.channelLines.sent(channel, result.sent, result.total), ...failed, ...queued, ...result.dropped.map(view.droppedLine)];
    });
  }

  /** A direct message to one connected peer. */
  async sendTo(peer: PeerInfo, text: string, origin: Origin): Promise<Result<MessageView>> {
    const message = await this.history.compose(directChannel(peer.peer_id), text, Date.now());
    return ok(
      this.hand(message, [peer], origin, async () => {
        const outcome = await this.parts.mesh.direct(peer, message);
        if (outcome.kind === 'sent') return [view.directSentLine(peer)];
        if (outcome.kind === 'failed') this.receipts.settle(message.id, peer.peer_id);
        const failed = view.directFailedLine({ peer, reason: outcome.reason });
        return outcome.kind === 'queued' ? [failed, view.queuedLine(peer, outcome.waiting)] : [failed];
      }),
    );
  }

  /** Emits the stored message as pending, then delivers it in the background and prints the report. */
  private hand(message: ChatMessage, peers: PeerInfo[], origin: Origin, deliver: () => Promise<string[]>): MessageView {
    this.receipts.expect(
      message.id,
      peers.map((peer) => peer.peer_id),
    );
    const shown = this.view(message);
    this.parts.events.emit<MessageEvent>('message', { message: shown, origin });
    this.parts.background(async () => {
      const lines = await deliver();
      this.parts.say(...lines);
      this.parts.peersChanged();
    });
    return shown;
  }

  /** Peers that will never take the message (refused, or an outbox that is full) are no longer waited for. */
  private settleFailures(message: ChatMessage, failures: Array<{ peer: PeerInfo }>, queued: Array<{ peer: PeerInfo }>): void {
    const waiting = new Set(queued.map(({ peer }) => peer.peer_id));
    for (const { peer } of failures) if (!waiting.has(peer.peer_id)) this.receipts.settle(message.id, peer.peer_id);
  }

  /**
   * What `Delivery` sends with, now or from an outbox: a 2xx acknowledges the message for that peer, a 4xx
   * refuses it for good; either way that peer is no longer waited for.
   */
  async post(peer: Address, message: ChatMessage): Promise<void> {
    try {
      await this.parts.mesh.send(peer, message);
    } catch (error) {
      if (error instanceof Refused) this.receipts.settle(message.id, peer.peer_id);
      throw error;
    } finally {
      this.parts.peersChanged();
    }
    this.receipts.settle(message.id, peer.peer_id);
  }

  /**
   * `post` for several messages in one request (`Mesh.sendBatch`): each taken (null) or refused for good is
   * no longer waited for; when the request fails as a whole, every one still is (it goes to the outbox).
   */
  async postBatch(peer: Address, messages: ChatMessage[]): Promise<Array<string | null>> {
    try {
      const refusals = await this.parts.mesh.sendBatch(peer, messages);
      for (const message of messages) this.receipts.settle(message.id, peer.peer_id);
      return refusals;
    } finally {
      this.parts.peersChanged();
    }
  }

  /** A message another peer sent, stored just now: counted unread for the page, and emitted. */
  received(message: ChatMessage): void {
    const shown = this.view(message);
    this.unread.arrived(shown.conversation);
    this.parts.events.emit<MessageEvent>('message', { message: shown, origin: 'peer' });
  }

  /** Joins a channel at the tracker (which may refuse a wrong key), then asks its members what it said. */
  async join(
    typed: string,
    key: string | undefined,
    origin: Origin,
  ): Promise<Result<{ channel: string; line: string; said: string; members: number }>> {
    const channel = channelName(typed);
    if (channel === null) return fail(400, view.channelLines.badName(typed));
    if (channel === GENERAL_CHANNEL) return fail(400, view.channelLines.general());
    let said: string;
    try {
      said = await this.parts.tracker.channel(channel, { key });
    } catch (error) {
      return fail(error instanceof ClientError ? 502 : 409, view.channelLines.joinFailed(channel, reasonOf(error)));
    }
    this.parts.channels.join(channel, key);
    const members = await this.refreshMembers(channel);
    this.parts.events.emit<ChannelEvent>('channel', { change: 'joined', conversation: channel, origin });
    for (const id of members) {
      const peer = this.parts.state.get(id);
      if (peer) this.parts.background(() => this.parts.catchUp(peer, [channel])); // what #team said before we joined
    }
    return ok({ channel, line: view.channelLines.joined(channel, said, members.length), said, members: members.length });
  }

  async leave(typed: string, origin: Origin): Promise<Result<{ channel: string; line: string }>> {
    const channel = channelName(typed);
    if (channel === null) return fail(400, view.channelLines.badName(typed));
    if (channel === GENERAL_CHANNEL) return fail(400, view.channelLines.general());
    if (!this.parts.channels.has(channel)) return fail(404, view.channelLines.notJoined(channel));
    try {
      await this.parts.tracker.channel(channel, { leave: true });
    } catch (error) {
      return fail(error instanceof ClientError ? 502 : 409, view.channelLines.leaveFailed(channel, reasonOf(error)));
    }
    this.parts.channels.leave(channel);
    this.unread.read(channel);
    this.parts.events.emit<ChannelEvent>('channel', { change: 'left', conversation: channel, origin });
    return ok({ channel, line: view.channelLines.left(channel) });
  }

  /** The user has seen a conversation: its unread count goes, on both screens. */
  markRead(conversation: string, origin: Origin): void {
    const { channels } = this.parts;
    if (this.unread.of(conversation) === 0 && !channels.list().some((c) => c.name === conversation && c.unread > 0)) return;
    this.unread.read(conversation);
    channels.markRead(conversation);
    this.parts.events.emit<ChannelEvent>('channel', { change: 'read', conversation, origin });
  }

  /** The members of a channel from the tracker, remembered; the last list when the tracker cannot answer. */
  async refreshMembers(channel: string): Promise<string[]> {
    try {
      this.parts.channels.setMembers(
        channel,
        (await this.parts.tracker.members(channel)).map((entry) => entry.peer_id),
      );
    } catch {
      // the tracker is down: peer to peer goes on with the members last heard of
    }
    return this.parts.channels.knownMembers(channel);
  }

  /** Whether `from` may post in `channel`: a known member, or one the tracker lists now. */
  async admits(channel: string, from: string): Promise<boolean> {
    if (this.parts.channels.isKnownMember(channel, from)) return true;
    return (await this.refreshMembers(channel)).includes(from);
  }
}
