/**
 * A set of strings kept in sorted order, for the tracker's paged lists (`GET /get-list/?limit=&after=`): `add`,
 * `delete` and `after(cursor, limit)` cost O(√N) and O(log N + limit), not O(N), at 100,000 peers. It is a list of
 * sorted blocks of at most a few hundred strings (the idea of Python's `sortedcontainers.SortedList`): finding a
 * block is a binary search over the blocks' last strings, and an insert moves at most one block's worth of
 * pointers. Pure state. New: WeApRous's tracker listed every peer every time.
 */

/** Strings in the order of `<`: UTF-16 code units, which for ASCII peer ids is byte order, as Redis's `BYLEX` sorts. */
export class SortedStrings {
  private blocks: string[][] = [];
  private count = 0;

  /** @param blockSize a block is split in two when it holds twice this many strings */
  constructor(private readonly blockSize = 512) {}

  get size(): number {
    return this.count;
  }

  /** Adds `value`; false when it was already there. */
  add(value: string): boolean {
    if (this.blocks.length === 0) {
      this.blocks.push([value]);
      this.count = 1;
      return true;
    }
    // The first block whose last string is >= value, or the last block when value is above them all.
    const b = Math.min(this.blockFor(value), this.blocks.length - 1);
    const block = this.blocks[b];
    const i = lowerBound(block, value);
    if (block[i] === value) return false;
    block.splice(i, 0, value);
    this.count++;
    if (block.length > 2 * this.blockSize) this.blocks.splice(b + 1, 0, block.splice(this.blockSize));
    return true;
  }

  /** Removes `value`; false when it was not there. */
  delete(value: string): boolean {
    const b = this.blockFor(value);
    const block = this.blocks[b];
    if (block === undefined) return false;
    const i = lowerBound(block, value);
    if (block[i] !== value) return false;
    block.splice(i, 1);
    this.count--;
    if (block.length === 0) this.blocks.splice(b, 1);
    return true;
  }

  has(value: string): boolean {
    const block = this.blocks[this.blockFor(value)];
    return block !== undefined && block[lowerBound(block, value)] === value;
  }

  /**
   * At most `limit` strings strictly above `cursor` (from the first when `cursor` is undefined), in order.
   * `after(undefined, 2)` → `['a', 'b']`; `after('b', 2)` → `['c', 'd']`.
   */
  after(cursor: string | undefined, limit: number): string[] {
    const out: string[] = [];
    let b = cursor === undefined ? 0 : this.blockFor(cursor);
    let i = cursor === undefined || b >= this.blocks.length ? 0 : upperBound(this.blocks[b], cursor);
    for (; b < this.blocks.length && out.length < limit; b++, i = 0) {
      const block = this.blocks[b];
      for (; i < block.length && out.length < limit; i++) out.push(block[i]);
    }
    return out;
  }

  /** The index of the first block whose last string is >= value; `blocks.length` when there is none. */
  private blockFor(value: string): number {
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const block = this.blocks[mid];
      if (block[block.length - 1] < value) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** The first index whose string is >= value. */
function lowerBound(sorted: string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The first index whose string is > value. */
function upperBound(sorted: string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}
