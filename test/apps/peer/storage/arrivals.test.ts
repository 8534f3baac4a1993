/**
 * Pages by arrival: `MessageStore.arrivedAfter` gives what was stored from a place in `history.jsonl` on, in the
 * order it was stored, whatever the clocks; from memory and from the file's index once out of memory; the same
 * after a reopen; and a new file has another name. Tests for `apps/peer/storage/store.ts` and `arrivals.ts`.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatMessage } from '../../../../apps/peer/model/message';
import { HISTORY_FILE, MessageStore, type StoreOptions } from '../../../../apps/peer/storage/store';

const ALICE = '127.0.0.1:5001';
const BOB = '127.0.0.1:5002';

function message(id: string, clock: number): ChatMessage {
  return { id, channel: 'general', from: BOB, name: 'Bob', msg: `message ${id}`, timestamp: 1699680000 + clock, clock };
}

const ids = (messages: ChatMessage[]) => messages.map((m) => m.id);

describe('MessageStore.arrivedAfter', () => {
  let dir: string;
  let open: (options?: Partial<StoreOptions>) => Promise<MessageStore>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weaprous-arrivals-'));
    open = (options = {}) => MessageStore.open(dir, { selfId: ALICE, ...options });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Every page from `position` on, `limit` at a time: the ids in order, and where the last page said to go on. */
  async function walk(store: MessageStore, position: number, limit: number): Promise<{ ids: string[]; position: number; pages: number }> {
    const seen: string[] = [];
    let pages = 0;
    for (;;) {
      const page = await store.arrivedAfter('general', position, { limit });
      pages += 1;
      seen.push(...ids(page.messages));
      position = page.position;
      if (!page.more) return { ids: seen, position, pages };
    }
  }

  it('gives a message stored late with a low clock after the place already read, where a page by clock would not', async () => {
    const store = await open();
    for (let clock = 200; clock < 210; clock++) await store.add(message(`high-${clock}`, clock));
    const first = await walk(store, 0, 4);
    expect(first.ids).to.have.length(10);
    expect(first.pages).to.equal(3);
    await store.add(message('late-50', 50)); // its sender was cut off: its clock lags far behind
    const next = await store.arrivedAfter('general', first.position);
    expect([ids(next.messages), next.more]).to.deep.equal([['late-50'], false]);
    expect(ids((await store.history('general', { since: 209 - 100 })).messages)).to.not.include('late-50'); // the old way missed it
    const none = await store.arrivedAfter('general', next.position);
    expect([none.messages, none.more, none.position]).to.deep.equal([[], false, next.position]);
    await store.close();
  });

  it('walks messages out of memory (from the file) and in memory once each, in the order they came, and again after a reopen', async () => {
    const store = await open({ memoryLimit: 3 });
    const clocks = [5, 3, 9, 1, 7, 2, 8];
    for (const [i, clock] of clocks.entries()) await store.add(message(`m${i}`, clock));
    const stored = clocks.map((_, i) => `m${i}`);
    expect((await walk(store, 0, 2)).ids).to.deep.equal(stored);
    const middle = await store.arrivedAfter('general', 0, { limit: 3 });
    expect((await walk(store, middle.position, 100)).ids).to.deep.equal(stored.slice(3));
    const id = store.id;
    await store.close();
    const again = await open({ memoryLimit: 3 });
    expect((await walk(again, 0, 2)).ids).to.deep.equal(stored);
    expect((await again.arrivedAfter('general', middle.position, { limit: 100 })).messages.map((m) => m.id)).to.deep.equal(stored.slice(3));
    expect(again.id).to.equal(id);
    await again.close();
  });

  it('tells an asker of #general nothing of the other conversations: positions count #general alone', async () => {
    const store = await open();
    await store.add(message('g1', 1));
    const before = await store.arrivedAfter('general', 0);
    // The attack: a stranger polls #general by place to learn when, and how much, the peer stores in direct conversations.
    await store.add({ ...message('d1', 2), channel: `@${ALICE}`, msg: 'x'.repeat(5_000) });
    const after = await store.arrivedAfter('general', 0);
    expect(after.position).to.equal(before.position);
    await store.add(message('g2', 3));
    const next = await store.arrivedAfter('general', after.position);
    expect([ids(next.messages), next.position]).to.deep.equal([['g2'], 2]);
    // A place past #general's end is answered from its start, whatever the file's size: no probe of that size.
    const past = await store.arrivedAfter('general', 3);
    expect([ids(past.messages), past.position]).to.deep.equal([['g1', 'g2'], 2]);
    await store.close();
  });

  it('names a new history file differently, so an asker knows its positions mean nothing there', async () => {
    const store = await open();
    await store.add(message('m1', 1));
    const id = store.id;
    await store.close();
    rmSync(join(dir, HISTORY_FILE));
    const anew = await open();
    expect(anew.id).to.not.equal(id);
    await anew.close();
  });
});
