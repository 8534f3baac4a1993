/**
 * The write limit of both apps: a token bucket per peer id, with the clock passed in, and a bounded
 * number of ids remembered. Tests for `apps/ratelimit.ts` (new).
 */

import { expect } from 'chai';
import { RateLimiter } from '../../apps/ratelimit';

describe('RateLimiter', () => {
  it('allows a burst, then says how many seconds to wait, then one a second', () => {
    const limiter = new RateLimiter(3, 1);
    expect([0, 0, 0].map(() => limiter.take('a', 1_000))).to.deep.equal([0, 0, 0]);
    expect(limiter.take('a', 1_000)).to.equal(1);
    expect(limiter.take('a', 2_000)).to.equal(0); // one second later, one more
    expect(limiter.take('a', 2_000)).to.equal(1);
  });

  it('keeps each id to itself', () => {
    const limiter = new RateLimiter(1, 1);
    expect(limiter.take('a', 0)).to.equal(0);
    expect(limiter.take('a', 0)).to.equal(1);
    expect(limiter.take('b', 0)).to.equal(0);
  });

  it('refills no further than the burst, however long an id was quiet', () => {
    const limiter = new RateLimiter(2, 1);
    limiter.take('a', 0);
    expect([limiter.take('a', 3_600_000), limiter.take('a', 3_600_000), limiter.take('a', 3_600_000)]).to.deep.equal([0, 0, 1]);
  });

  it('remembers a bounded number of ids: quiet ones are forgotten first, then the oldest', () => {
    const limiter = new RateLimiter(2, 1, 3);
    for (const id of ['a', 'b', 'c']) limiter.take(id, 0);
    limiter.take('d', 5_000); // a, b, c have refilled by now: forgetting them changes nothing
    expect(limiter.size).to.equal(1);
    for (const id of ['e', 'f', 'g', 'h']) limiter.take(id, 5_000); // all busy: the oldest goes
    expect(limiter.size).to.equal(3);
  });
});
