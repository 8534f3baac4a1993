/**
 * Outbox: the messages waiting for one peer that could not be reached, kept on disk so
 * they outlive a restart of either side, sent again with backoff, strictly in order. The retry schedule is
 * the pure `nextDelay`; nothing here sends or sets a timer: the caller asks `due(now)`, sends, then `ack`s.
 * New; WeApRous `apps/peer.py` printed the error and forgot the message. docs/history.md.
 */

import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChatMessage, readStoredMessage } from '../model/message';
import { AppendOnlyFile, scanJournal } from '../storage/journal';

/** Waits before the 1st, 2nd, 3rd retry, and every one after: about 1 s, 5 s, 15 s, then each minute. */
export const RETRY_DELAYS = [1_000, 5_000, 15_000, 60_000];
/** Each wait is stretched or shrunk by up to this share, so peers that failed together do not retry together. */
export const JITTER = 0.2;
export const OUTBOX_LIMIT = 10_000;
/**
 * `retryNow` is heeded at most once in this long per outbox: anyone can make this peer call it (a
 * `/connect-peer/` naming the peer), and a stranger calling it in a loop must not turn the schedule into a flood.
 */
export const RETRY_NOW_INTERVAL_MS = 5_000;

/** `nextDelay(0, 0.5)` → 1000 ms: the wait after `attempt + 1` failures, `random` in [0, 1) placing it in ±20%. */
export function nextDelay(attempt: number, random: number): number {
  const base = RETRY_DELAYS[Math.min(Math.max(0, attempt), RETRY_DELAYS.length - 1)];
  return Math.round(base * (1 - JITTER + 2 * JITTER * random));
}

/** What one waiting message takes on disk: its line in the outbox file. */
function lineBytes(message: ChatMessage): number {
  return Buffer.byteLength(JSON.stringify({ add: message })) + 1;
}

