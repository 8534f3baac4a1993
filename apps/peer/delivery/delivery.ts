/**
 * Delivery: every message to every peer, handed to the courier (`courier.ts`) at once when the way is clear,
 * else kept in that peer's `Outbox` on disk and sent again on its schedule, in order, until the peer has it.
 * Requests take a slot (`slots.ts`) so hung peers cannot hold up the ones that answer. This file decides what
 * to send when, and returns each message's outcome. New; WeApRous `apps/peer.py` forgot a message that failed.
 */

import { Tick } from '../../../daemon/tick';
import { reasonOf } from '../../text';
import type { ChatMessage } from '../model/message';
import type { Notify } from '../model/notices';
import { type Address, addressOf } from '../model/peers';
import { batchLength, type Courier, Refused, sendInOrder } from './courier';
import { OUTBOX_LIMIT, type Outbox } from './outbox';
import { Outboxes } from './outboxes';
import { MAX_DOUBTFUL_REQUESTS, MAX_REQUESTS, Slots } from './slots';
import { Speeds } from './speeds';

export type Outcome =
  | { kind: 'sent' }
  /** Kept in the outbox: `reason` is why it did not go now, `waiting` how many wait for that peer. */
  | { kind: 'queued'; reason: string; waiting: number; error?: unknown }
  /** Not kept: the peer refused it (4xx), or its outbox is full. */
  | { kind: 'failed'; reason: string; error?: unknown };

export interface DeliveryOptions {
  /** Sends the messages: `PeerClient`, or a fake in a test. */
  courier: Courier;
  /** Hears what happens in the background: the waiting messages delivered, problems with an outbox file. */
  notify: Notify;
  /** Hears each message a peer has taken, or will never take: nobody waits for it there any more. */
  onSettled?: (peerId: string, messageId: string) => void;
  /** Hears that what waits for a peer may have changed (a request answered, a message queued or sent). */
  onChange?: () => void;
  /** Whether the peer's key is known: at `MAX_OUTBOXES`, its outbox may take the place of one whose peer's key is not. */
  isKnown?: (peerId: string) => boolean;
  /** Whether the user exchanged messages with the peer (`model/contacts.ts`): its requests go first, its outbox has room kept. */
  isContact?: (peerId: string) => boolean;
  /** The shares a peer's outbox counts against (`OutboxesOptions.sharesOf`); when a request is slow (`SLOW_MS`). */
  sharesOf?: (peerId: string) => string[];
  slowMs?: number;
  /** Requests out at once at most (`MAX_REQUESTS`), and of them to doubtful peers (`MAX_DOUBTFUL_REQUESTS`). */
  maxConnections?: number;
  maxDoubtful?: number;
  now?: () => number;
  /** Limits, for a test that wants them small: see `MAX_OUTBOXES`, `OUTBOX_BUDGET_BYTES` and `OUTBOX_LIMIT`. */
  maxOutboxes?: number;
  budgetBytes?: number;
  outboxLimit?: number;
}

/** Bytes all outboxes may hold together: a peer owing messages to many unreachable peers stops at this. */
export const OUTBOX_BUDGET_BYTES = 128 * 1024 * 1024;
/** How often the outboxes are looked at for a message whose retry time has come. */
const TICK_MS = 250;
/** Listed peers being connected to, whose messages wait in memory until they answer or not (`expect`). */
const MAX_EXPECTED = 1_024;

export class Delivery {
  private readonly outboxes: Outboxes;
  /**
   * Per peer, the messages handed to it and not sent yet. One request per peer is out at a time, so a peer
   * gets them in order; what comes meanwhile goes in the next request, together (`sendBatch`).
   */
  private readonly lanes = new Map<string, Array<{ peer: Address; message: ChatMessage; done: (outcome: Outcome) => void }>>();
  private readonly slots: Slots;
  /** How each peer answered its last request: its requests take slots of that kind (`speeds.ts`). */
  private readonly speeds: Speeds;
  /** Listed peers being connected to (`expect`); what is handed to them waits in their lane until `reached` or `missed`. */
  private readonly expected = new Map<string, Address>();
  /** The retry tick, from `start` to `close`: it runs while an outbox is open, and stops itself when none is. */
  private retries: Tick | null = null;
  private readonly now: () => number;

  constructor(
    dir: string,
    private readonly options: DeliveryOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.speeds = new Speeds(this.now, options.slowMs);
    this.slots = new Slots(options.maxConnections ?? MAX_REQUESTS, options.maxDoubtful ?? MAX_DOUBTFUL_REQUESTS);
    this.outboxes = new Outboxes({
      dir,
      notify: options.notify,
      isKnown: options.isKnown,
      isContact: options.isContact,
      sharesOf: options.sharesOf,
      maxOutboxes: options.maxOutboxes,
      budget: { used: 0, limit: options.budgetBytes ?? OUTBOX_BUDGET_BYTES },
      limit: options.outboxLimit,
    });
  }

  /** Opens the outboxes a run before left with messages waiting, and starts retrying them. */
  async start(): Promise<void> {
    await this.outboxes.reopen();
    this.retries = new Tick(() => this.tick(), TICK_MS);
    this.retries.wake();
    this.tick();
  }

