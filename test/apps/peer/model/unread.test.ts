/**
 * Unread counts for the browser: counted per conversation until read, and bounded. Tests for `apps/peer/model/unread.ts`.
 */

import { expect } from 'chai';
import { Unread } from '../../../../apps/peer/model/unread';

describe('Unread', () => {
  it('counts each arrival until the conversation is read', () => {
    const unread = new Unread();
    unread.arrived('general');
    unread.arrived('general');
    unread.arrived('@127.0.0.1:5002');
    expect(unread.of('general')).to.equal(2);
    unread.read('general');
    expect(unread.of('general')).to.equal(0);
    expect(unread.of('@127.0.0.1:5002')).to.equal(1);
  });

  it('counts at most `limit` conversations, forgetting the one counted longest ago', () => {
    const unread = new Unread(2);
    unread.arrived('a');
    unread.arrived('b');
    unread.arrived('a'); // a is now the newest
    unread.arrived('c');
    expect([unread.of('a'), unread.of('b'), unread.of('c')]).to.deep.equal([2, 0, 1]);
  });
});
