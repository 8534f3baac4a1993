/**
 * How often one sender may write: a token bucket per key. The tracker limits each peer id (register, heartbeat,
 * join or leave, remove), the peer each sender of messages; one hammering a key gets 429 with `Retry-After`, as
 * Matrix homeservers answer. Pure state: `now` is passed in. New: the Python apps answered everything.
 */

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms since the epoch). */
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /**
   * @param burst writes allowed at once
   * @param perSecond writes allowed per second after the burst
   * @param maxTracked ids remembered at most: a flood of distinct ids costs bounded memory
   */
  constructor(
    readonly burst = 10,
    readonly perSecond = 1,
    private readonly maxTracked = 100_000,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one write for `id`: 0 when it is allowed, else how many whole seconds to wait. */
  take(id: string, now: number): number {
    const bucket = this.buckets.get(id) ?? this.track(id, now);
    bucket.tokens = this.refilled(bucket, now);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.perSecond);
  }

  private track(id: string, now: number): Bucket {
    if (this.buckets.size >= this.maxTracked) this.sweep(now);
    // Still full: all are busy ids. Forget the one seen first (a Map keeps insertion order) rather than grow.
    if (this.buckets.size >= this.maxTracked) this.buckets.delete(this.buckets.keys().next().value!);
    const bucket = { tokens: this.burst, at: now };
    this.buckets.set(id, bucket);
    return bucket;
  }

  /** Forgets every id whose bucket is full again: a new bucket would behave exactly the same. */
  sweep(now: number): void {
    for (const [id, bucket] of this.buckets) if (this.refilled(bucket, now) >= this.burst) this.buckets.delete(id);
  }

  private refilled(bucket: Bucket, now: number): number {
    return Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.perSecond);
  }
}
