/**
 * How the benchmark prints numbers: requests/s as whole numbers with thousands separators, latency in
 * microseconds below a millisecond and in tenths of a millisecond above, ratios to two decimals. Pure
 * functions, so that a table never shows "p99 0 ms" or 1.2000000000000002. New: no WeApRous twin.
 */

/** `fmtRps(48120.98)` → `'48,121'`. */
export function fmtRps(requestsPerSecond: number): string {
  return Math.round(requestsPerSecond).toLocaleString('en-US');
}

/**
 * `fmtLatency(890)` → `'890 µs'`, `fmtLatency(10570)` → `'10.6 ms'`. Takes microseconds. A loopback answer
 * often takes well under a millisecond, so whole milliseconds would print 0 for a real, nonzero wait.
 */
export function fmtLatency(micros: number): string {
  if (!Number.isFinite(micros)) return 'n/a';
  // 999.6 µs rounds to 1000 µs; print that as 1.0 ms, not "1000 µs".
  if (Math.round(micros) < 1000) return `${Math.round(micros)} µs`;
  return `${(micros / 1000).toFixed(1)} ms`;
}

/** `fmtRatio(1.3149)` → `'1.31x'`. */
export function fmtRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a';
}

/** `fmtPercent(0.973)` → `'97%'`: a share of one CPU core. */
export function fmtPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** `fmtMicros(19.94)` → `'19.9 µs'`: CPU time per request. */
export function fmtMicros(micros: number): string {
  return `${micros.toFixed(1)} µs`;
}

/** The median, not the mean: one run disturbed by another process on the machine should not move the result. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
