/**
 * The chat's operations, the one way in for both screens: the console's commands and the web UI's API call
 * `send`, `sendTo`, `join`, `leave` and `markRead`; a message from another peer arrives through `received`.
 * Each change is emitted once on the event log (`model/events.ts`), which both screens follow. Sending stores
 * the message, emits it as pending, and hands it to `Delivery`, whose outcomes become a notice. Split out of
 * `class PeerApp` (`broadcast_message`, `send_direct_message`) of WeApRous `apps/peer.py`.
 */

import { ClientError } from '../../daemon/client';
import { SHORT_KEY_CHARS } from '../channel-secret';
import { channelName, GENERAL_CHANNEL, MAX_MESSAGE_CHARS } from '../protocol';
import { reasonOf } from '../text';
import type { Delivery, Outcome } from './delivery/delivery';
import type { Trust } from './identity/trust';
import type { ChannelKeys } from './identity/channel-keys';
import { readableText, sealChannelMessage, sealMessage } from './identity/sealed';
import { type ChannelEvent, type MessageEvent, type Origin, type Result, fail, ok } from './model/chat-events';
import type { Contacts } from './model/contacts';
import { type Channels, channelReasons } from './model/channels';
import type { EventLog } from './model/events';
import { type ChatMessage, directChannel, tooLongReason } from './model/message';
import type { Notify, SendReport } from './model/notices';
import type { ChatState, PeerInfo } from './model/peers';
import type { Receipts } from './model/receipts';
import type { Unread } from './model/unread';
import { type MessageView, messageView } from './model/views';
import type { CatchUp } from './network/catch-up';
import type { Members } from './network/members';
import type { TrackerClient } from './network/tracker-client';
import type { History } from './storage/history';

export interface ChatParts {
  self: PeerInfo;
  state: ChatState;
  channels: Channels;
  /** What a private channel's key gives: its messages are sealed and opened with its message key. */
  keys: ChannelKeys;
  history: History;
  delivery: Delivery;
  trust: Trust;
  tracker: TrackerClient;
  catchUp: CatchUp;
  /** Who is in a channel: the tracker's list, or for a private channel the peers that proved its key. */
  members: Members;
  events: EventLog;
  receipts: Receipts;
  unread: Unread;
  notify: Notify;
  /** The peers the user exchanged messages with: fed here, read by delivery (`model/contacts.ts`). */
  contacts?: Contacts;
  /** Runs a task without waiting for it; leaving waits for every such task. */
  background: (task: () => Promise<void>) => void;
}

export class Chat {
  constructor(private readonly parts: ChatParts) {}

  /** This peer, as the page names it. */
  get self(): { peer_id: string; name: string } {
    return { peer_id: this.parts.self.peer_id, name: this.parts.self.name };
  }

  get unread(): Unread {
    return this.parts.unread;
  }

  /** The messages held, for the pages of a conversation. */
  get history(): History {
    return this.parts.history;
  }

  /** A stored message as the page shows it. */
  view(message: ChatMessage): MessageView {
    const { self, trust, receipts } = this.parts;
    return messageView(message, {
      self,
      authorship: (m) => trust.authorship(m, self.peer_id),
      pending: (id) => receipts.isPending(id),
      text: (m) => this.textOf(m),
    });
  }

  /** A stored message's text as this peer reads it: a sealed direct or private channel message opened (`identity/sealed.ts`). */
  textOf(message: ChatMessage): string {
    const { self, trust, keys } = this.parts;
    return readableText(message, { selfId: self.peer_id, identity: trust.identity, channelKey: (channel) => keys.messageKey(channel) });
  }

  /**
   * `text` to a conversation: `general` (every connected peer), a joined channel (its members), or
   * `@<peer id>` (one connected peer). Resolves once the message is stored, with it as the page shows it.
   */
  async send(conversation: string, text: string, origin: Origin): Promise<Result<MessageView>> {
    const [result] = await this.sendAll(conversation, [text], origin);
    return result;
  }