  /**
   * One message to one peer, after the ones handed to that peer before it (a slow peer holds up only its
   * own messages). Behind messages already waiting for it, it waits too; otherwise it is sent now, and kept
   * in the outbox if the peer cannot be reached or answers 5xx. Messages handed over while the previous
   * request to that peer is out go together in the next one (at most `MAX_BATCH_MESSAGES`).
   */
  deliver(peer: Address, message: ChatMessage): Promise<Outcome> {
    return new Promise((done) => {
      const lane = this.lanes.get(peer.peer_id);
      if (lane) return void lane.push({ peer, message, done });
      this.lanes.set(peer.peer_id, [{ peer, message, done }]);
      if (!this.expected.has(peer.peer_id)) void this.runLane(peer.peer_id);
    });
  }

  /**
   * `peer` is listed and being connected to: what is handed to it meanwhile waits in its lane, and goes once it
   * answers (`reached`), or into its outbox if it does not (`missed`). A broadcast typed meanwhile is never for nobody.
   */
  expect(peer: Address): void {
    if (this.expected.size < MAX_EXPECTED && !this.lanes.has(peer.peer_id)) this.expected.set(peer.peer_id, peer);
  }

  /** The listed peers being connected to, for a broadcast typed meanwhile. */
  expecting(): Address[] {
    return [...this.expected.values()];
  }

  /** `peerId` did not answer `/connect-peer/`: what waits for it goes into its outbox, for later. */
  missed(peerId: string, reason: string): void {
    if (this.expected.delete(peerId) && this.lanes.has(peerId)) void this.runLane(peerId, reason);
  }

  /** Sends what waits in a peer's lane, a batch at a time, until the lane is empty; or keeps it, saying `keepReason`. */
  private async runLane(peerId: string, keepReason?: string): Promise<void> {
    const lane = this.lanes.get(peerId)!;
    await undefined; // the messages handed over with this one (a paste, `Chat.sendAll`) go in its request
    while (lane.length > 0) {
      const batch = lane.splice(0, batchLength(lane.map((item) => item.message)));
      const messages = batch.map((item) => item.message);
      const outcomes = await (
        keepReason === undefined ? this.deliverNow(batch[0].peer, messages) : this.keepAll(peerId, messages, keepReason)
      ).catch((error: unknown) => batch.map((): Outcome => ({ kind: 'failed', reason: String(error), error })));
      batch.forEach((item, i) => {
        if (outcomes[i].kind !== 'queued') this.options.onSettled?.(peerId, item.message.id);
        item.done(outcomes[i]);
      });
      this.options.onChange?.();
    }
    this.lanes.delete(peerId);
  }

  private async deliverNow(peer: Address, messages: ChatMessage[]): Promise<Outcome[]> {
    const waiting = this.waiting(peer.peer_id);
    if (waiting > 0) {
      const why = `${waiting} earlier message${waiting === 1 ? '' : 's'} still waiting`;
      return this.keepAll(peer.peer_id, messages, why);
    }
    let refusals: Array<string | null>;
    const { speeds, slots, options } = this;
    const peerId = peer.peer_id;
    try {
      const send = () => sendInOrder(options.courier, peer, messages);
      const isAnswer = (error: unknown) => error instanceof Refused;
      refusals = await slots.run(speeds.kindOf(peerId), (slot) => speeds.timed(peerId, slot, send, isAnswer), this.goesFirst(peerId));
    } catch (error) {
      const reason = reasonOf(error);
      if (error instanceof Refused) return messages.map(() => ({ kind: 'failed', reason, error }));
      return (await this.keepAll(peer.peer_id, messages, reason)).map((outcome) => ({ ...outcome, error }));
    }
    return refusals.map((refusal): Outcome =>
      refusal === null ? { kind: 'sent' } : { kind: 'failed', reason: refusal, error: new Refused(refusal) },
    );
  }

  /** A contact, or a peer whose key is known, goes before peers not measured yet (docs/security/peer-out.md). */
  private goesFirst(peerId: string): boolean {
    return (this.options.isContact?.(peerId) || this.options.isKnown?.(peerId)) ?? false;
  }

  /** Each message into the peer's outbox, in order. */
  private async keepAll(peerId: string, messages: ChatMessage[], reason: string): Promise<Array<Exclude<Outcome, { kind: 'sent' }>>> {
    const outcomes: Array<Exclude<Outcome, { kind: 'sent' }>> = [];
    for (const message of messages) outcomes.push(await this.keep(peerId, message, reason));
    return outcomes;
  }

  /** `queue`, or a failed outcome saying why the message could not be kept (a disk error, a file name too long). */
  private async keep(peerId: string, message: ChatMessage, reason: string): Promise<Exclude<Outcome, { kind: 'sent' }>> {
    try {
      return await this.queue(peerId, message, reason);
    } catch (error) {
      return { kind: 'failed', reason: `${reason}, and it could not be kept for later (${reasonOf(error)})`, error };
    }
  }

