/**
 * Outboxes: which peers' outboxes are open (at most `maxOutboxes`, each holds a file). Contacts come first: they
 * keep `RESERVED_FOR_CONTACTS` of the room and may take a stranger's; strangers get fair shares (at most
 * `SHARE_OUTBOXES` per address or key), and a known peer may take an unknown one's place. `delivery.ts` decides
 * what to send; this file keeps the outboxes. New. docs/history.md, "The outbox"; docs/security/peer-out.md.
 */

import { reasonOf } from '../../text';
import type { Notify } from '../model/notices';
import { Outbox, type OutboxBudget } from './outbox';

/** At most this many peers have an outbox open (each holds a file): 1,000 made-up peers cannot make this peer hold 1,000. */
export const MAX_OUTBOXES = 256;
/** Outboxes only the user's contacts may open: strangers, however many, leave this much room. */
export const RESERVED_FOR_CONTACTS = 64;
/** Outboxes the strangers behind one address, or one key, may hold together. */
export const SHARE_OUTBOXES = 16;

export interface OutboxesOptions {
  dir: string;
  notify: Notify;
  /** Whether the peer's key is known: see `DeliveryOptions.isKnown`. Without it, no outbox makes room for another. */
  isKnown?: (peerId: string) => boolean;
  /** Whether the peer is one of the user's contacts (`model/contacts.ts`); without it, nobody is. */
  isContact?: (peerId: string) => boolean;
  /** The shares a stranger's outbox counts against, e.g. `['ip 127.0.0.2', 'key MCow...']`; without it, none. */
  sharesOf?: (peerId: string) => string[];
  maxOutboxes?: number;
  budget: OutboxBudget;
  limit?: number;
}

export class Outboxes {
  private readonly open = new Map<string, Outbox>();
  private readonly opening = new Map<string, Promise<Outbox>>();
  /** Outboxes being closed (or dropped), by peer: a new one for that peer opens only after, on the same file. */
  private readonly closing = new Map<string, Promise<void>>();
  /** Messages being put into a peer's outbox: it is neither closed nor dropped meanwhile. */
  private readonly writers = new Map<string, number>();
  /** Outboxes whose messages are being sent: not closed under the sender (one dropped is emptied, and it stops). */
  readonly draining = new Set<Outbox>();
  /** Peers with messages on disk whose outbox found no room at start; opened as room comes (`openWaiting`). */
  private readonly onDisk: string[] = [];
  private readonly max: number;
  private closed = false;

  constructor(private readonly options: OutboxesOptions) {
    this.max = options.maxOutboxes ?? MAX_OUTBOXES;
  }

  get(peerId: string): Outbox | undefined {
    return this.open.get(peerId);
  }

  values(): IterableIterator<Outbox> {
    return this.open.values();
  }

  /** Whether any outbox is open, opening or waiting on disk for room: while none is, nothing needs a retry tick. */
  get empty(): boolean {
    return this.open.size === 0 && this.opening.size === 0 && this.onDisk.length === 0;
  }

  /** Opens the outboxes a run before left with messages waiting: those of peers whose key is known first. */
  async reopen(): Promise<void> {
    const pending = await Outbox.pending(this.options.dir);
    const known = this.options.isKnown;
    const ordered = known ? [...pending.filter((id) => known(id)), ...pending.filter((id) => !known(id))] : pending;
    for (const peerId of ordered) {
      if (!this.hasRoom()) this.onDisk.push(peerId);
      else await this.openQuietly(peerId);
    }
    if (this.onDisk.length > 0) {
      this.options.notify({ kind: 'outboxes-on-disk', peers: this.onDisk.length, maxOutboxes: this.max });
    }
  }

  /** Opens outboxes left on disk at start, while there is room (called on each retry tick). */
  openWaiting(): void {
    while (this.onDisk.length > 0 && this.hasRoom()) {
      const peerId = this.onDisk.shift()!;
      if (!this.open.has(peerId) && !this.opening.has(peerId)) void this.openQuietly(peerId);
    }
  }

  /**
   * Runs `write` on the peer's outbox, opened (or made room for) if need be; it stays open while `write` runs,
   * and closes after if it is then empty. Rejects with a sentence when it cannot be opened.
   */
  async write<T>(peerId: string, write: (outbox: Outbox) => Promise<T>): Promise<T> {
    this.writers.set(peerId, (this.writers.get(peerId) ?? 0) + 1);
    try {
      return await write(await this.outbox(peerId));
    } finally {
      const left = this.writers.get(peerId)! - 1;
      if (left > 0) this.writers.set(peerId, left);
      else this.writers.delete(peerId);
      const outbox = this.open.get(peerId);
      if (outbox) this.closeIfDone(outbox);
    }
  }

  /** Closes `outbox` and deletes its file if it is empty and nobody is writing to it or sending from it. */
  closeIfDone(outbox: Outbox): void {
    const peerId = outbox.peerId;
    if (this.open.get(peerId) !== outbox || outbox.size > 0 || outbox.inFlight) return;
    if (this.draining.has(outbox) || this.writers.has(peerId)) return;
    this.forget(outbox);
  }

