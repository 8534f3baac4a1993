/**
 * SortedStrings, the sorted set behind the tracker's paged lists: order, membership, pages after a cursor,
 * and the same answers as a sorted array through many inserts and deletes across block splits.
 * Tests for `apps/tracker/sorted.ts` (new: WeApRous's tracker listed every peer every time).
 */

import { expect } from 'chai';
import { SortedStrings } from '../../../apps/tracker/sorted';

describe('SortedStrings', () => {
  it('keeps strings in order, once each, and says what it added or removed', () => {
    const set = new SortedStrings();
    expect(set.add('b')).to.equal(true);
    expect(set.add('a')).to.equal(true);
    expect(set.add('c')).to.equal(true);
    expect(set.add('b')).to.equal(false);
    expect(set.size).to.equal(3);
    expect(set.after(undefined, 10)).to.deep.equal(['a', 'b', 'c']);
    expect(set.delete('b')).to.equal(true);
    expect(set.delete('b')).to.equal(false);
    expect(set.has('a')).to.equal(true);
    expect(set.has('b')).to.equal(false);
    expect(set.after(undefined, 10)).to.deep.equal(['a', 'c']);
  });

  it('after(cursor, limit) gives at most limit strings strictly above the cursor, present or not', () => {
    const set = new SortedStrings();
    for (const s of ['a', 'c', 'e', 'g']) set.add(s);
    expect(set.after(undefined, 2)).to.deep.equal(['a', 'c']);
    expect(set.after('c', 2)).to.deep.equal(['e', 'g']);
    expect(set.after('d', 1)).to.deep.equal(['e']);
    expect(set.after('g', 5)).to.deep.equal([]);
    expect(set.after('z', 5)).to.deep.equal([]);
    expect(new SortedStrings().after(undefined, 5)).to.deep.equal([]);
  });

  it('answers as a sorted array would through 5,000 random inserts and deletes over many small blocks', () => {
    const set = new SortedStrings(4);
    const model = new Set<string>();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i++) {
      const value = `10.0.${Math.floor(random() * 8)}.${Math.floor(random() * 50)}:${5000 + Math.floor(random() * 9)}`;
      if (random() < 0.6) {
        expect(set.add(value)).to.equal(!model.has(value));
        model.add(value);
      } else {
        expect(set.delete(value)).to.equal(model.has(value));
        model.delete(value);
      }
    }
    const sorted = [...model].sort();
    expect(set.size).to.equal(sorted.length);
    expect(set.after(undefined, Infinity)).to.deep.equal(sorted);
    for (const cursor of [sorted[0], sorted[17], sorted[sorted.length - 1], '10.0.3', '9']) {
      expect(set.after(cursor, 25), cursor).to.deep.equal(sorted.filter((s) => s > cursor).slice(0, 25));
    }
  });
});
