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
});