  /**
   * Deletes a peer's outbox with its file, open or still on disk: the user gave up on that peer (`/outbox drop`).
   * A message in flight is let go (the drain stops, as for an outbox dropped for room). Resolves with how many went.
   */
  async drop(peerId: string): Promise<number> {
    await this.opening.get(peerId)?.catch(() => undefined);
    const outbox = this.open.get(peerId);
    if (outbox) {
      const dropped = outbox.size;
      this.forget(outbox);
      await this.closing.get(peerId);
      return dropped;
    }
    const at = this.onDisk.indexOf(peerId);
    if (at === -1) return 0;
    this.onDisk.splice(at, 1);
    const options = { onProblem: (reason: string) => this.problem(reason), budget: this.options.budget, limit: this.options.limit };
    return (await Outbox.open(this.options.dir, peerId, options)).discard();
  }

  /** The peers whose messages wait on disk with no outbox open yet (more than `maxOutboxes` at start). */
  waitingOnDisk(): string[] {
    return [...this.onDisk];
  }

  /** Closes every outbox, keeping their files (a restart opens them again). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    await Promise.allSettled([...this.open.values()].map((outbox) => outbox.close()));
    await Promise.allSettled([...this.closing.values()]);
    this.open.clear();
  }

  private hasRoom(): boolean {
    return this.open.size + this.opening.size < this.max;
  }

  /** Why no outbox may open for `peerId` now (null: it may, after making room if need be). */
  private noRoomFor(peerId: string): string | null {
    const contact = this.options.isContact?.(peerId) ?? false;
    const strangers = [...this.open.keys(), ...this.opening.keys()].filter((id) => !this.options.isContact?.(id));
    if (!contact) {
      const shares = this.options.sharesOf?.(peerId) ?? [];
      const used = (share: string) => strangers.filter((id) => this.options.sharesOf?.(id).includes(share)).length;
      const spent = shares.find((share) => used(share) >= SHARE_OUTBOXES);
      if (spent !== undefined)
        return `messages already wait for ${SHARE_OUTBOXES} peers of the same ${spent}, its share of this peer's outboxes`;
    }
    const room = contact ? this.hasRoom() : this.hasRoom() && strangers.length < this.max - this.reserved;
    if (room || this.makeRoomFor(peerId, contact)) return null;
    return `messages already wait for ${this.max} peers, as many as this peer keeps outboxes for`;
  }

  /** Room kept for contacts: a quarter of a small table (tests), else `RESERVED_FOR_CONTACTS`. */
  private get reserved(): number {
    return this.options.isContact ? Math.min(RESERVED_FOR_CONTACTS, Math.floor(this.max / 4)) : 0;
  }

  private async openQuietly(peerId: string): Promise<void> {
    try {
      const outbox = await this.outbox(peerId);
      this.closeIfDone(outbox); // every message in it had been delivered (the file was not yet compacted)
    } catch (error) {
      this.problem(`The outbox for ${peerId} was not opened: ${reasonOf(error)}`);
    }
  }

  private outbox(peerId: string): Promise<Outbox> {
    const open = this.open.get(peerId);
    if (open) return Promise.resolve(open);
    let opening = this.opening.get(peerId);
    if (!opening) {
      if (this.closed) return Promise.reject(new Error('this peer is shutting down'));
      const full = this.noRoomFor(peerId);
      if (full !== null) return Promise.reject(new Error(full));
      const closed = this.closing.get(peerId) ?? Promise.resolve();
      const options = { onProblem: (reason: string) => this.problem(reason), budget: this.options.budget, limit: this.options.limit };
      opening = closed
        .then(() => Outbox.open(this.options.dir, peerId, options))
        .then(
          (outbox) => {
            this.open.set(peerId, outbox);
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

  /**
   * No room: a contact drops a stranger's outbox (an unknown one's first), a known peer an unknown stranger's (the
   * one with the fewest messages; of those, the first opened), when nothing is in flight or being written there.
   * A peer that cannot prove who it is, which anyone can make up with `/connect-peer/`, does not keep a known one out.
   */
  private makeRoomFor(peerId: string, contact: boolean): boolean {
    const known = (id: string) => this.options.isKnown?.(id) ?? false;
    if (!contact && !known(peerId)) return false;
    const rank = (outbox: Outbox) => (known(outbox.peerId) ? 1 : 0) * 1e9 + outbox.size;
    let victim: Outbox | undefined;
    for (const outbox of this.open.values()) {
      if (outbox.inFlight || this.writers.has(outbox.peerId) || this.options.isContact?.(outbox.peerId)) continue;
      if (!contact && known(outbox.peerId)) continue;
      if (!victim || rank(outbox) < rank(victim)) victim = outbox;
    }
    if (!victim) return false;
    const dropped = victim.size;
    this.forget(victim);
    if (dropped > 0)
      this.options.notify({
        kind: 'outbox-evicted',
        peer: { peer_id: victim.peerId },
        dropped,
        forPeer: { peer_id: peerId },
        maxOutboxes: this.max,
      });
    return true;
  }

  private problem(reason: string): void {
    this.options.notify({ kind: 'problem', area: 'outbox', reason });
  }

  /** Takes `outbox` out of the open ones at once and deletes it with its file; its peer's next outbox waits for that. */
  private forget(outbox: Outbox): void {
    const peerId = outbox.peerId;
    this.open.delete(peerId);
    const done: Promise<void> = outbox
      .discard()
      .then(
        () => undefined,
        (error: Error) => this.problem(`The outbox file for ${peerId} was not deleted: ${error.message}`),
      )
      .finally(() => {
        if (this.closing.get(peerId) === done) this.closing.delete(peerId);
      });
    this.closing.set(peerId, done);
  }
}
