/**
 * Outbox: the retry schedule and its jitter, one message in flight at a time and in order, the cap and how it
 * says it dropped, and the file that outlives a restart. Tests for `apps/peer/delivery/outbox.ts` (new).
 * Time is passed in: nothing here sleeps.
 */

import { expect } from 'chai';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatMessage } from '../../../../apps/peer/model/message';
import {
  JITTER,
  nextDelay,
  Outbox,
  outboxFileName,
  peerOfFile,
  RETRY_DELAYS,
  RETRY_NOW_INTERVAL_MS,
} from '../../../../apps/peer/delivery/outbox';

const BOB = '127.0.0.1:5002';

function message(id: string, clock = 1): ChatMessage {
  return { id, channel: 'general', from: '127.0.0.1:5001', name: 'Alice', msg: `message ${id}`, timestamp: 1699680000, clock };
}

describe('nextDelay()', () => {
  it('waits about 1 s, 5 s, 15 s, then every 60 s', () => {
    expect([0, 1, 2, 3, 4, 50].map((attempt) => nextDelay(attempt, 0.5))).to.deep.equal([1000, 5000, 15000, 60000, 60000, 60000]);
  });

  it('stays within ±20% of each step whatever the random number', () => {
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const base = RETRY_DELAYS[Math.min(attempt, 3)];
      for (const random of [0, 0.001, 0.25, 0.5, 0.75, 0.999999]) {
        const delay = nextDelay(attempt, random);
        expect(delay).to.be.within(base * (1 - JITTER), base * (1 + JITTER));
      }
    }
    expect(nextDelay(0, 0)).to.equal(800);
    expect(nextDelay(3, 0.999999)).to.equal(72000);
  });
});

describe('outboxFileName()', () => {
  it('makes a portable file name that turns back into the peer id', () => {
    expect(outboxFileName(BOB)).to.equal('127.0.0.1_3A5002');
    for (const id of [BOB, '::1:5001', 'my-laptop.local:5001', 'a_b~c*d/e\\f']) {
      expect(outboxFileName(id)).to.match(/^[A-Za-z0-9._-]+$/);
      expect(peerOfFile(outboxFileName(id))).to.equal(id);
    }
  });
});

