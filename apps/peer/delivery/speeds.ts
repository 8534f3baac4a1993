/**
 * Speeds: which peers answered their last request, and how fast. A fast answer earns 'answered' slots, a slow one
 * (past `SLOW_MS`) 'slow' ones, no answer 'doubtful' ones (`slots.ts`), so a peer that answers slowly is served in
 * its own class and never delays one that answers fast. Plain state, with `now` passed in; `delivery.ts` asks it.
 * New; WeApRous `apps/peer.py` sent one message at a time. docs/security/peer-out.md.
 */

import type { Slot, SlotKind } from './slots';

/** An answer slower than this is not "answered" but "slow". */
export const SLOW_MS = 1_000;
/** Peers whose last answer is remembered (the rest count as doubtful): bounded, as injected peers are many. */
const REMEMBERED_PEERS = 4_096;

export class Speeds {
  /** By peer, oldest first: how it answered its last request. */
  private readonly kinds = new Map<string, SlotKind>();

  constructor(
    private readonly now: () => number,
    readonly slowMs = SLOW_MS,
  ) {}

  /** Which slots a request to the peer waits for: 'answered' only if it answered its last one fast. */
  kindOf(peerId: string): SlotKind {
    return this.kinds.get(peerId) ?? 'doubtful';
  }

  /** Remembers whether the peer answered its latest request (a 4xx is an answer; no answer or a 5xx is not), and how fast. */
  heard(peerId: string, answered: boolean, elapsedMs = 0): void {
    this.kinds.delete(peerId);
    if (!answered) return;
    this.kinds.set(peerId, elapsedMs > this.slowMs ? 'slow' : 'answered');
    if (this.kinds.size > REMEMBERED_PEERS) this.kinds.delete(this.kinds.keys().next().value!);
  }

  /**
   * Runs `task` (a request to `peerId`) in `slot`, telling the slot once it has taken longer than `slowMs` (fast
   * peers then go meanwhile), and remembers how it answered: `answered(error)` says whether a failure is an answer.
   */
  async timed<T>(peerId: string, slot: Slot, task: () => Promise<T>, answered: (error: unknown) => boolean): Promise<T> {
    const started = this.now();
    const timer = setTimeout(() => slot.slow(), this.slowMs);
    timer.unref();
    try {
      const value = await task();
      this.heard(peerId, true, this.now() - started);
      return value;
    } catch (error) {
      this.heard(peerId, answered(error), this.now() - started);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
