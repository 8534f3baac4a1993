/**
 * The dist_policy policies as plain state: which backend comes next under round-robin, least-conn and
 * random (with a scripted random source), and how tried backends are skipped.
 * Tests for `daemon/balancer.ts` (the `dist_policy` of WeApRous `daemon/proxy.py`).
 */

import { expect } from 'chai';
import { Balancer } from '../../daemon/balancer';

/** A random source that returns the given values in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('Balancer', () => {
  describe('round-robin', () => {
    it('takes the backends in order and starts again', () => {
      const balancer = new Balancer('round-robin', 3);
      expect([1, 2, 3, 4, 5, 6, 7].map(() => balancer.pick())).to.deep.equal([0, 1, 2, 0, 1, 2, 0]);
    });

    it('skips backends already tried for this request, and the rotation goes on after the one chosen', () => {
      const balancer = new Balancer('round-robin', 3);
      expect(balancer.pick()).to.equal(0);
      expect(balancer.pick(new Set([1]))).to.equal(2); // 1 refused: 2 answers instead
      expect(balancer.pick()).to.equal(0);
    });

    it('returns null once every backend has been tried', () => {
      const balancer = new Balancer('round-robin', 2);
      expect(balancer.pick(new Set([0, 1]))).to.equal(null);
    });
  });

  describe('least-conn', () => {
    it('picks the backend with the fewest requests in flight', () => {
      const balancer = new Balancer('least-conn', 3);
      balancer.begin(0);
      balancer.begin(0);
      balancer.begin(1);
      expect(balancer.pick()).to.equal(2);
      balancer.begin(2);
      balancer.begin(2);
      expect(balancer.pick()).to.equal(1);
      balancer.end(0);
      balancer.end(0);
      expect(balancer.pick()).to.equal(0);
    });

    it('shares equal load in turn instead of always choosing the first', () => {
      const balancer = new Balancer('least-conn', 3);
      expect([1, 2, 3, 4].map(() => balancer.pick())).to.deep.equal([0, 1, 2, 0]);
    });

    it('skips tried backends even when they are the least busy', () => {
      const balancer = new Balancer('least-conn', 2);
      balancer.begin(1);
      expect(balancer.pick(new Set([0]))).to.equal(1);
    });

    it('never counts below zero', () => {
      const balancer = new Balancer('least-conn', 2);
      balancer.end(0);
      expect(balancer.inFlight).to.deep.equal([0, 0]);
    });
  });

  describe('random', () => {
    it('uses the random source it is given', () => {
      const balancer = new Balancer('random', 4, sequence(0, 0.99, 0.5, 0.25));
      expect([1, 2, 3, 4].map(() => balancer.pick())).to.deep.equal([0, 3, 2, 1]);
    });

    it('stays in range for every value in [0, 1)', () => {
      const values = [0, 0.1, 0.333, 0.5, 0.75, 0.999999, 0.9999999999999999];
      const balancer = new Balancer('random', 3, sequence(...values));
      for (const _ of values) {
        const index = balancer.pick();
        expect(index).to.be.a('number').within(0, 2);
        expect(Number.isInteger(index)).to.equal(true);
      }
    });

    it('chooses among the backends not tried yet', () => {
      const balancer = new Balancer('random', 3, sequence(0.99));
      expect(balancer.pick(new Set([2]))).to.equal(1);
      expect(balancer.pick(new Set([1, 2]))).to.equal(0);
    });
  });

  describe('passive health (max_fails, fail_timeout)', () => {
    it('leaves a backend out for fail_timeout after max_fails failures, then takes it back', () => {
      const balancer = new Balancer('round-robin', 2, Math.random, { maxFails: 1, failTimeoutMs: 10_000 });
      expect(balancer.failed(0, 1_000)).to.equal(true);
      expect([1, 2, 3].map(() => balancer.pick(new Set(), 5_000))).to.deep.equal([1, 1, 1]);
      expect(balancer.isDown(0, 10_999)).to.equal(true);
      expect([balancer.pick(new Set(), 11_000), balancer.pick(new Set(), 11_000)]).to.deep.equal([0, 1]);
    });

    it('needs max_fails failures within fail_timeout; older ones do not count', () => {
      const balancer = new Balancer('round-robin', 2, Math.random, { maxFails: 3, failTimeoutMs: 1_000 });
      expect([balancer.failed(0, 0), balancer.failed(0, 100)]).to.deep.equal([false, false]);
      expect(balancer.failed(0, 1_500)).to.equal(false); // a new window: the two old failures are forgotten
      expect([balancer.failed(0, 1_600), balancer.failed(0, 1_700)]).to.deep.equal([false, true]);
      expect(balancer.isDown(0, 2_000)).to.equal(true);
    });

    it('forgives failures after a success, and never marks a backend down with max_fails 0', () => {
      const balancer = new Balancer('round-robin', 2, Math.random, { maxFails: 2, failTimeoutMs: 1_000 });
      balancer.failed(0, 0);
      balancer.succeeded(0);
      expect(balancer.failed(0, 10)).to.equal(false);
      const never = new Balancer('round-robin', 2, Math.random, { maxFails: 0, failTimeoutMs: 1_000 });
      expect([never.failed(0, 0), never.failed(0, 1), never.isDown(0, 2)]).to.deep.equal([false, false, false]);
    });

    it('tries backends that are down when no other is left, rather than none (nginx does the same)', () => {
      const balancer = new Balancer('least-conn', 2, Math.random, { maxFails: 1, failTimeoutMs: 1_000 });
      balancer.failed(0, 0);
      balancer.failed(1, 0);
      const first = balancer.pick(new Set(), 10)!;
      expect(balancer.pick(new Set([first]), 10)).to.equal(1 - first);
      expect(balancer.pick(new Set([0, 1]), 10)).to.equal(null);
    });

    it('skips a down backend under random too', () => {
      const balancer = new Balancer('random', 3, sequence(0), { maxFails: 1, failTimeoutMs: 1_000 });
      balancer.failed(0, 0);
      expect(balancer.pick(new Set(), 10)).to.equal(1);
    });
  });
});
