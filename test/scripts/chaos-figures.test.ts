/**
 * The chaos run's figures from times and histories made by hand: percentiles by nearest rank, a message's key
 * in a console line, each pair's time from its printed line or an earlier history poll, sealed messages matched
 * to their sends by time.
 */

import { expect } from 'chai';
import type { ChatMessage } from '../../apps/peer/model/message';
import {
  afterHeals,
  figureLines,
  firstPrinted,
  idsOf,
  keyOf,
  latencies,
  percentiles,
  type Seen,
  type Typed,
} from '../../scripts/chaos/figures';
import { emptyCounts } from '../../scripts/chaos/requests';

const A = '10.0.0.1:5001';
const B = '10.0.0.2:5002';
const C = '10.0.0.3:5003';

function stored(from: string, seq: number, channel: string, msg: string, timestampMs: number, at: number, sealed = false) {
  const message: ChatMessage = { id: `${from}/run-${seq}`, channel, from, name: from, msg, timestamp: timestampMs / 1000, clock: seq };
  if (sealed) message.enc = { v: 1, salt: 's', nonce: 'n', ct: 'c' };
  return [message.id, { at, message }] as const;
}

describe('chaos figures: percentiles()', () => {
  it('takes the nearest rank: p50 of 1..100 is 50, p99 is 99, max 100', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(values)).to.deep.equal({ p50: 50, p99: 99, max: 100, count: 100 });
  });

  it('gives the one value for every rank of a single value, and null for none', () => {
    expect(percentiles([7])).to.deep.equal({ p50: 7, p99: 7, max: 7, count: 1 });
    expect(percentiles([])).to.equal(null);
  });
});

describe('chaos figures: afterHeals()', () => {
  it('waits, after each heal, for the last message typed before it; none late is 0', () => {
    const pairs: Array<[number, number]> = [
      [1000, 1100],
      [1500, 9000],
      [6000, 6050],
    ];
    expect(afterHeals(pairs, [2000, 7000, 10_000])).to.deep.equal([7000, 2000, 0]);
  });
});

describe('chaos figures: keyOf() and firstPrinted()', () => {
  it('finds the run and number in a broadcast, a channel line and a decrypted secret', () => {
    expect(keyOf('[BROADCAST] Alice (10.0.0.1:5001): chaos 7.12 general')).to.equal('7.12');
    expect(keyOf('[#team] Carol (10.0.0.3:5003): secret 7.3 for private eyes only')).to.equal('7.3');
    expect(keyOf('[Tracker] Found 3 peers')).to.equal(undefined);
  });

  it('keeps the time of the first line that shows a key', () => {
    const lines = ['[Bob] > ', '[BROADCAST] Alice (a): chaos 1.2 general', '  [12:00:00] Alice (a): chaos 1.2 general'];
    expect([...firstPrinted(lines, [10, 20, 30])]).to.deep.equal([['1.2', 20]]);
  });
});

describe('chaos figures: latencies()', () => {
  const hello: Typed = { key: '1.0', from: 0, channel: 'general', recipients: [1, 2], at: 1000 };
  const secret: Typed = { key: '1.1', from: 0, channel: 'team', recipients: [2], at: 2000 };

  function peer(id: string, printed: Array<[string, number]>, entries: Array<ReturnType<typeof stored>>, skewMs = 0): Seen {
    return { id, printed: new Map(printed), stored: new Map(entries), skewMs };
  }

  it('times a printed pair by its line, a caught-up pair by the poll, and the message by its last member', () => {
    const peers = [
      peer(A, [], [stored(A, 1, 'general', 'chaos 1.0 general', 1001, 1250), stored(A, 2, 'team', '(encrypted)', 2003, 2250, true)]),
      peer(B, [['1.0', 1040]], [stored(A, 1, 'general', 'chaos 1.0 general', 1001, 1250)]),
      peer(
        C,
        [['1.1', 2100]],
        [stored(A, 1, 'general', 'chaos 1.0 general', 1001, 9000), stored(A, 2, 'team', '(encrypted)', 2003, 2250, true)],
      ),
    ];
    const result = latencies([hello, secret], peers);
    expect(result.perRecipient).to.deep.equal([40, 8000, 100]);
    expect(result.perMessage).to.deep.equal([8000, 100]);
    expect(result).to.include({ fromPolls: 1, accepted: 2, recipients: 3 });
  });

  it('leaves a pair never stored out of the figures, and its message out of the last-member figure', () => {
    const peers = [peer(A, [], [stored(A, 1, 'general', 'chaos 1.0 general', 1001, 1250)]), peer(B, [['1.0', 1040]], []), peer(C, [], [])];
    const result = latencies([hello], peers);
    expect(result.perRecipient).to.deep.equal([40]);
    expect(result.perMessage).to.deep.equal([]);
  });

  it('matches sealed messages to the nearest send of the same sender and conversation, on the real clock', () => {
    const sends: Typed[] = [0, 1, 2].map((n) => ({ key: `1.${n}`, from: 0, channel: `@${B}`, recipients: [1], at: 10_000 + n * 400 }));
    // The sender's clock runs 5 s ahead: its timestamps are 5 s past the real times the sends were typed.
    const own = [2, 0, 1].map((n) => stored(A, n, `@${B}`, '(encrypted)', 15_010 + n * 400, 0, true));
    const ids = idsOf(sends, [peer(A, [], own, 5000), peer(B, [], [])]);
    expect([...ids].sort()).to.deep.equal([
      ['1.0', `${A}/run-0`],
      ['1.1', `${A}/run-1`],
      ['1.2', `${A}/run-2`],
    ]);
  });

  it('prints lines of at most 80 columns', () => {
    const result = {
      perRecipient: [123456],
      perMessage: [123456],
      fromPolls: 12345,
      accepted: 12345,
      recipients: 45678,
      pairs: [] as Array<[number, number]>,
    };
    const counts = { ...emptyCounts(), sendPeer: 99999, broadcastPeer: 99999, batches: 99999, historyPages: 99999, tracker: 99999 };
    const heals = { heals: [1, 2, 3, 4, 5, 6].map((n) => n * 10_000), workloadStart: 0 };
    result.pairs.push([0, 99_000]);
    for (const line of figureLines(result, { ...counts, connectPeer: 99999, otherPeer: 99999, carried: 99999 }, 123456, heals)) {
      expect(line.length, line).to.be.at.most(80);
    }
  });
});
