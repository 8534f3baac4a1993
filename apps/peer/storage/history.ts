/**
 * History: the messages of one peer, wired together: the store on disk (`store.ts`), the Lamport clock and
 * the ids of outgoing messages (`message.ts`). `compose` makes and stores what this peer sends; `accept`
 * stores what another peer sent, once. No sockets. New; WeApRous `apps/peer.py` kept `self.messages` in
 * memory. docs/history.md.
 */

import { Contacts } from '../model/contacts';
import { type ChatMessage, type IncomingMessage, LamportClock, MessageMaker, receive } from '../model/message';
import { type ArrivedPage, type HistoryPage, MessageStore, type Writer } from './store';
import { HistoryShares } from './shares';

/** A stranger over its share of the history: not stored, so not acknowledged (answer 429 with the message). */
export class OverShare extends Error {}

export interface HistoryOptions {
  /** The process's start time (ms): part of each outgoing id, so a restarted peer never reuses one. */
  startedAt: number;
  /** Hears each problem found in the history file (a torn last line), one line each. */
  onProblem?: (line: string) => void;
  /** Signs what this peer writes: the signature is stored with the message, for catch-up elsewhere. */
  signer?: { sign(body: object): string };
  /** The peers the user chose: their messages are stored as a contact's, not charged to a stranger's share. */
  contacts?: Contacts;
  /** The history file's largest size in bytes (`FILE_LIMIT` unless a test wants it small). */
  fileLimit?: number;
}

/** Ids caught up on and not shown yet, remembered so a live copy still shows them; the oldest forgotten beyond. */
const QUIET_LIMIT = 10_000;

export class History {
  private readonly quiet = new Set<string>();
  private readonly shares = new HistoryShares();

  private constructor(
    private readonly store: MessageStore,
    private readonly clock: LamportClock,
    private readonly maker: MessageMaker,
    private readonly signer: { sign(body: object): string } | undefined,
    private readonly contacts: Contacts,
  ) {}

  /** Opens `<dir>/history.jsonl`; the clock starts at the highest clock held, so new messages order after it. */
  static async open(dir: string, self: { peer_id: string; name: string }, options: HistoryOptions): Promise<History> {
    const { onProblem, startedAt: now, fileLimit } = options;
    const store = await MessageStore.open(dir, { selfId: self.peer_id, onProblem, now, fileLimit });
    const clock = new LamportClock(store.maxClock);
    const contacts = options.contacts ?? new Contacts();
    // A data folder from before contacts were kept: the peers this one wrote to directly are its contacts.
    for (const conversation of store.conversations().filter((name) => name.startsWith('@'))) {
      const { messages } = store.latest(conversation, Infinity);
      if (messages.some((message) => message.from === self.peer_id)) contacts.choose(conversation.slice(1));
    }
    return new History(store, clock, new MessageMaker(self, clock, options.startedAt), options.signer, contacts);
  }

  /**
   * A message this peer sends: a fresh id and clock, stored before it leaves. `compose('general', 'Hi', Date.now())`.
   * `seal` may change it once it has its id and clock, before it is signed: a direct message's text sealed.
   */
  async compose(channel: string, msg: string, now: number, seal?: (made: ChatMessage) => ChatMessage): Promise<ChatMessage> {
    const made = seal ? seal(this.maker.make(channel, msg, now)) : this.maker.make(channel, msg, now);
    const message = this.signer ? { ...made, signature: this.signer.sign(made) } : made;
    await this.store.add(message, 'owner'); // a full history never stops the owner's own messages
    if (channel.startsWith('@')) this.contacts.choose(channel.slice(1));
    return message;
  }

  /**
   * Whether `from` writes as a contact: the user chose it (`model/contacts.ts`: sent it a direct message, or
   * spoke to it in a private channel it proved the key of). Being in a public channel costs one `/add-list/`, so
   * it makes nobody a contact.
   */
  isContact(from: string): boolean {
    return this.contacts.chose(from);
  }
  /**
   * A message from another peer: 'added' once it is on disk (answer 2xx only then), or 'duplicate' when its
   * id is already held (a resend: answer 2xx, show nothing). A duplicate does not move the clock. A stranger's
   * message that came in from `source` is charged to its share (`shares.ts`); over it, `OverShare`.
   */
  async accept(incoming: IncomingMessage, source?: string): Promise<{ status: 'added' | 'duplicate'; message: ChatMessage }> {
    const { status, message } = await this.keep(incoming, source);
    // Caught up on before its live copy came: stored already, but never shown, so show it now.
    if (status === 'duplicate' && this.quiet.delete(message.id)) return { status: 'added', message };
    return { status, message };
  }

  /**
   * `accept` for catch-up, which shows nothing: a live copy arriving later is still shown once. A copy another
   * catch-up stored already is a duplicate here, so two peers answering the same history count it once.
   */
  async acceptQuietly(incoming: IncomingMessage): Promise<'added' | 'duplicate'> {
    const { status, message } = await this.keep(incoming);
    if (status === 'added') this.quiet.add(message.id);
    if (this.quiet.size > QUIET_LIMIT) this.quiet.delete(this.quiet.values().next().value as string);
    return status;
  }

  /** Stores a message from another peer once, charged to its writer's share; the clock moves only for a new one. */
  private async keep(incoming: IncomingMessage, source?: string): Promise<{ status: 'added' | 'duplicate'; message: ChatMessage }> {
    const held = this.store.has(incoming.id);
    const writer: Writer = this.isContact(incoming.from) ? 'contact' : 'stranger';
    if (!held && source !== undefined && writer === 'stranger') {
      const refused = this.shares.charge(incoming.from, source, Buffer.byteLength(JSON.stringify(incoming)), Date.now());
      if (refused !== null) throw new OverShare(refused);
    }
    const message = held ? { ...incoming, clock: incoming.clock ?? this.clock.now } : receive(incoming, this.clock);
    return { status: await this.store.add(message, writer), message };
  }

  /** Whether a message of this id is stored. */
  has(id: string): boolean {
    return this.store.has(id);
  }

  /** The last `count` messages of a channel (`general`) or conversation (`@127.0.0.1:5002`), oldest first, and how many it holds. */
  recent(conversation: string, count: number): { messages: ChatMessage[]; total: number } {
    return this.store.latest(conversation, count);
  }

  /** A page for `GET /history/`: from just after `(since, after)`, in order, about `limit`; `more` when more follow. */
  page(conversation: string, since: number, limit: number, after = ''): Promise<HistoryPage> {
    return this.store.history(conversation, { since, limit, after });
  }

  /** A page for `GET /history/?arrived=`: what was stored from `position` on (a place in the file), in that order. */
  arrivedAfter(conversation: string, position: number, limit: number): Promise<ArrivedPage> {
    return this.store.arrivedAfter(conversation, position, { limit });
  }

  /** Names the history file: a position means something only in the file of this name. */
  get fileId(): string {
    return this.store.id;
  }

  /** The highest clock held in a channel or conversation; -1 when it has none. */
  highestClock(conversation: string): number {
    const [last] = this.recent(conversation, 1).messages;
    return last ? last.clock : -1;
  }

  /** The channels and conversations held. */
  conversations(): string[] {
    return this.store.conversations();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
