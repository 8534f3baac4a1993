/**
 * Delivery: every message to every peer, sent at once when the way is clear, else kept in that peer's
 * `Outbox` on disk and sent again on its schedule, in order, until the peer has it (issue 7, item 5). At most
 * `maxConnections` requests are out at once, so a poisoned peer list cannot use up the descriptors. The
 * network is the `send` function given; this file only decides what to send when. New; WeApRous
 * `apps/peer.py` printed the error and forgot the message. docs/history.md.
 */

import type { ChatMessage } from './message';
import { Outbox, OUTBOX_LIMIT } from './outbox';

/** Where a message goes: the peer's address is its id (`127.0.0.1:5002`, `::1:5002`). */
export interface Address {
  peer_id: string;
  ip: string;
  port: number;
}

/** Thrown by `send` for a 4xx: the peer read the message and will never take it; sending again is useless. */
export class Refused extends Error {}

export type Outcome =
  | { kind: 'sent' }
  /** Kept in the outbox: `reason` is why it did not go now, `waiting` how many wait for that peer. */
  | { kind: 'queued'; reason: string; waiting: number; error?: unknown }
  /** Not kept: the peer refused it (4xx), or its outbox is full. */
  | { kind: 'failed'; reason: string; error?: unknown };

export interface DeliveryOptions {
  /** Posts the message to the peer; resolves on 2xx, rejects otherwise (`Refused` for a 4xx). */
  send: (peer: Address, message: ChatMessage) => Promise<void>;
  /** Hears what happens in the background: the waiting messages delivered, problems with an outbox file. */
  say: (line: string) => void;
  describe: (peerId: string) => string;
  maxConnections?: number;
  now?: () => number;
  /** Limits, for a test that wants them small: see `MAX_OUTBOXES`, `OUTBOX_BUDGET_BYTES` and `OUTBOX_LIMIT`. */
  maxOutboxes?: number;
  budgetBytes?: number;
  outboxLimit?: number;
}

export const MAX_CONNECTIONS = 64;
/**
 * At most this many peers have an outbox open (each holds a file): 1,000 made-up peers injected with
 * `/connect-peer/` cannot make this peer hold 1,000 files. A message for one more peer fails with the reason.
 */
export const MAX_OUTBOXES = 256;
/** Bytes all outboxes may hold together: a peer owing messages to many unreachable peers stops at this. */
export const OUTBOX_BUDGET_BYTES = 128 * 1024 * 1024;
/** How often the outboxes are looked at for a message whose retry time has come. */
const TICK_MS = 250;

export class Delivery {
  private readonly outboxes = new Map<string, Outbox>();
  private readonly opening = new Map<string, Promise<Outbox>>();
  private readonly draining = new Set<string>();
  /** Per peer, the last message handed to it: the next one waits for it, so a peer gets them in order. */
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly waiters: Array<() => void> = [];
  private active = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  /** Bytes waiting in every outbox together, against `OUTBOX_BUDGET_BYTES`. */
  private readonly budget: { used: number; limit: number };

  constructor(
    private readonly dir: string,
    private readonly options: DeliveryOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.budget = { used: 0, limit: options.budgetBytes ?? OUTBOX_BUDGET_BYTES };
  }

  /** Opens the outboxes a run before left with messages waiting, and starts retrying them. */
  async start(): Promise<void> {
    for (const peerId of await Outbox.pending(this.dir)) {
      await this.outbox(peerId).catch((error: Error) =>
        this.options.say(`[P2P] The outbox for ${peerId} was not opened: ${error.message}`),
      );
    }
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    this.tick();
  }

  /**
   * One message to one peer, after the ones handed to that peer before it (a slow peer holds up only its
   * own messages). Behind messages already waiting for it, it waits too; otherwise it is sent now, and kept
   * in the outbox if the peer cannot be reached or answers 5xx.
   */
  deliver(peer: Address, message: ChatMessage): Promise<Outcome> {
    const next = (this.lanes.get(peer.peer_id) ?? Promise.resolve()).then(() => this.deliverNow(peer, message));
    const lane = next.catch(() => {});
    this.lanes.set(peer.peer_id, lane);
    void lane.then(() => this.lanes.get(peer.peer_id) === lane && this.lanes.delete(peer.peer_id));
    return next;
  }

