/**
 * What the page is sent for one message: field by field (no signature), verified or not, pending for one's own
 * message only, the conversation seen from this peer, and a mention. Tests for `apps/peer/model/views.ts`.
 */

import { expect } from 'chai';
import { messageView } from '../../../../apps/peer/model/views';

const self = { peer_id: '127.0.0.1:5001', name: 'Alice' };
const fromBob = {
  id: '127.0.0.1:5002/x-1',
  channel: '@127.0.0.1:5001',
  from: '127.0.0.1:5002',
  name: 'Bob',
  msg: 'hi @alice',
  timestamp: 1_699_680_000.5,
  clock: 7,
  signature: 'sig',
};

describe('messageView()', () => {
  it('shows a direct message from Bob under @Bob, with its time in ms, its mark, and the mention', () => {
    expect(messageView(fromBob, { self, authorship: () => 'verified', pending: () => true })).to.deep.equal({
      id: '127.0.0.1:5002/x-1',
      conversation: '@127.0.0.1:5002',
      from: '127.0.0.1:5002',
      name: 'Bob',
      text: 'hi @alice',
      time: 1_699_680_000_500,
      clock: 7,
      authorship: 'verified',
      sealed: false, // sent in clear: the page marks such a direct message "in clear"
      pending: false, // only one's own messages wait for acknowledgements
      mine: false,
      mention: true,
    });
  });

  it("marks a forged or keyless sender unverified, and one's own message pending while it is", () => {
    const mine = { ...fromBob, from: self.peer_id, name: 'Alice', channel: 'general', msg: 'hello @Alice' };
    const view = messageView(mine, { self, authorship: () => 'forged', pending: () => true });
    expect(view).to.include({ conversation: 'general', authorship: 'unverified', pending: true, mine: true, mention: false });
    expect(messageView(fromBob, { self, pending: () => false }).authorship).to.equal('unverified');
  });

  it('says whether the text travelled sealed', () => {
    const enc = { v: 1 as const, epk: 'e', nonce: 'n', ct: 'c' };
    const sealed = { ...fromBob, msg: '(encrypted)', enc };
    expect(messageView(sealed, { self, pending: () => false, text: () => 'hi' })).to.include({ sealed: true, text: 'hi' });
    expect(messageView(fromBob, { self, pending: () => false }).sealed).to.equal(false);
  });
});
