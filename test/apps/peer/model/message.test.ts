/**
 * A chat message's identity and order: the Lamport clock, the total order and its ties, ids old and new,
 * and the reader's refusals. Tests for `apps/peer/model/message.ts` (new).
 */

import { expect } from 'chai';
import {
  type ChatMessage,
  compareMessages,
  conversationOf,
  derivedId,
  directChannel,
  firstAfterClock,
  insertInOrder,
  LamportClock,
  MAX_CLOCK,
  MAX_CLOCK_STEP,
  MessageMaker,
  readChannel,
  readMessage,
  readStoredMessage,
  receive,
  removeInOrder,
} from '../../../../apps/peer/model/message';

const alice = { peer_id: '127.0.0.1:5001', name: 'Alice' };
const defaults = { channel: 'general', now: 1699680500 };

function message(fields: Partial<ChatMessage>): ChatMessage {
  return { id: 'x', channel: 'general', from: '127.0.0.1:5001', name: 'Alice', msg: 'Hi', timestamp: 1699680000, clock: 1, ...fields };
}

describe('LamportClock', () => {
  it('ticks before each send', () => {
    const clock = new LamportClock();
    expect([clock.tick(), clock.tick(), clock.now]).to.deep.equal([1, 2, 2]);
  });

  it('witnesses a received clock as max(local, remote) + 1', () => {
    const clock = new LamportClock(5);
    expect(clock.witness(9)).to.equal(10);
    expect(clock.witness(3)).to.equal(11);
    expect(clock.tick()).to.equal(12);
    expect(clock.witness(MAX_CLOCK)).to.equal(12 + MAX_CLOCK_STEP + 1); // a stranger's clock moves it only so far
  });
});

describe('compareMessages()', () => {
  it('orders by clock first, whatever the arrival order or the wall clock', () => {
    const late = message({ id: 'a', clock: 7, timestamp: 1 });
    const early = message({ id: 'b', clock: 3, timestamp: 999 });
    expect([late, early].sort(compareMessages).map((m) => m.id)).to.deep.equal(['b', 'a']);
  });

  it('breaks a tie of clocks by sender id, then by message id', () => {
    const bob = message({ id: 'z', from: '127.0.0.1:5002', clock: 4 });
    const alice2 = message({ id: 'b', from: '127.0.0.1:5001', clock: 4 });
    const alice1 = message({ id: 'a', from: '127.0.0.1:5001', clock: 4 });
    expect([bob, alice2, alice1].sort(compareMessages).map((m) => m.id)).to.deep.equal(['a', 'b', 'z']);
    expect([alice1, bob, alice2].sort(compareMessages).map((m) => m.id)).to.deep.equal(['a', 'b', 'z']);
  });
});

describe('insertInOrder(), removeInOrder() and firstAfterClock()', () => {
  it('keep a list in the total order whatever the arrival order', () => {
    const list: ChatMessage[] = [];
    const arriving = [
      message({ id: 'c', clock: 5 }),
      message({ id: 'a', clock: 1 }),
      message({ id: 'b', clock: 3 }),
      message({ id: 'd', clock: 5 }),
    ];
    for (const m of arriving) insertInOrder(list, m);
    expect(list.map((m) => m.id)).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(firstAfterClock(list, 3)).to.equal(2);
    expect(firstAfterClock(list, 0)).to.equal(0);
    expect(firstAfterClock(list, 9)).to.equal(4);
    removeInOrder(list, arriving[3]);
    removeInOrder(list, message({ id: 'zz', clock: 2 }));
    expect(list.map((m) => m.id)).to.deep.equal(['a', 'b', 'c']);
  });
});

describe('MessageMaker', () => {
  it('gives each message a new id and the next clock value', () => {
    const maker = new MessageMaker(alice, new LamportClock(), 1_700_000_000_000);
    const first = maker.make('general', 'Hi', 1_700_000_000_500);
    const second = maker.make(directChannel('127.0.0.1:5002'), 'psst', 1_700_000_001_000);
    expect(first).to.deep.equal({
      id: '127.0.0.1:5001/loyw3v28-1',
      channel: 'general',
      from: '127.0.0.1:5001',
      name: 'Alice',
      msg: 'Hi',
      timestamp: 1_700_000_000.5,
      clock: 1,
    });
    expect(second.id).to.equal('127.0.0.1:5001/loyw3v28-2');
    expect(second.clock).to.equal(2);
    expect(second.channel).to.equal('@127.0.0.1:5002');
  });

  it('makes ids a restarted peer does not repeat', () => {
    const before = new MessageMaker(alice, new LamportClock(), 1_700_000_000_000).make('general', 'Hi', 0);
    const after = new MessageMaker(alice, new LamportClock(), 1_700_000_060_000).make('general', 'Hi', 0);
    expect(before.id).to.not.equal(after.id);
  });
});

describe('conversationOf()', () => {
  it('files a channel message under its channel', () => {
    expect(conversationOf(message({ channel: 'random' }), '127.0.0.1:5002')).to.equal('random');
  });

  it('files a direct message under the other peer, whichever way it went', () => {
    const toBob = message({ from: '127.0.0.1:5001', channel: '@127.0.0.1:5002' });
    expect(conversationOf(toBob, '127.0.0.1:5001')).to.equal('@127.0.0.1:5002');
    expect(conversationOf(toBob, '127.0.0.1:5002')).to.equal('@127.0.0.1:5001');
  });
});