  private async deliverNow(peer: Address, message: ChatMessage): Promise<Outcome> {
    const waiting = this.waiting(peer.peer_id);
    if (waiting > 0) return this.keep(peer.peer_id, message, `${waiting} earlier message${waiting === 1 ? '' : 's'} still waiting`);
    try {
      await this.limited(() => this.options.send(peer, message));
      return { kind: 'sent' };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof Refused) return { kind: 'failed', reason, error };
      return { ...(await this.keep(peer.peer_id, message, reason)), error };
    }
  }

  /** `queue`, or a failed outcome saying why the message could not be kept (a disk error, a file name too long). */
  private async keep(peerId: string, message: ChatMessage, reason: string): Promise<Exclude<Outcome, { kind: 'sent' }>> {
    try {
      return await this.queue(peerId, message, reason);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { kind: 'failed', reason: `${reason}, and it could not be kept for later (${why})`, error };
    }
  }

  /** Messages waiting for a peer, for `/peers`. */
  waiting(peerId: string): number {
    return this.outboxes.get(peerId)?.size ?? 0;
  }

  /** The peers messages wait for, and how many. */
  pending(): Array<{ peerId: string; waiting: number }> {
    return [...this.outboxes.values()].filter((o) => o.size > 0).map((o) => ({ peerId: o.peerId, waiting: o.size }));
  }

  /** The peer is back (it connected to us, or we to it): try at once instead of at the next retry time. */
  retryNow(peerId: string): void {
    this.outboxes.get(peerId)?.retryNow(this.now());
    this.tick();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.outboxes.values()].map((outbox) => outbox.close()));
  }

  private async queue(peerId: string, message: ChatMessage, reason: string): Promise<Exclude<Outcome, { kind: 'sent' }>> {
    const outbox = await this.outbox(peerId);
    const result = await outbox.enqueue(message);
    if (result === 'full') {
      const why =
        outbox.size >= (this.options.outboxLimit ?? OUTBOX_LIMIT)
          ? `${outbox.size} messages waiting`
          : 'the outboxes hold all they may on disk';
      return { kind: 'failed', reason: `its outbox is full (${why}); not kept` };
    }
    return { kind: 'queued', reason, waiting: outbox.size };
  }

  private outbox(peerId: string): Promise<Outbox> {
    const open = this.outboxes.get(peerId);
    if (open) return Promise.resolve(open);
    let opening = this.opening.get(peerId);
    if (!opening) {
      const max = this.options.maxOutboxes ?? MAX_OUTBOXES;
      if (this.outboxes.size + this.opening.size >= max)
        return Promise.reject(new Error(`messages already wait for ${max} peers, as many as this peer keeps outboxes for`));
      const options = { onProblem: this.options.say, budget: this.budget, limit: this.options.outboxLimit };
      opening = Outbox.open(this.dir, peerId, options).then(
        (outbox) => {
          this.outboxes.set(peerId, outbox);
          this.opening.delete(peerId);
          return outbox;
        },
        (error) => {
          this.opening.delete(peerId); // not kept failed: the next message tries again
          throw error;
        },
      );
      this.opening.set(peerId, opening);
    }
    return opening;
  }

  private tick(): void {
    const now = this.now();
    for (const outbox of this.outboxes.values())
      if (outbox.due(now) && !this.draining.has(outbox.peerId))
        void this.drain(outbox).catch((error) =>
          this.options.say(
            `[P2P] Could not deliver waiting messages to ${this.options.describe(outbox.peerId)}: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
  }

  /** Sends the waiting messages one after another, oldest first, until one fails or none is left. */
  private async drain(outbox: Outbox): Promise<void> {
    this.draining.add(outbox.peerId);
    const address = addressOf(outbox.peerId);
    let delivered = 0;
    try {
      while (address && outbox.due(this.now())) {
        const message = outbox.start()!;
        try {
          await this.limited(() => this.options.send(address, message));
        } catch (error) {
          // A refusal (4xx) will not change by waiting: drop that message, go on with the next.
          if (error instanceof Refused) {
            await outbox.ack(message.id);
            continue;
          }
          outbox.fail(this.now());
          break;
        }
        await outbox.ack(message.id);
        delivered += 1;
      }
    } finally {
      this.draining.delete(outbox.peerId);
    }
    if (delivered > 0 && outbox.size === 0) {
      this.options.say(
        `[P2P] Delivered ${delivered} waiting message${delivered === 1 ? '' : 's'} to ${this.options.describe(outbox.peerId)}`,
      );
    }
  }

  /** Runs `task` once fewer than `maxConnections` requests are out. */
  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= (this.options.maxConnections ?? MAX_CONNECTIONS)) await new Promise<void>((go) => this.waiters.push(go));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiters.shift()?.();
    }
  }
}

/** `127.0.0.1:5002` → `{ip: '127.0.0.1', port: 5002}`; undefined when the id is not `ip:port`. */
export function addressOf(peerId: string): Address | undefined {
  const colon = peerId.lastIndexOf(':');
  const port = Number(peerId.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { peer_id: peerId, ip: peerId.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
}