describe('Outbox', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weaprous-outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is due at once, then after each failure waits the next step of the schedule', async () => {
    const outbox = await Outbox.open(dir, BOB);
    expect(outbox.due(0)).to.equal(false);
    await outbox.enqueue(message('a'));
    let now = 1_000_000;
    expect(outbox.due(now)).to.equal(true);
    const waits: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect(outbox.start()?.id).to.equal('a');
      expect(outbox.due(now)).to.equal(false); // in flight
      const wait = outbox.fail(now, 0.5);
      waits.push(wait);
      expect(outbox.due(now + wait - 1)).to.equal(false);
      now += wait;
      expect(outbox.due(now)).to.equal(true);
    }
    expect(waits).to.deep.equal([1000, 5000, 15000, 60000, 60000]);
    await outbox.close();
  });

  it('sends in order: the head must be acknowledged before the next goes', async () => {
    const outbox = await Outbox.open(dir, BOB);
    for (const id of ['a', 'b', 'c']) expect(await outbox.enqueue(message(id))).to.equal('queued');
    expect(outbox.start()?.id).to.equal('a');
    expect(outbox.start()).to.equal(undefined);
    expect(await outbox.ack('b')).to.equal(false);
    expect(await outbox.ack('a')).to.equal(true);
    expect([outbox.due(0), outbox.start()?.id]).to.deep.equal([true, 'b']);
    expect(outbox.size).to.equal(2);
    await outbox.close();
  });

  it('starts the schedule again after a success; retryNow makes it due at once but keeps counting the failures', async () => {
    const outbox = await Outbox.open(dir, BOB);
    await outbox.enqueue(message('a'));
    await outbox.enqueue(message('b'));
    outbox.start();
    outbox.fail(0, 0.5);
    outbox.start();
    expect(outbox.fail(1000, 0.5)).to.equal(5000);
    expect(outbox.retryNow(2000)).to.equal(true);
    expect(outbox.due(2000)).to.equal(true);
    outbox.start();
    expect(outbox.fail(2000, 0.5)).to.equal(15000); // the 3rd failure in a row, retryNow or not
    outbox.retryNow(10_000); // 8 s later: heeded
    outbox.start();
    await outbox.ack('a');
    outbox.start();
    expect(outbox.fail(11_000, 0.5)).to.equal(1000); // a success started the schedule again
    await outbox.close();
  });

  it('heeds retryNow once in RETRY_NOW_INTERVAL_MS, and not when the outbox is due anyway', async () => {
    const outbox = await Outbox.open(dir, BOB);
    await outbox.enqueue(message('a'));
    expect(outbox.retryNow(0)).to.equal(false); // due already: nothing to do, and the interval does not start
    outbox.start();
    outbox.fail(0, 0.5);
    expect(outbox.retryNow(100)).to.equal(true);
    outbox.start();
    outbox.fail(150, 0.5); // due again at 5,150
    const calls = Array.from({ length: 100 }, (_, i) => outbox.retryNow(200 + i * 10)); // a stranger's /connect-peer/ in a loop
    expect(calls.filter(Boolean)).to.have.length(0);
    expect(outbox.due(RETRY_NOW_INTERVAL_MS)).to.equal(false);
    expect(outbox.retryNow(100 + RETRY_NOW_INTERVAL_MS)).to.equal(true);
    await outbox.close();
  });

  it('counts as in flight until an ack is on disk, and discard() deletes the file and says how many it dropped', async () => {
    const outbox = await Outbox.open(dir, BOB);
    for (const id of ['a', 'b', 'c']) await outbox.enqueue(message(id));
    outbox.start();
    const acking = outbox.ack('a');
    expect(outbox.inFlight).to.equal(true);
    await acking;
    expect(outbox.inFlight).to.equal(false);
    const file = join(dir, 'outbox', `${outboxFileName(BOB)}.jsonl`);
    expect(existsSync(file)).to.equal(true);
    expect(await outbox.discard()).to.equal(2);
    expect([existsSync(file), outbox.size, outbox.due(0)]).to.deep.equal([false, 0, false]);
    expect(await Outbox.pending(dir)).to.deep.equal([]);
  });

  it('refuses a message beyond its cap, keeps the oldest, and counts what it dropped', async () => {
    const outbox = await Outbox.open(dir, BOB, { limit: 3 });
    for (const id of ['a', 'b', 'c']) await outbox.enqueue(message(id));
    expect(await outbox.enqueue(message('d'))).to.equal('full');
    expect(await outbox.enqueue(message('e'))).to.equal('full');
    expect([outbox.size, outbox.dropped, outbox.head()?.id]).to.deep.equal([3, 2, 'a']);
    expect(await outbox.enqueue(message('a'))).to.equal('duplicate');
    await outbox.close();
  });

  it('survives a restart: a new Outbox on the same folder has what was not acknowledged, due at once', async () => {
    const before = await Outbox.open(dir, BOB);
    for (const id of ['a', 'b', 'c']) await before.enqueue(message(id));
    before.start();
    await before.ack('a');
    before.start();
    before.fail(5000, 0.5);
    await before.close();
    expect(await Outbox.pending(dir)).to.deep.equal([BOB]);
    const after = await Outbox.open(dir, BOB);
    expect([after.size, after.head()?.id, after.due(0)]).to.deep.equal([2, 'b', true]);
    await after.close();
  });

  it('empties its file once everything is delivered', async () => {
    const outbox = await Outbox.open(dir, BOB);
    for (const id of ['a', 'b']) await outbox.enqueue(message(id));
    for (const id of ['a', 'b']) {
      outbox.start();
      await outbox.ack(id);
    }
    await outbox.close();
    expect(readFileSync(join(dir, 'outbox', `${outboxFileName(BOB)}.jsonl`), 'utf8')).to.equal('');
    expect(await Outbox.pending(dir)).to.deep.equal([]);
  });

  it('keeps its file short: acknowledged messages are compacted away', async () => {
    const outbox = await Outbox.open(dir, BOB);
    for (let i = 0; i < 300; i += 1) await outbox.enqueue(message(`m${i}`));
    for (let i = 0; i < 200; i += 1) {
      outbox.start();
      await outbox.ack(`m${i}`);
    }
    await outbox.close();
    const lines = readFileSync(join(dir, 'outbox', `${outboxFileName(BOB)}.jsonl`), 'utf8')
      .trim()
      .split('\n');
    expect(lines.length).to.be.below(2 * 100 + 100 + 2);
    const again = await Outbox.open(dir, BOB);
    expect([again.size, again.head()?.id]).to.deep.equal([100, 'm200']);
    await again.close();
  });

  it('cuts a torn last line of its file and says so', async () => {
    const outbox = await Outbox.open(dir, BOB);
    await outbox.enqueue(message('a'));
    await outbox.close();
    appendFileSync(join(dir, 'outbox', `${outboxFileName(BOB)}.jsonl`), '{"add":{"id":"b","chan');
    const problems: string[] = [];
    const again = await Outbox.open(dir, BOB, { onProblem: (line) => problems.push(line) });
    expect(problems).to.deep.equal([`The outbox for ${BOB}: cut off a torn last line (22 bytes); 1 still waiting`]);
    expect(await again.enqueue(message('c'))).to.equal('queued');
    await again.close();
    const reopened = await Outbox.open(dir, BOB);
    expect(reopened.size).to.equal(2);
    await reopened.close();
  });
});
