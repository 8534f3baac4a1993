/**
 * The scale bench at N = 5: its counts are exact, worked out by hand here (times are the model's and not
 * checked). Tests for `bench/scale/` (benchmark tooling; no WeApRous twin).
 */

import { expect } from 'chai';
import { HISTORY_NAME, Log, pageBodyBytes } from '../../bench/scale/log';
import { away, heal, makeMessage, outboxReturn, peerId } from '../../bench/scale/scenarios';
import { fillOutbox, retriesWhileAway, timePageReads } from '../../bench/scale/real';

describe('bench/scale: Log.pageAfter()', () => {
  const log = new Log(peerId(0));
  const sent = Array.from({ length: 250 }, (_, n) => makeMessage(peerId(1), 'general', n, n + 1));
  sent.forEach((message) => log.add(message));

  it('gives 100 messages a page, and the position of the next line to ask from', () => {
    const first = log.pageAfter('general', 0);
    expect([first.messages.length, first.more]).to.deep.equal([100, true]);
    const second = log.pageAfter('general', first.next);
    expect(second.messages[0]).to.equal(sent[100]);
    const third = log.pageAfter('general', log.pageAfter('general', second.next).next);
    expect(log.pageAfter('general', second.next).more).to.equal(false);
    expect(third.messages).to.deep.equal([]);
  });

  it("counts a page's body as the route's JSON, byte for byte", () => {
    const page = log.pageAfter('general', 0);
    const { messages, more, next: arrived } = page;
    const body = { status: 'ok', channel: 'general', count: messages.length, messages, more, arrived, history: HISTORY_NAME };
    expect(page.bodyBytes).to.equal(Buffer.byteLength(JSON.stringify(body)));
    expect(pageBodyBytes('general', [], false, 7)).to.equal(
      Buffer.byteLength(JSON.stringify({ ...body, count: 0, messages: [], more: false, arrived: 7 })),
    );
  });
});

describe('bench/scale: the scenarios at N = 5', () => {
  it('(a) a peer back after 250 messages: 3 pages each way per meeting, and the echo of what it caught up', () => {
    const { outcome } = away(5, 250);
    // Per meeting: /connect-peer/; it asks #general (3 pages) and @itself (1, empty); the other side the same.
    expect(outcome).to.include({ meetings: 4, pages: 4 * 8, requests: 4 * 9, messages: 4 * 500, duplicates: 4 * 500 - 250 });
    expect(outcome.converged).to.equal(true);
  });

  it('(a) pages are ceil(M / 100) per asker per answering peer, at the boundary too', () => {
    expect(away(3, 200).outcome.pages).to.equal(2 * (2 + 1 + 2 + 1));
    expect(away(3, 201).outcome.pages).to.equal(2 * (3 + 1 + 3 + 1));
  });

  it('(b) a heal of 2 and 3 peers after 10 messages: 6 meetings, 108 carried, 84 of them held already', () => {
    // Left (peers 0, 1) sent 4, right (2, 3, 4) sent 6; each of the 5 lacks the other half's: 24 new.
    expect(heal(5, 10)).to.include({ meetings: 6, pages: 24, requests: 30, messages: 108, duplicates: 84, converged: true });
  });

  it('(c) 4 outboxes of 150 for a peer back: catch-up brings them in 2 pages each, the drains send them again', () => {
    const o = outboxReturn(4, 150);
    expect(o).to.include({ meetings: 4, pages: 4 * 6, messages: 4 * 300, duplicates: 4 * 150, drained: 600, requests: 4 + 24 + 600 });
    expect(o.converged).to.equal(true);
  });

  it('(d) with a digest the heal carries only the 24 messages missing; asking one peer each still converges', () => {
    expect(heal(5, 10, undefined, { digest: true, channelPeers: Infinity })).to.include({ messages: 24, duplicates: 0, converged: true });
    // Each asks #general of its first meeting only: 6 meetings, 5 peers, so 7 asks of the 12 are for @direct alone.
    expect(heal(5, 10, undefined, { digest: true, channelPeers: 1 })).to.include({ pages: 24 - 7, messages: 24, converged: true });
  });
});

describe('bench/scale: the real parts', () => {
  it('the real MessageStore pages the same 250 messages in 3 pages, as the model does', async () => {
    const sent = Array.from({ length: 250 }, (_, n) => makeMessage(peerId(1), 'general', n, n + 1));
    expect((await timePageReads(sent, 2)).pagesPerReader).to.equal(3);
  });

  it('a real outbox holds what it is given below its limit, one journal line each', async () => {
    const message = makeMessage(peerId(1), `@${peerId(0)}`, 0, 1);
    const line = Buffer.byteLength(JSON.stringify({ add: message })) + 1;
    expect(await fillOutbox(3)).to.deep.equal({ held: 3, refused: 0, fileBytes: 3 * line });
  });

  it("tries an outbox's head on the schedule 1, 5, 15, then 60 s", () => {
    expect([0, 1, 5, 6, 20, 21, 80, 81, 600].map(retriesWhileAway)).to.deep.equal([1, 2, 2, 3, 3, 4, 4, 5, 13]);
  });
});