  /**
   * Several texts to one conversation, in the order given, as `send` sends one: a paste of many lines. Each is
   * checked alone; the good ones are stored in one write and handed to delivery together, so each peer gets
   * them in a few batches (`/messages/`), not in a request each.
   */
  async sendAll(conversation: string, texts: string[], origin: Origin): Promise<Array<Result<MessageView>>> {
    const checked = texts.map((text): Result<never> | undefined => {
      if (text.trim() === '') return fail(400, 'Not sent: the message is empty.');
      if (text.length > MAX_MESSAGE_CHARS) return fail(400, tooLongReason(text.length));
      return undefined;
    });
    const good = texts.filter((_, i) => checked[i] === undefined);
    const sent = good.length > 0 ? await this.sendChecked(conversation, good, origin) : ok([]);
    let next = 0;
    return checked.map((failed) => failed ?? (sent.ok ? ok(sent.value[next++]) : sent));
  }

  private async sendChecked(conversation: string, texts: string[], origin: Origin): Promise<Result<MessageView[]>> {
    if (conversation.startsWith('@')) {
      const peer = this.parts.state.get(conversation.slice(1));
      return peer ? this.sendAllTo(peer, texts, origin) : fail(404, unknownPeerReason(conversation.slice(1)));
    }
    const channel = channelName(conversation);
    if (channel === null) return fail(400, channelReasons.badName(conversation), 'channel');
    if (channel === GENERAL_CHANNEL) return ok(await this.broadcast(texts, origin));
    if (!this.parts.channels.has(channel)) return fail(404, channelReasons.notJoined(channel), 'channel');
    return this.sayIn(channel, texts, origin);
  }

  /**
   * A broadcast in #general: to every connected peer, to the listed peers being connected to (it waits for them),
   * and to the peers messages still wait for.
   */
  private async broadcast(texts: string[], origin: Origin): Promise<MessageView[]> {
    const messages = await this.composeAll(GENERAL_CHANNEL, texts);
    const { state, delivery } = this.parts;
    const others = [...delivery.expecting().map(({ peer_id }) => ({ peerId: peer_id })), ...delivery.pending()];
    const owed = [...new Set(others.map(({ peerId }) => peerId))].filter((peerId) => !state.isConnected(peerId));
    const peers = [...state.peers(), ...owed.flatMap((peerId) => this.parts.members.peerOf(peerId) ?? [])];
    return messages.map((message) =>
      this.hand(message, peers, origin, async () => {
        const report = await this.deliverToAll(message, peers);
        this.parts.notify({ kind: 'broadcast-sent', report });
      }),
    );
  }

  /**
   * Messages in a channel: to the members the tracker lists (or last listed), peer to peer; in a private
   * channel, only to the peers that prove its key, listed or not (`recipients`).
   */
  private async sayIn(channel: string, texts: string[], origin: Origin): Promise<Result<MessageView[]>> {
    // A private channel's text is sealed under its message key, never sent in clear (docs/security/channels.md).
    const secrets = this.parts.keys.secrets(channel);
    const messageKey = secrets && (await secrets).messageKey;
    const seal = messageKey && ((made: ChatMessage) => sealChannelMessage(made, messageKey));
    const messages = await this.composeAll(channel, texts, seal);
    const peers = await this.parts.members.recipients(channel);
    // The members of a private channel proved its key; anyone can be in a public one, so they are not chosen.
    if (this.parts.channels.isPrivate(channel)) for (const peer of peers) this.parts.contacts?.choose(peer.peer_id);
    return ok(
      messages.map((message) =>
        this.hand(message, peers, origin, async () => {
          const report = await this.deliverToAll(message, peers);
          this.parts.notify({ kind: 'channel-sent', channel, report });
        }),
      ),
    );
  }

  /** A direct message to one connected peer. */
  async sendTo(peer: PeerInfo, text: string, origin: Origin): Promise<Result<MessageView>> {
    const sent = await this.sendAllTo(peer, [text], origin);
    return sent.ok ? ok(sent.value[0]) : sent;
  }