  /** Messages waiting for a peer, for `/peers`. */
  waiting(peerId: string): number {
    return this.outboxes.get(peerId)?.size ?? 0;
  }

  /** The peers messages wait for (`/peers`, `/outbox`): how many, the oldest one's time (s), the next try (ms; 0: at once). */
  pending(): Array<{ peerId: string; waiting: number; oldest?: number; nextTry: number }> {
    const open = [...this.outboxes.values()].filter((o) => o.size > 0);
    return open.map((o) => ({ peerId: o.peerId, waiting: o.size, oldest: o.head()?.timestamp, nextTry: o.nextAttemptAt }));
  }

  /** `/outbox drop <peer>`: forgets what waits for that peer (it stays in the history); resolves with how many went. */
  drop = (peerId: string): Promise<number> => this.outboxes.drop(peerId);

  /**
   * The peer may be back (it connected to us, or we to it): try at once instead of at the next retry time. Anyone
   * can make this happen (`/connect-peer/`), so an outbox heeds it once in `RETRY_NOW_INTERVAL_MS`, and a failure
   * then waits as long as the one before (outbox.ts).
   */
  retryNow(peerId: string): void {
    if (this.outboxes.get(peerId)?.retryNow(this.now())) this.tick();
  }

  /**
   * This peer just reached `peerId` itself (it answered our `/connect-peer/`): its requests take 'answered'
   * slots from the start, so a newly met peer's first message does not queue behind hung ones. (An incoming
   * `/connect-peer/` proves nothing: anyone can send one naming any address.)
   */
  reached(peerId: string, elapsedMs = 0): void {
    this.speeds.heard(peerId, true, elapsedMs);
    if (this.expected.delete(peerId) && this.lanes.has(peerId)) void this.runLane(peerId);
  }

  async close(): Promise<void> {
    this.retries?.sleep();
    this.retries = null;
    await this.outboxes.close();
  }

  private async queue(peerId: string, message: ChatMessage, reason: string): Promise<Exclude<Outcome, { kind: 'sent' }>> {
    return this.outboxes.write(peerId, async (outbox) => {
      const result = await outbox.enqueue(message);
      this.retries?.wake(); // a message waits: tick until none does
      if (result === 'full') {
        const why =
          outbox.size >= (this.options.outboxLimit ?? OUTBOX_LIMIT)
            ? `${outbox.size} messages waiting`
            : 'the outboxes hold all they may on disk';
        return { kind: 'failed', reason: `its outbox is full (${why}); not kept` };
      }
      return { kind: 'queued', reason, waiting: outbox.size };
    });
  }

  private tick(): void {
    this.outboxes.openWaiting();
    const now = this.now();
    for (const outbox of this.outboxes.values())
      if (outbox.due(now) && !this.outboxes.draining.has(outbox))
        void this.drain(outbox).catch((error) =>
          this.options.notify({ kind: 'waiting-failed', peer: { peer_id: outbox.peerId }, reason: reasonOf(error) }),
        );
    if (this.outboxes.empty) this.retries?.sleep(); // nothing waits: an idle peer wakes for nothing
  }

  /**
   * Sends the waiting messages one after another, oldest first, until one fails or none is left; then closes the
   * outbox if it is empty. Each takes a slot of the peer's kind: a retry to a peer that does not answer goes
   * after requests to peers that do, and one to a peer just reached goes at once.
   */
  private async drain(outbox: Outbox): Promise<void> {
    this.outboxes.draining.add(outbox);
    const address = addressOf(outbox.peerId);
    let delivered = 0;
    let emptied = false;
    try {
      while (address && outbox.due(this.now())) {
        const slot = await this.slots.take(this.speeds.kindOf(outbox.peerId), this.goesFirst(outbox.peerId));
        const message = outbox.due(this.now()) ? outbox.start() : undefined; // it may have been dropped meanwhile
        if (!message) {
          slot.release();
          break;
        }
        const send = () => this.options.courier.send(address, message);
        const result = await this.speeds
          .timed(outbox.peerId, slot, send, (error) => error instanceof Refused)
          .then(
            () => 'sent' as const,
            // A refusal (4xx) will not change by waiting: that message is dropped, said, and the next one goes.
            (error: unknown) => (error instanceof Refused ? error : ('failed' as const)),
          );
        slot.release();
        this.options.onChange?.();
        if (result === 'failed') {
          outbox.fail(this.now());
          break;
        }
        await outbox.ack(message.id);
        if (result instanceof Refused)
          this.options.notify({ kind: 'waiting-refused', peer: { peer_id: outbox.peerId }, id: message.id, reason: result.message });
        this.options.onSettled?.(outbox.peerId, message.id);
        if (result === 'sent') delivered += 1;
      }
      emptied = outbox.size === 0 && this.outboxes.get(outbox.peerId) === outbox; // not dropped (outboxes.ts)
    } finally {
      this.outboxes.draining.delete(outbox);
      this.outboxes.closeIfDone(outbox);
    }
    if (delivered > 0 && emptied) this.options.notify({ kind: 'waiting-delivered', peer: { peer_id: outbox.peerId }, count: delivered });
  }
}
