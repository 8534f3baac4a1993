/**
 * The microsecond latency histogram that replaces autocannon's whole-millisecond one.
 * Tests for `bench/latency.ts` (benchmark tooling; no WeApRous twin).
 */

import { expect } from 'chai';
import { LatencyHistogram } from '../../bench/latency';

function histogramOf(millis: number[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const value of millis) histogram.record(value);
  return histogram;
}

describe('LatencyHistogram', () => {
  it('keeps sub-millisecond latencies apart, in microseconds', () => {
    const histogram = histogramOf([0.2, 0.3, 0.4, 0.5]);
    expect(histogram.percentile(50)).to.equal(300);
    expect(histogram.percentile(99)).to.equal(500);
  });

  it('uses the nearest rank: p99 of 100 answers is the 99th smallest', () => {
    const histogram = histogramOf(Array.from({ length: 100 }, (_, i) => (i + 1) / 1000));
    expect(histogram.percentile(99)).to.equal(99);
    expect(histogram.percentile(100)).to.equal(100);
  });

  it('keeps latencies beyond its buckets (100 ms and up) exactly', () => {
    const histogram = histogramOf([1, 2, 150, 250.5]);
    expect(histogram.percentile(75)).to.equal(150_000);
    expect(histogram.percentile(99)).to.equal(250_500);
    expect(histogram.count).to.equal(4);
  });

  it('answers NaN when nothing was recorded', () => {
    expect(new LatencyHistogram().percentile(50)).to.be.NaN;
  });
});
