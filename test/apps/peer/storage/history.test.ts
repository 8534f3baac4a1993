/**
 * History: what the peer sends and receives, stored once, in Lamport order, and back after a restart.
 * Tests for `apps/peer/storage/history.ts`.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { History, OverShare } from '../../../../apps/peer/storage/history';
import { Contacts } from '../../../../apps/peer/model/contacts';
import { SHARE_BURST_BYTES } from '../../../../apps/peer/storage/shares';
import { MAX_CLOCK, MAX_CLOCK_STEP, readMessage } from '../../../../apps/peer/model/message';

const ALICE = { peer_id: '127.0.0.1:5001', name: 'Alice' };
const BOB = '127.0.0.1:5002';
const fromBob = (msg: string, clock: number) => ({
  id: `${BOB}/t-${clock}`,
  channel: 'general',
  from: BOB,
  name: 'Bob',
  msg,
  timestamp: 1,
  clock,
});

describe('History', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weaprous-history-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('charges a member of a public channel as a stranger (joining costs one request), and spares a peer the user chose', async () => {
    const contacts = new Contacts();
    const history = await History.open(dir, ALICE, { startedAt: 1, contacts });
    const long = 'x'.repeat(9_000);
    const flood = async (from: string, source: string) => {
      for (let clock = 1; clock <= Math.ceil((2 * SHARE_BURST_BYTES) / long.length); clock++) {
        const message = { ...fromBob(long, clock), from, id: `${from}/t-${clock}`, channel: 'team' };
        try {
          await history.accept(message, source);
        } catch (error) {
          if (error instanceof OverShare) return clock - 1;
          throw error;
        }
      }
      return Infinity;
    };
    expect(await flood('127.0.0.7:5007', '127.0.0.7')).to.be.below(Math.ceil(SHARE_BURST_BYTES / long.length) + 2);
    contacts.choose(BOB);
    expect(await flood(BOB, '127.0.0.8')).to.equal(Infinity);
    await history.close();
  });

  it("is not muted by a stranger's clock near MAX_CLOCK: its own clock moves at most MAX_CLOCK_STEP, after a restart too", async () => {
    const history = await History.open(dir, ALICE, { startedAt: 1 });
    expect((await history.accept(fromBob('from far ahead', MAX_CLOCK))).status).to.equal('added');
    const next = await history.compose('general', 'still heard', 2_000);
    expect(next.clock).to.equal(MAX_CLOCK_STEP + 2);
    // What this peer sends next is still a message every other peer takes.
    expect(readMessage({ ...next }, { channel: 'general', now: 0 }).ok).to.equal(true);
    await history.close();
    const again = await History.open(dir, ALICE, { startedAt: 2 });
    expect((await again.compose('general', 'after a restart', 3_000)).clock).to.equal(MAX_CLOCK_STEP + 3);
    await again.close();
  });

  it('recent() and highestClock() see the newest messages of a channel larger than one history page (1 MiB)', async () => {
    const history = await History.open(dir, ALICE, { startedAt: 1 });
    for (let clock = 1; clock <= 150; clock++)
      await history.accept({ ...fromBob('x'.repeat(10_000), clock), msg: `${clock} ${'x'.repeat(10_000)}` });
    const { messages, total } = history.recent('general', 2);
    expect([total, messages.map((m) => m.clock)]).to.deep.equal([150, [149, 150]]);
    expect(history.highestClock('general')).to.equal(150);
    await history.close();
  });

  it('stores what it sends and receives once, orders by clock, and moves its clock past what it saw', async () => {
    const history = await History.open(dir, ALICE, { startedAt: 1 });
    const mine = await history.compose('general', 'hi', 1_000);
    expect(mine).to.deep.include({ channel: 'general', from: ALICE.peer_id, clock: 1, timestamp: 1 });
    expect((await history.accept(fromBob('late', 9))).status).to.equal('added');
    expect((await history.accept(fromBob('late', 9))).status).to.equal('duplicate');
    expect((await history.compose('general', 'after', 2_000)).clock).to.equal(11);
    expect(history.recent('general', 2)).to.deep.equal({ messages: [fromBob('late', 9), await lastOf(history)], total: 3 });
    expect(history.highestClock('general')).to.equal(11);
    expect(history.highestClock('random')).to.equal(-1);
    await history.close();

    const again = await History.open(dir, ALICE, { startedAt: 2 });
    expect(again.recent('general', 20).messages.map((m) => m.msg)).to.deep.equal(['hi', 'late', 'after']);
    const next = await again.compose('general', 'restarted', 3_000);
    expect([next.clock, next.id]).to.deep.equal([12, '127.0.0.1:5001/2-1']);
    await again.close();
  });

  it('shows a live copy of a message it caught up on quietly, once', async () => {
    const history = await History.open(dir, ALICE, { startedAt: 1 });
    expect(await history.acceptQuietly(fromBob('caught up', 3))).to.equal('added');
    expect((await history.accept(fromBob('caught up', 3))).status).to.equal('added'); // shown now
    expect((await history.accept(fromBob('caught up', 3))).status).to.equal('duplicate');
    expect(history.recent('general', 20).total).to.equal(1);
    await history.close();
  });

  it('counts a message two catch-ups bring once, at once or one after the other, and still shows its live copy', async () => {
    const history = await History.open(dir, ALICE, { startedAt: 1 });
    const both = await Promise.all([history.acceptQuietly(fromBob('twice', 3)), history.acceptQuietly(fromBob('twice', 3))]);
    expect(both.sort()).to.deep.equal(['added', 'duplicate']);
    expect(await history.acceptQuietly(fromBob('twice', 3))).to.equal('duplicate');
    expect((await history.accept(fromBob('twice', 3))).status).to.equal('added'); // shown once, when it comes live
    expect((await history.accept(fromBob('twice', 3))).status).to.equal('duplicate');
    await history.close();
  });
});

async function lastOf(history: History) {
  return history.recent('general', 1).messages[0];
}
