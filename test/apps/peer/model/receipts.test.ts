/**
 * Receipts: a message is pending until every peer it was handed to has acknowledged or refused it, heard once;
 * a bound on how many are followed. Tests for `apps/peer/model/receipts.ts`.
 */

import { expect } from 'chai';
import { Receipts } from '../../../../apps/peer/model/receipts';

describe('Receipts', () => {
  it('keeps a message pending until its last peer settles it, and says so once', () => {
    const settled: string[] = [];
    const receipts = new Receipts((id) => settled.push(id));
    receipts.expect('m1', ['bob', 'jack']);
    receipts.settle('m1', 'bob');
    receipts.settle('m1', 'bob'); // a resend acknowledged again
    expect(receipts.isPending('m1')).to.equal(true);
    receipts.settle('m1', 'jack');
    receipts.settle('m1', 'jack');
    expect(receipts.isPending('m1')).to.equal(false);
    expect(settled).to.deep.equal(['m1']);
  });

  it('does not follow a message sent to nobody, nor one it never heard of', () => {
    const settled: string[] = [];
    const receipts = new Receipts((id) => settled.push(id));
    receipts.expect('alone', []);
    receipts.settle('from-a-run-before', 'bob');
    expect(receipts.isPending('alone')).to.equal(false);
    expect(settled).to.deep.equal([]);
  });

  it('follows at most `limit` messages, forgetting the oldest', () => {
    const receipts = new Receipts(() => {}, 2);
    for (const id of ['a', 'b', 'c']) receipts.expect(id, ['bob']);
    expect(receipts.size).to.equal(2);
    expect(receipts.isPending('a')).to.equal(false);
    expect(receipts.isPending('c')).to.equal(true);
  });
});