  private async sendAllTo(peer: PeerInfo, texts: string[], origin: Origin): Promise<Result<MessageView[]>> {
    const { trust } = this.parts;
    // Sealed for a peer with keys, never in clear; in clear only for a peer with none (the document's kind).
    const boxKey = await trust.boxKeyFor(peer.peer_id);
    if (boxKey === undefined) return fail(503, noBoxKeyReason(peer));
    const seal = boxKey === 'clear' ? undefined : (made: ChatMessage) => sealMessage(made, boxKey, trust.identity.boxKey);
    const messages = await this.composeAll(directChannel(peer.peer_id), texts, seal);
    this.parts.contacts?.choose(peer.peer_id);
    return ok(
      messages.map((message) =>
        this.hand(message, [peer], origin, async () => {
          const outcome = await this.parts.delivery.deliver(peer, message);
          if (outcome.kind === 'sent') return this.parts.notify({ kind: 'direct-sent', peer, ...(seal ? {} : { clear: true as const }) });
          const waiting = outcome.kind === 'queued' ? outcome.waiting : undefined;
          this.parts.notify({ kind: 'direct-failed', peer, reason: outcome.reason, waiting });
        }),
      ),
    );
  }

  /** Makes, signs and stores each text in order; the store writes them in one go (`storage/journal.ts`). */
  private composeAll(channel: string, texts: string[], seal?: (made: ChatMessage) => ChatMessage): Promise<ChatMessage[]> {
    return Promise.all(texts.map((text) => this.parts.history.compose(channel, text, Date.now(), seal)));
  }

  /** Emits the stored message as pending, then delivers it in the background. */
  private hand(message: ChatMessage, peers: PeerInfo[], origin: Origin, deliver: () => Promise<void>): MessageView {
    this.parts.receipts.expect(
      message.id,
      peers.map((peer) => peer.peer_id),
    );
    // Signed by this peer's own key a moment ago (`History.compose`): shown as verified without checking it again.
    if (message.signature !== undefined) this.parts.trust.vouch(message);
    const shown = this.view(message);
    this.parts.events.emit<MessageEvent>('message', { message: shown, origin });
    this.parts.background(deliver);
    return shown;
  }

  /** Hands a stored message to each of `peers` at once; drops the connected peers that turn out to be gone. */
  private async deliverToAll(message: ChatMessage, peers: PeerInfo[]): Promise<SendReport> {
    const outcomes = await Promise.all(peers.map((peer) => this.parts.delivery.deliver(peer, message)));
    const report: SendReport = { sent: 0, total: peers.length, failures: [], dropped: [], queued: [] };
    outcomes.forEach((outcome: Outcome, i) => {
      if (outcome.kind === 'sent') return void (report.sent += 1);
      report.failures.push({ peer: peers[i], reason: outcome.reason });
      if (outcome.kind === 'queued') report.queued.push({ peer: peers[i], waiting: outcome.waiting });
      if (refusedConnection(outcome.error) && this.parts.state.disconnect(peers[i].peer_id)) report.dropped.push(peers[i]);
    });
    return report;
  }

  /**
   * A message another peer sent, stored just now: counted unread for the page, and emitted. A private channel's
   * waits for the channel's key to be derived (about 50 ms after a start), so it is shown opened, never as sealed.
   */
  received(message: ChatMessage): void {
    const deriving = message.enc && !this.parts.keys.messageKey(message.channel) ? this.parts.keys.secrets(message.channel) : undefined;
    if (deriving)
      return void deriving.then(
        () => this.show(message),
        () => this.show(message),
      );
    this.show(message);
  }

  private show(message: ChatMessage): void {
    const shown = this.view(message);
    if (message.channel.startsWith('@') && shown.authorship === 'verified') this.parts.contacts?.hear(message.from);
    this.parts.unread.arrived(shown.conversation);
    this.parts.events.emit<MessageEvent>('message', { message: shown, origin: 'peer' });
  }

