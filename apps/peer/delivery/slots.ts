/**
 * Slots: how many requests to other peers are out at once (64), how many of them to peers that did not answer
 * last time (8), and how many to peers that answered slowly (8): hung or slow peers cannot hold up the ones that
 * answer fast, and a poisoned peer list cannot use up the descriptors. No I/O: `delivery.ts` asks before each
 * request, and says when one turns out slow. New; WeApRous `apps/peer.py` sent one message at a time.
 */

/** A peer that answered its last request fast, one that answered it slowly, or one that did not (or was never asked). */
export type SlotKind = 'answered' | 'slow' | 'doubtful';

export const MAX_REQUESTS = 64;
export const MAX_DOUBTFUL_REQUESTS = 8;
export const MAX_SLOW_REQUESTS = 8;

/**
 * A slot held: `release` gives it back (once, however often called); `slow` says an 'answered' request is taking
 * long: it stays out but no longer counts against `total` (at most `total` such), so the next fast peer goes now.
 */
export interface Slot {
  release: () => void;
  slow: () => void;
}

export class Slots {
  /** Requests out, by kind; `late` ones were 'answered' and turned slow while out. */
  private readonly active: Record<SlotKind | 'late', number> = { answered: 0, slow: 0, doubtful: 0, late: 0 };
  /**
   * Who waits for a slot, first come first served within a kind; 'answered' ones go before the others, and of
   * them `first` ones (the user's contacts) before the rest.
   */
  private readonly waiting: Record<SlotKind | 'first', Array<() => void>> = { first: [], answered: [], slow: [], doubtful: [] };

  constructor(
    readonly total = MAX_REQUESTS,
    readonly doubtful = MAX_DOUBTFUL_REQUESTS,
    readonly slowest = MAX_SLOW_REQUESTS,
  ) {}

  /** Resolves with the slot, once one is free for `kind`; `first` puts an 'answered' request ahead of the others. */
  take(kind: SlotKind, first = false): Promise<Slot> {
    return new Promise((granted) => {
      this.waiting[kind === 'answered' && first ? 'first' : kind].push(() => granted(this.slot(kind)));
      this.dispatch();
    });
  }

  /** The function that gives the slot back, once one is free for `kind`. */
  async acquire(kind: SlotKind): Promise<() => void> {
    return (await this.take(kind)).release;
  }

  /** Runs `task` in a slot of `kind`; the slot is given back however it ends. */
  async run<T>(kind: SlotKind, task: (slot: Slot) => Promise<T>, first = false): Promise<T> {
    const slot = await this.take(kind, first);
    try {
      return await task(slot);
    } finally {
      slot.release();
    }
  }

  /** Requests out now, in all, doubtful and slow: for tests and `/peers`-like reports. */
  get out(): { all: number; doubtful: number; slow: number } {
    const { answered, slow, doubtful, late } = this.active;
    return { all: answered + slow + doubtful + late, doubtful, slow: slow + late };
  }

  /** Gives free slots to whoever waits: 'answered' requests first, then slow and doubtful ones while under their caps. */
  private dispatch(): void {
    while (this.active.answered + this.active.slow + this.active.doubtful < this.total) {
      const queue = this.next();
      if (queue === null) return;
      this.waiting[queue].shift()!();
    }
  }

  private next(): SlotKind | 'first' | null {
    if (this.waiting.first.length > 0) return 'first';
    if (this.waiting.answered.length > 0) return 'answered';
    if (this.waiting.slow.length > 0 && this.active.slow < this.slowest) return 'slow';
    if (this.waiting.doubtful.length > 0 && this.active.doubtful < this.doubtful) return 'doubtful';
    return null;
  }

  /** Counts a slot of `kind` taken, and makes its handle. */
  private slot(kind: SlotKind): Slot {
    let held: SlotKind | 'late' | null = kind;
    this.active[kind] += 1;
    return {
      release: () => {
        if (held === null) return;
        this.active[held] -= 1;
        held = null;
        this.dispatch();
      },
      slow: () => {
        if (held !== 'answered' || this.active.late >= this.total) return;
        this.active.answered -= 1;
        this.active.late += 1;
        held = 'late';
        this.dispatch();
      },
    };
  }
}
