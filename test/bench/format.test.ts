/**
 * How the benchmark prints its numbers: never "p99 0 ms", never 1.2000000000000002.
 * Tests for `bench/format.ts` (benchmark tooling; no WeApRous twin).
 */

import { expect } from 'chai';
import { fmtLatency, fmtMicros, fmtPercent, fmtRatio, fmtRps, median } from '../../bench/format';

describe('fmtLatency()', () => {
  it('prints whole microseconds below one millisecond, so a fast answer is not shown as 0 ms', () => {
    expect(fmtLatency(890)).to.equal('890 µs');
    expect(fmtLatency(4)).to.equal('4 µs');
    expect(fmtLatency(0.4)).to.equal('0 µs');
  });

  it('prints tenths of a millisecond from one millisecond up', () => {
    expect(fmtLatency(1000)).to.equal('1.0 ms');
    expect(fmtLatency(10570)).to.equal('10.6 ms');
    expect(fmtLatency(49_700)).to.equal('49.7 ms');
  });

  it('prints 999.6 µs as 1.0 ms rather than "1000 µs"', () => {
    expect(fmtLatency(999.6)).to.equal('1.0 ms');
  });

  it('prints n/a when there were no answers to measure', () => {
    expect(fmtLatency(NaN)).to.equal('n/a');
  });
});

describe('fmtRps(), fmtRatio(), fmtPercent(), fmtMicros()', () => {
  it('rounds requests/s to a whole number with thousands separators', () => {
    expect(fmtRps(48120.98)).to.equal('48,121');
    expect(fmtRps(999.4)).to.equal('999');
  });

  it('prints ratios with two decimals and no floating-point tail', () => {
    expect(fmtRatio(0.1 + 0.2 + 0.9)).to.equal('1.20x');
    expect(fmtRatio(2)).to.equal('2.00x');
    expect(fmtRatio(NaN)).to.equal('n/a');
  });

  it('prints a share of a core as a whole percentage, and CPU per request to a tenth of a microsecond', () => {
    expect(fmtPercent(0.973)).to.equal('97%');
    expect(fmtMicros(19.94)).to.equal('19.9 µs');
  });
});

describe('median()', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
  });

  it('is NaN for no values', () => {
    expect(median([])).to.be.NaN;
  });
});