  /** Joins a channel at the tracker (which may refuse a wrong key), then asks its members what it said. */
  async join(
    typed: string,
    key: string | undefined,
    origin: Origin,
  ): Promise<Result<{ channel: string; said: string; members: number; warning?: string }>> {
    const channel = channelName(typed);
    if (channel === null) return fail(400, channelReasons.badName(typed), 'channel');
    if (channel === GENERAL_CHANNEL) return fail(400, channelReasons.general(), 'channel');
    let said: string;
    try {
      said = await this.parts.tracker.channel(channel, { key });
    } catch (error) {
      return fail(error instanceof ClientError ? 502 : 409, `Could not join #${channel}: ${reasonOf(error)}`, 'channel');
    }
    this.parts.channels.join(channel, key);
    const members = await this.parts.members.refresh(channel);
    this.parts.events.emit<ChannelEvent>('channel', { change: 'joined', conversation: channel, origin });
    for (const id of members) {
      const peer = this.parts.state.get(id);
      if (peer) this.parts.background(() => this.parts.catchUp.run(peer, [channel])); // what #team said before we joined
    }
    const short = key !== undefined && key.length < SHORT_KEY_CHARS;
    return ok({ channel, said, members: members.length, ...(short ? { warning: channelReasons.shortKey(channel, key.length) } : {}) });
  }

  async leave(typed: string, origin: Origin): Promise<Result<{ channel: string }>> {
    const channel = channelName(typed);
    if (channel === null) return fail(400, channelReasons.badName(typed), 'channel');
    if (channel === GENERAL_CHANNEL) return fail(400, channelReasons.general(), 'channel');
    if (!this.parts.channels.has(channel)) return fail(404, channelReasons.notJoined(channel), 'channel');
    try {
      await this.parts.tracker.channel(channel, { leave: true });
    } catch (error) {
      return fail(error instanceof ClientError ? 502 : 409, `Could not leave #${channel}: ${reasonOf(error)}`, 'channel');
    }
    this.parts.channels.leave(channel);
    this.parts.unread.read(channel);
    this.parts.events.emit<ChannelEvent>('channel', { change: 'left', conversation: channel, origin });
    return ok({ channel });
  }

  /** The user has seen a conversation: its unread count goes, on both screens. */
  markRead(conversation: string, origin: Origin): void {
    const { channels, unread } = this.parts;
    if (unread.of(conversation) === 0 && !channels.list().some((c) => c.name === conversation && c.unread > 0)) return;
    unread.read(conversation);
    channels.markRead(conversation);
    this.parts.events.emit<ChannelEvent>('channel', { change: 'read', conversation, origin });
  }

  /** Whether `channel` was joined with a key. */
  isPrivate(channel: string): boolean {
    return this.parts.channels.isPrivate(channel);
  }

  /** Whether this peer is in `channel`. */
  isMember(channel: string): boolean {
    return this.parts.channels.has(channel);
  }

  /** The peers messages wait for, and how many (the page's peer list). */
  pending(): Array<{ peerId: string; waiting: number }> {
    return this.parts.delivery.pending();
  }

  /** Whether this peer knows `peerId`'s key (it signs what it sends). */
  knows(peerId: string): boolean {
    return this.parts.trust.knows(peerId);
  }

  /** Whether `from` may post in (or read) `channel` (`Members.admits`). */
  admits(channel: string, from: string): Promise<boolean> {
    return this.parts.members.admits(channel, from);
  }
}

/** Why a message to `target` cannot go: no connected peer has that id. */
export function unknownPeerReason(target: string): string {
  return `No connected peer is called "${target}". Type /peers to see who is connected, then /direct <peer_id or name> <message>.`;
}

/** Why a direct message to a peer with a key was not sent: it could not be sealed, and it never goes in clear. */
function noBoxKeyReason(peer: PeerInfo): string {
  return `Not sent: ${peer.name} (${peer.peer_id}) has a key but did not say its encryption key, and direct messages to it never go in clear. Try again when it is online.`;
}

/** A connection refused: nothing listens at that address any more. */
function refusedConnection(error: unknown): boolean {
  return error instanceof ClientError && error.code === 'ECONNREFUSED';
}