/** `127.0.0.1:5002` → `127.0.0.1_3A5002`: a file name on any system, and back again with `peerOfFile`. */
export function outboxFileName(peerId: string): string {
  const escaped = encodeURIComponent(peerId).replace(/[!'()*_~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return escaped.replace(/%/g, '_');
}

export function peerOfFile(name: string): string {
  return decodeURIComponent(name.replace(/_/g, '%'));
}

/** Bytes all of a peer's outboxes may hold together, shared by them (`Delivery` makes one). */
export interface OutboxBudget {
  used: number;
  readonly limit: number;
}

export interface OutboxOptions {
  limit?: number;
  /** Shared by every outbox of a peer: a message that would take `used` past `limit` is refused ('full'). */
  budget?: OutboxBudget;
  /** fsync each line; see `AppendOnlyFile`. */
  durable?: boolean;
  onProblem?: (line: string) => void;
}

/** One line of the outbox file: a message queued, or the id of the one delivered. */
type Entry = { add: ChatMessage } | { ack: string };

export class Outbox {
  private readonly queue: ChatMessage[] = [];
  private readonly ids = new Set<string>();
  private failures = 0;
  private nextTry = 0;
  private sending = false;
  /** When `retryNow` was last heeded (ms), or -Infinity. */
  private retriedAt = -Infinity;
  private lines = 0;
  private file!: AppendOnlyFile;
  private path = '';
  /** What each waiting message counts against the budget, by id. */
  private readonly sizes = new Map<string, number>();
  /** Messages refused because the outbox was full, since it was opened. */
  dropped = 0;

  private constructor(
    readonly peerId: string,
    private readonly limit: number,
    private readonly budget: OutboxBudget,
  ) {}

  /** Opens (or starts) `<dir>/outbox/<peer>.jsonl` and replays it: what was queued and not acknowledged. */
  static async open(dir: string, peerId: string, options: OutboxOptions = {}): Promise<Outbox> {
    const outbox = new Outbox(peerId, options.limit ?? OUTBOX_LIMIT, options.budget ?? { used: 0, limit: Infinity });
    const folder = join(dir, 'outbox');
    await mkdir(folder, { recursive: true });
    const path = join(folder, `${outboxFileName(peerId)}.jsonl`);
    outbox.path = path;
    const scan = await scanJournal(path, (value) => outbox.replay(value as Entry));
    const report = options.onProblem ?? (() => {});
    const name = `outbox for ${peerId}`;
    if (scan.bad > 0) report(`The ${name}: skipped ${scan.bad} unreadable lines`);
    if (scan.torn > 0) report(`The ${name}: cut off a torn last line (${scan.torn} bytes); ${outbox.size} still waiting`);
    outbox.lines = scan.accepted;
    outbox.file = await AppendOnlyFile.open(path, scan.size, options.durable);
    if (scan.unterminated) await outbox.file.append('\n');
    return outbox;
  }

  /** The peers with messages waiting in `dir`, so a restarted peer knows whom it still owes some. */
  static async pending(dir: string): Promise<string[]> {
    const folder = join(dir, 'outbox');
    const names = await readdir(folder).catch(() => []);
    const waiting = await Promise.all(names.map(async (name) => name.endsWith('.jsonl') && (await stat(join(folder, name))).size > 0));
    return names.filter((_, i) => waiting[i]).map((name) => peerOfFile(name.slice(0, -'.jsonl'.length)));
  }

  /** Messages waiting, for `/peers`. */
  get size(): number {
    return this.queue.length;
  }

  /** The oldest message waiting: the only one that may be in flight. */
  head(): ChatMessage | undefined {
    return this.queue[0];
  }

  /**
   * Queues a message; resolves once it is on disk. A full outbox refuses the new message ('full') and keeps
   * what it has: the queue stays an unbroken run from the oldest, the head in flight is never pulled away,
   * and the sender hears it when it sends. The message is still in the history, so catch-up can bring it.
   */
  async enqueue(message: ChatMessage): Promise<'queued' | 'duplicate' | 'full'> {
    if (this.ids.has(message.id)) return 'duplicate';
    if (this.queue.length >= this.limit || this.budget.used + lineBytes(message) > this.budget.limit) {
      this.dropped += 1;
      return 'full';
    }
    this.keep(message);
    try {
      await this.write({ add: message });
    } catch (error) {
      this.remove(message.id);
      throw error;
    }
    return 'queued';
  }

  /** A message has been handed out by `start`, and its `fail` has not come, or its `ack` is not on disk yet. */
  get inFlight(): boolean {
    return this.sending;
  }

  /** True when a message is waiting, none is in flight, and its retry time has come. */
  due(now: number): boolean {
    return this.queue.length > 0 && !this.sending && now >= this.nextTry;
  }

  /** The head, now in flight (call it when `due(now)`): send it, then `ack` it or `fail`. */
  start(): ChatMessage | undefined {
    if (this.queue.length === 0 || this.sending) return undefined;
    this.sending = true;
    return this.queue[0];
  }

  /**
   * The peer has the head: forget it, on disk too; the next one is due at once. False for another id. The
   * outbox counts as in flight until the file has it, so it is not closed or dropped in the middle.
   */
  async ack(id: string): Promise<boolean> {
    if (this.queue[0]?.id !== id) return false;
    this.remove(id);
    this.failures = 0;
    this.nextTry = 0;
    try {
      await this.write({ ack: id });
      if (this.queue.length === 0 || this.lines > 2 * this.queue.length + 100) await this.compact();
    } finally {
      this.sending = false;
    }
    return true;
  }

  /** The head did not get through: wait `nextDelay` before trying again. Returns the wait in ms. */
  fail(now: number, random = Math.random()): number {
    const delay = nextDelay(this.failures, random);
    this.sending = false;
    this.failures += 1;
    this.nextTry = now + delay;
    return delay;
  }

  /**
   * The peer may be back (it connected, or the tracker lists it again): try now instead of at the next retry.
   * The failures are still counted (a success resets them), so if it was not back the next wait is as long as
   * before; and within `RETRY_NOW_INTERVAL_MS` of the last heeded call this does nothing. True when heeded.
   */
  retryNow(now: number): boolean {
    if (now - this.retriedAt < RETRY_NOW_INTERVAL_MS || this.nextTry <= now) return false;
    this.retriedAt = now;
    this.nextTry = now;
    return true;
  }

  /** When the next try may happen (ms since 1970; 0 = at once). */
  get nextAttemptAt(): number {
    return this.nextTry;
  }

  /** Closes the file; what waits stops counting against the shared budget. */
  close(): Promise<void> {
    for (const bytes of this.sizes.values()) this.budget.used -= bytes;
    this.sizes.clear();
    return this.file.close();
  }

  /**
   * Closes the file and deletes it, and forgets what waits (its bytes leave the shared budget). For an empty
   * outbox nothing is lost; otherwise the caller says so. Returns how many messages were dropped.
   */
  async discard(): Promise<number> {
    const dropped = this.queue.length;
    for (const bytes of this.sizes.values()) this.budget.used -= bytes;
    this.sizes.clear();
    this.ids.clear();
    this.queue.length = 0;
    await this.file.close();
    await unlink(this.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    return dropped;
  }

  private replay(entry: Entry): boolean {
    if (typeof entry !== 'object' || entry === null) return false;
    if ('ack' in entry && typeof entry.ack === 'string') {
      this.remove(entry.ack);
      return true;
    }
    if (!('add' in entry) || typeof entry.add !== 'object' || entry.add === null) return false;
    const read = readStoredMessage(entry.add as unknown as Record<string, unknown>);
    if (read.ok && !this.ids.has(read.value.id)) this.keep(read.value);
    return read.ok;
  }

  private keep(message: ChatMessage): void {
    this.queue.push(message);
    this.ids.add(message.id);
    const bytes = lineBytes(message);
    this.sizes.set(message.id, bytes);
    this.budget.used += bytes;
  }

  private remove(id: string): boolean {
    const at = this.queue.findIndex((m) => m.id === id);
    if (at !== -1) this.queue.splice(at, 1);
    this.budget.used -= this.sizes.get(id) ?? 0;
    this.sizes.delete(id);
    return this.ids.delete(id);
  }

  private async write(entry: Entry): Promise<void> {
    await this.file.append(`${JSON.stringify(entry)}\n`);
    this.lines += 1;
  }

  /** Rewrites the file with only what still waits (atomically), so acknowledged messages do not pile up. */
  private async compact(): Promise<void> {
    const kept = [...this.queue];
    await this.file.replace(kept.map((message) => `${JSON.stringify({ add: message })}\n`).join(''));
    this.lines = kept.length;
  }
}
