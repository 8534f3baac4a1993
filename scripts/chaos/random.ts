/**
 * The chaos run's only source of chance: a seeded generator (mulberry32, a 32-bit state), so one seed replays
 * the same workload, fault schedule and link impairments. Not for keys: node:crypto makes those. New.
 */

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An integer in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  /** `mean ± spread`, uniform. */
  around(mean: number, spread: number): number {
    return mean - spread + this.next() * 2 * spread;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A new generator for one part of the run, so adding draws in one part leaves the others' as they were. */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}
