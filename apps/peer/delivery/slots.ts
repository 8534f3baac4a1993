/**
 * Slots: how many requests to other peers are out at once (64), and how many of them to peers that did not
 * answer last time (8): hung peers cannot hold up the ones that answer, and a poisoned peer list cannot use up
 * the descriptors. No I/O: `delivery.ts` asks before each request. New; WeApRous `apps/peer.py` sent one
 * message at a time.
 */

/** A peer that answered its last request, or one that did not (or was never asked, or is being retried). */
export type SlotKind = 'answered' | 'doubtful';

export const MAX_REQUESTS = 64;
export const MAX_DOUBTFUL_REQUESTS = 8;

export class Slots {
  private active = 0;
  private doubtfulActive = 0;
  /** Who waits for a slot, first come first served within a kind; 'answered' ones go before any 'doubtful'. */
  private readonly waiting: Record<SlotKind, Array<() => void>> = { answered: [], doubtful: [] };

  constructor(
    readonly total = MAX_REQUESTS,
    readonly doubtful = MAX_DOUBTFUL_REQUESTS,
  ) {}

  /** Resolves with the function that gives the slot back, once one is free for `kind`. */
  acquire(kind: SlotKind): Promise<() => void> {
    return new Promise((granted) => {
      this.waiting[kind].push(() => granted(this.releaser(kind)));
      this.dispatch();
    });
  }

  /** Runs `task` in a slot of `kind`; the slot is given back however it ends. */
  async run<T>(kind: SlotKind, task: () => Promise<T>): Promise<T> {
    const release = await this.acquire(kind);
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** Requests out now, in all and doubtful: for tests and `/peers`-like reports. */
  get out(): { all: number; doubtful: number } {
    return { all: this.active, doubtful: this.doubtfulActive };
  }

  /** Gives free slots to whoever waits: an 'answered' request first, then a 'doubtful' one while fewer than `doubtful` are out. */
  private dispatch(): void {
    while (this.active < this.total) {
      let kind: SlotKind;
      if (this.waiting.answered.length > 0) kind = 'answered';
      else if (this.waiting.doubtful.length > 0 && this.doubtfulActive < this.doubtful) kind = 'doubtful';
      else return;
      this.active += 1;
      if (kind === 'doubtful') this.doubtfulActive += 1;
      this.waiting[kind].shift()!();
    }
  }

  /** The slot's release: once only, however often it is called. */
  private releaser(kind: SlotKind): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      if (kind === 'doubtful') this.doubtfulActive -= 1;
      this.dispatch();
    };
  }
}
