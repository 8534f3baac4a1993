/**
 * Outboxes: an outbox closes, and its file goes, once it is empty and nobody writes to it or sends from it; a
 * message for that peer meanwhile goes into a new one on the same file, opened after the old one has closed;
 * a known peer's outbox takes the place of an unknown one's when all are taken. Real files in a temporary folder.
 * Tests for `apps/peer/delivery/outboxes.ts` (new: outboxes of made-up peers were never closed).
 */

import { noticeLines } from '../../../../apps/peer/console/notices';
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatMessage } from '../../../../apps/peer/model/message';
import { Outbox, outboxFileName } from '../../../../apps/peer/delivery/outbox';
import { Outboxes, type OutboxesOptions, SHARE_OUTBOXES } from '../../../../apps/peer/delivery/outboxes';

const BOB = '127.0.0.1:5002';

function message(id: string): ChatMessage {
  return { id, channel: 'general', from: '127.0.0.1:5001', name: 'Alice', msg: `message ${id}`, timestamp: 1699680000, clock: 1 };
}

describe('Outboxes', () => {
  let dir: string;
  let said: string[];
  let outboxes: Outboxes;
  const file = (peerId: string) => join(dir, 'outbox', `${outboxFileName(peerId)}.jsonl`);
  const make = (options: Partial<OutboxesOptions> = {}) =>
    new Outboxes({ dir, notify: (notice) => said.push(...noticeLines(notice)), budget: { used: 0, limit: Infinity }, ...options });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weaprous-outboxes-'));
    said = [];
    outboxes = make();
  });
  afterEach(async () => {
    await outboxes.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends the head of the peer's outbox: start, then ack. */
  async function deliverHead(peerId: string): Promise<Outbox> {
    const outbox = outboxes.get(peerId)!;
    await outbox.ack(outbox.start()!.id);
    return outbox;
  }

  it('closes an outbox that has emptied, deletes its file, and opens a new one on the same file for the next message', async () => {
    await outboxes.write(BOB, (outbox) => outbox.enqueue(message('a')));
    const old = await deliverHead(BOB);
    outboxes.closeIfDone(old);
    expect(outboxes.get(BOB)).to.equal(undefined); // at once: the next write cannot reach the closing one
    const writing = outboxes.write(BOB, (outbox) => outbox.enqueue(message('b'))); // while the old one is still closing
    expect(await writing).to.equal('queued');
    const fresh = outboxes.get(BOB)!;
    expect(fresh).to.not.equal(old);
    expect([fresh.size, existsSync(file(BOB))]).to.deep.equal([1, true]);
    await outboxes.close();
    expect(await Outbox.pending(dir)).to.deep.equal([BOB]); // 'b' is on disk for the next run
  });

  it("drops one peer's outbox on request (/outbox drop), file and all, and says how many messages went", async () => {
    await outboxes.write(BOB, (outbox) => outbox.enqueue(message('a')));
    await outboxes.write(BOB, (outbox) => outbox.enqueue(message('b')));
    expect(await outboxes.drop(BOB)).to.equal(2);
    expect([outboxes.get(BOB), existsSync(file(BOB))]).to.deep.equal([undefined, false]);
    expect(await outboxes.drop(BOB)).to.equal(0);
    await outboxes.close();
    expect(await Outbox.pending(dir)).to.deep.equal([]); // nothing comes back after a restart
  });

  it('does not close an outbox while a message is being written to it, nor while one is in flight or being sent from', async () => {
    await outboxes.write(BOB, async (outbox) => {
      outboxes.closeIfDone(outbox); // empty, but being written to
      expect(outboxes.get(BOB)).to.equal(outbox);
      return outbox.enqueue(message('a'));
    });
    const outbox = outboxes.get(BOB)!;
    outbox.start();
    const acking = outbox.ack('a');
    outboxes.closeIfDone(outbox); // empty now, but the ack is not on disk yet
    expect(outboxes.get(BOB)).to.equal(outbox);
    await acking;
    outboxes.draining.add(outbox);
    outboxes.closeIfDone(outbox);
    expect(outboxes.get(BOB)).to.equal(outbox);
    outboxes.draining.delete(outbox);
    outboxes.closeIfDone(outbox);
    expect(outboxes.get(BOB)).to.equal(undefined);
    await outboxes.close();
    expect(existsSync(file(BOB))).to.equal(false);
  });

  it('closes an outbox a write left empty (its message refused: full), so it holds no file for nothing', async () => {
    outboxes = make({ limit: 0 });
    expect(await outboxes.write(BOB, (outbox) => outbox.enqueue(message('a')))).to.equal('full');
    expect(outboxes.get(BOB)).to.equal(undefined);
  });

  it('when all are taken, drops the unknown peer with the fewest messages for a known peer, says so, and never for an unknown one', async () => {
    outboxes = make({ maxOutboxes: 3, isKnown: (id) => id.startsWith('known') });
    await outboxes.write('known:1', (o) => o.enqueue(message('k')));
    for (const [peer, count] of [
      ['stranger:1', 2],
      ['stranger:2', 1],
    ] as const)
      for (let i = 0; i < count; i++) await outboxes.write(peer, (o) => o.enqueue(message(`${peer}-${i}`)));
    const refused = await outboxes.write('stranger:3', (o) => o.enqueue(message('x'))).catch((error: Error) => error.message);
    expect(refused).to.equal('messages already wait for 3 peers, as many as this peer keeps outboxes for');
    expect(await outboxes.write('known:2', (o) => o.enqueue(message('y')))).to.equal('queued');
    expect(outboxes.get('stranger:2')).to.equal(undefined);
    expect(said).to.deep.equal([
      "[P2P] Dropped 1 message waiting for stranger:2, whose key is not known, to keep messages for known:2 (at most 3 peers have an outbox). It is still in this peer's history.",
    ]);
    // Only known ones and one in flight left: nothing to drop.
    outboxes.get('stranger:1')!.start();
    const full = await outboxes.write('known:3', (o) => o.enqueue(message('z'))).catch((error: Error) => error.message);
    expect(full).to.match(/^messages already wait for 3 peers/);
  });
  describe('contacts first, strangers by shares', () => {
    const shares = (id: string) => [`address ${id.split(':')[0]}`];
    const keep = (id: string) => outboxes.write(id, (o) => o.enqueue(message(`to ${id}`))).catch((error: Error) => error.message);

    it('gives the strangers behind one address at most SHARE_OUTBOXES outboxes, and another address its own', async () => {
      outboxes = make({ sharesOf: shares, isContact: () => false });
      for (let port = 1; port <= SHARE_OUTBOXES; port++) expect(await keep(`127.0.0.2:${port}`)).to.equal('queued');
      expect(await keep('127.0.0.2:999')).to.match(/^messages already wait for 16 peers of the same address 127\.0\.0\.2/);
      expect(await keep('127.0.0.3:1')).to.equal('queued');
    });

    it("keeps room for contacts that strangers cannot take, and lets a contact take a stranger's place", async () => {
      outboxes = make({ maxOutboxes: 8, isContact: (id) => id.startsWith('bob') });
      for (let i = 0; i < 6; i++) expect(await keep(`stranger:${i}`)).to.equal('queued');
      expect(await keep('stranger:6')).to.match(/^messages already wait for 8 peers/); // 2 of 8 are kept for contacts
      expect([await keep('bob:1'), await keep('bob:2'), await keep('bob:3')]).to.deep.equal(['queued', 'queued', 'queued']);
      expect(outboxes.get('bob:3')?.size).to.equal(1);
      expect(said.some((line) => line.includes('stranger:'))).to.equal(true); // the stranger dropped is told
    });
  });
});