describe('readMessage()', () => {
  const full = {
    id: '127.0.0.1:5002/k-1',
    channel: 'General',
    from: '127.0.0.1:5002',
    name: 'Bob',
    msg: 'Hi',
    timestamp: 1699680000,
    clock: 8,
  };

  it('accepts a full message and lower-cases its channel', () => {
    expect(readMessage(full, defaults)).to.deep.equal({ ok: true, value: { ...full, channel: 'general' } });
  });

  it("accepts the document's payload: default channel, a derived id and no clock yet", () => {
    const payload = { from: '127.0.0.1:9001', name: 'TestPeer', msg: 'Hello via curl!', timestamp: 1699680000 };
    const read = readMessage(payload, defaults);
    expect(read).to.deep.equal({
      ok: true,
      value: { ...payload, channel: 'general', id: derivedId('127.0.0.1:9001', 'general', 1699680000, 'Hello via curl!') },
    });
    expect(readMessage({ ...payload }, defaults)).to.deep.equal(read);
    expect(derivedId('127.0.0.1:9001', 'general', 1699680000, 'Hello via curl!')).to.match(/^127\.0\.0\.1:9001\/h-[0-9a-f]{20}$/);
  });

  it('gives the same text sent at another time another id', () => {
    expect(derivedId('a', 'general', 1, 'Hi')).to.not.equal(derivedId('a', 'general', 2, 'Hi'));
  });

  it('fills a missing name with the sender id and a missing timestamp with now', () => {
    const read = readMessage({ from: '127.0.0.1:9001', msg: 'Hi' }, defaults);
    expect(read.ok && read.value.name).to.equal('127.0.0.1:9001');
    expect(read.ok && read.value.timestamp).to.equal(defaults.now);
  });

  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['no from', { msg: 'Hi' }, /"from" must be a string/],
    [
      'a from that only looks like a peer id (a fullwidth colon)',
      { from: '127.0.0.1：9001', msg: 'Hi' },
      /"from" must be the sender's peer id/,
    ],
    ['a from with an invisible character after it', { from: '127.0.0.1:9001\u00a0', msg: 'Hi' }, /"from" must be the sender's peer id/],
    ['a from without a port', { from: '127.0.0.1', msg: 'Hi' }, /"from" must be the sender's peer id/],
    ['an empty msg', { from: '127.0.0.1:9001', msg: '' }, /"msg" must be a non-empty string/],
    ['a msg that is not a string', { from: '127.0.0.1:9001', msg: 42 }, /"msg" must be a non-empty string/],
    ['a msg over 10,000 characters', { from: '127.0.0.1:9001', msg: 'x'.repeat(10_001) }, /longer than 10000 characters/],
    ['a name over 64 characters', { from: '127.0.0.1:9001', msg: 'Hi', name: 'n'.repeat(65) }, /"name" must be a display name of 1 to 64/],
    ['a name with an escape sequence', { from: '127.0.0.1:9001', msg: 'Hi', name: 'Bob\x1b[2J' }, /"name" must be/],
    ['a timestamp as text', { from: '127.0.0.1:9001', msg: 'Hi', timestamp: 'yesterday' }, /"timestamp" must be seconds/],
    ['a channel with a space', { from: '127.0.0.1:9001', msg: 'Hi', channel: 'my room' }, /"channel" must be 1 to 32/],
    ['a channel of 33 characters', { from: '127.0.0.1:9001', msg: 'Hi', channel: 'c'.repeat(33) }, /"channel" must be/],
    ['a bare @ channel', { from: '127.0.0.1:9001', msg: 'Hi', channel: '@' }, /"channel" must be/],
    ['a negative clock', { from: '127.0.0.1:9001', msg: 'Hi', clock: -1 }, /"clock" must be a whole number/],
    ['a fractional clock', { from: '127.0.0.1:9001', msg: 'Hi', clock: 1.5 }, /"clock" must be a whole number/],
    ['an empty id', { from: '127.0.0.1:9001', msg: 'Hi', id: '' }, /"id" must be a string of 1 to 200/],
    ['an id over 200 characters', { from: '127.0.0.1:9001', msg: 'Hi', id: 'i'.repeat(201) }, /"id" must be/],
  ];
  for (const [what, body, error] of refusals) {
    it(`refuses ${what} with a sentence`, () => {
      const read = readMessage(body, defaults);
      expect(read.ok).to.equal(false);
      expect(!read.ok && read.reason).to.match(error);
    });
  }
});

describe('readChannel()', () => {
  it('lower-cases a channel name and keeps a direct channel as it is', () => {
    expect(readChannel('Dev_Team-2')).to.equal('dev_team-2');
    expect(readChannel('#General')).to.equal('general');
    expect(readChannel('@127.0.0.1:5002')).to.equal('@127.0.0.1:5002');
    expect(readChannel('@a b')).to.equal(undefined);
    expect(readChannel(7)).to.equal(undefined);
  });
});

describe('readStoredMessage()', () => {
  it('wants the id, channel and clock a stored line always has', () => {
    expect(readStoredMessage({ from: '127.0.0.1:9001', msg: 'Hi' }).ok).to.equal(false);
    expect(readStoredMessage({ ...message({}) })).to.deep.equal({ ok: true, value: message({}) });
  });
});

describe('receive()', () => {
  it("keeps a message's own clock and moves the local clock past it", () => {
    const clock = new LamportClock(2);
    expect(receive({ ...message({ clock: 10 }) }, clock).clock).to.equal(10);
    expect(clock.now).to.equal(11);
  });

  it('gives a payload without a clock the next local tick, filing it where it arrived', () => {
    const clock = new LamportClock(4);
    const { clock: _none, ...payload } = message({});
    expect(receive(payload, clock).clock).to.equal(5);
    expect(clock.now).to.equal(5);
  });
});
