/**
 * A latency histogram with one-microsecond buckets, for the autocannon runs. autocannon's own histogram
 * counts whole milliseconds, so on loopback its p50 and p99 are often 0 or 1; this one records the
 * exact time autocannon measured for each answer. New: no WeApRous twin.
 */

/** Waits up to this long get a bucket each; longer ones are kept in a list (they are rare on loopback). */
const BUCKETED_MICROS = 100_000;

export class LatencyHistogram {
  private readonly buckets = new Uint32Array(BUCKETED_MICROS);
  private readonly slow: number[] = [];
  count = 0;

  /** Records one answer's latency, given in milliseconds (autocannon's unit). */
  record(millis: number): void {
    const micros = Math.round(millis * 1000);
    if (micros < BUCKETED_MICROS) this.buckets[micros]++;
    else this.slow.push(micros);
    this.count++;
  }

  /** The latency in microseconds that `percent` % of answers did not exceed; NaN with no answers. */
  percentile(percent: number): number {
    if (this.count === 0) return NaN;
    // The rank of the answer we want, counting from 1 (nearest-rank method).
    const rank = Math.max(1, Math.ceil((percent / 100) * this.count));
    let seen = 0;
    for (let micros = 0; micros < BUCKETED_MICROS; micros++) {
      seen += this.buckets[micros];
      if (seen >= rank) return micros;
    }
    const slow = [...this.slow].sort((a, b) => a - b);
    return slow[rank - seen - 1];
  }
}
