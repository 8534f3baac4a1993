/**
 * Reading wrk's report, so the benchmark's second load generator is trusted for the right reasons.
 * Tests for `bench/http/wrk.ts` (benchmark tooling; no WeApRous twin).
 */

import { expect } from 'chai';
import { parseWrk, toMicros } from '../../../bench/http/wrk';

const REPORT = `Running 5s test @ http://127.0.0.1:18081/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms  512.33us  12.40ms   91.02%
    Req/Sec    48.12k     2.10k   51.00k    80.00%
  Latency Distribution
     50%  890.00us
     75%    1.10ms
     90%    1.40ms
     99%   10.57ms
  240605 requests in 5.00s, 35.11MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 2, write 1, timeout 4
Requests/sec:  48120.98
Transfer/sec:      7.02MB
WRK_CPU 1.40 1.52
`;

describe('parseWrk()', () => {
  it('reads the totals, the latency percentiles in microseconds, the failures and the CPU time', () => {
    expect(parseWrk(REPORT)).to.deep.equal({
      total: 240605,
      durationSeconds: 5,
      p50Micros: 890,
      p99Micros: 10570,
      non2xx: 3,
      errors: 3,
      timeouts: 4,
      generatorMicros: 2.92e6,
    });
  });

  it('counts no failures when wrk prints none', () => {
    const clean = REPORT.replace(/ {2}Non-2xx.*\n/, '').replace(/ {2}Socket errors.*\n/, '');
    expect(parseWrk(clean)).to.deep.include({ non2xx: 0, errors: 0, timeouts: 0 });
  });

  it('reads a percentile wrk printed as 0.00us as unknown (NaN), not as 0', () => {
    const lost = REPORT.replace('99%   10.57ms', '99%    0.00us');
    expect(parseWrk(lost).p99Micros).to.be.NaN;
  });

  it('refuses output that is not a wrk report, quoting it', () => {
    expect(() => parseWrk('wrk: command not found')).to.throw(/Could not read wrk's report:\nwrk: command not found/);
  });
});

describe('toMicros()', () => {
  it("turns each of wrk's units into whole microseconds", () => {
    expect(toMicros('890.00', 'us')).to.equal(890);
    expect(toMicros('10.57', 'ms')).to.equal(10570);
    expect(toMicros('1.25', 's')).to.equal(1_250_000);
  });

  it('rounds away floating-point error (2.01 * 1000 is 2009.9999999999998)', () => {
    expect(toMicros('2.01', 'ms')).to.equal(2010);
  });
});
