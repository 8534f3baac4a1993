/**
 * Messages out of memory are still history: pages read them back from `history.jsonl`, merged in Lamport order
 * with what memory holds, with the same cursor, also after a restart. Tests for `apps/peer/storage/evicted.ts`
 * through `MessageStore.history` (`store.ts`).
 */

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChatMessage, compareMessages } from '../../../../apps/peer/model/message';
import { HISTORY_FILE, MessageStore, type StoreOptions } from '../../../../apps/peer/storage/store';

const ALICE = '127.0.0.1:5001';
const BOB = '127.0.0.1:5002';
const CAROL = '127.0.0.1:5003';

function message(id: string, clock: number, fields: Partial<ChatMessage> = {}): ChatMessage {
  const from = fields.from ?? BOB;
  return { id: `${from}/${id}`, channel: 'general', from, name: 'Bob', msg: `message ${id}`, timestamp: 1699680000, clock, ...fields };
}

/** Every page of a conversation, walked as another peer catches up: from the last message's clock and id. */
async function walk(store: MessageStore, conversation: string, page: { limit?: number; maxBytes?: number }): Promise<string[]> {
  const seen: string[] = [];
  let cursor = { since: -1, after: '' };
  for (let pages = 0; pages < 1000; pages++) {
    const { messages, more } = await store.history(conversation, { ...cursor, ...page });
    seen.push(...messages.map((m) => m.id));
    const last = messages.at(-1);
    if (!more || !last) return seen;
    cursor = { since: last.clock, after: last.id };
  }
  throw new Error('the pages never ended');
}

const inOrder = (messages: ChatMessage[]) => [...messages].sort(compareMessages).map((m) => m.id);

describe('Evicted (messages out of memory, served from the file)', () => {
  let dir: string;
  let problems: string[];
  let open: (options?: Partial<StoreOptions>) => Promise<MessageStore>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weaprous-evicted-'));
    problems = [];
    open = (options = {}) => MessageStore.open(dir, { selfId: ALICE, onProblem: (p) => problems.push(p), memoryLimit: 3, ...options });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // Out of clock order (catch-up brings old clocks late), ties at clock 4 from two senders, two conversations mixed.
  const arriving = [
    message('e', 5),
    message('a', 1),
    message('t1', 4, { from: CAROL }),
    message('d1', 2, { channel: `@${ALICE}` }),
    message('t2', 4),
    message('h', 9),
    message('b', 2),
    message('t3', 4, { from: CAROL }),
    message('d2', 7, { channel: `@${ALICE}` }),
    message('c', 3),
    message('t4', 4),
    message('g', 8),
    message('d3', 8, { channel: `@${ALICE}` }),
    message('f', 6),
  ];
  const general = arriving.filter((m) => m.channel === 'general');

  it('gives evicted messages back in pages, in Lamport order, the cursor crossing between file and memory', async () => {
    const store = await open();
    for (const m of arriving) await store.add(m);
    expect(store.size).to.equal(6); // three per conversation in memory
    for (const limit of [1, 2, 3, 5, 100]) expect(await walk(store, 'general', { limit })).to.deep.equal(inOrder(general));
    expect(await walk(store, `@${BOB}`, { limit: 1 })).to.deep.equal(['d1', 'd2', 'd3'].map((id) => `${BOB}/${id}`));
    expect((await store.history('general', { since: 4, limit: 2 })).messages.map((m) => m.clock)).to.deep.equal([5, 6]);
    await store.close();
  });

  it('finds each line of a group written together (group commit) at its own place', async () => {
    const store = await open();
    await Promise.all(arriving.map((m) => store.add(m)));
    expect(await walk(store, 'general', { limit: 1 })).to.deep.equal(inOrder(general));
    await store.close();
  });

  it('cuts a page by bytes across the file and memory too (one message a page at least)', async () => {
    const store = await open();
    for (const m of arriving) await store.add(m);
    expect(await walk(store, 'general', { maxBytes: 1 })).to.deep.equal(inOrder(general));
    await store.close();
  });

  it('gives them back after a restart, read from the places the scan found', async () => {
    const first = await open();
    for (const m of arriving) await first.add(m);
    await first.close();
    const store = await open();
    expect(store.size).to.equal(6);
    expect(await walk(store, 'general', { limit: 2 })).to.deep.equal(inOrder(general));
    await store.close();
  });

  it('skips a bad line and a torn one in the middle of the file; the lines after them are found where they are', async () => {
    const lines = general.map((m) => JSON.stringify(m));
    lines.splice(3, 0, '{"id":"torn", "chan');
    lines.splice(6, 0, '{"not":"a message"}');
    writeFileSync(join(dir, HISTORY_FILE), `${lines.join('\n')}\n`);
    const store = await open();
    expect(problems).to.deep.equal([`${HISTORY_FILE}: 2 lines (4, 7) are not messages; skipped, and left in the file`]);
    expect(await walk(store, 'general', { limit: 2 })).to.deep.equal(inOrder(general));
    await store.close();
  });

  it('knows an evicted id: a resend is a duplicate, stored and served once', async () => {
    const store = await open();
    for (const m of arriving) await store.add(m);
    expect(await store.add(message('a', 1))).to.equal('duplicate');
    expect(readFileSync(join(dir, HISTORY_FILE), 'utf8').trim().split('\n')).to.have.length(arriving.length);
    await store.close();
  });

  it('past evictedLimit, the first in Lamport order leaves the index (it stays in the file)', async () => {
    const store = await open({ evictedLimit: 2 });
    for (const m of general) await store.add(m);
    // In memory the last three to arrive (t4, g, f); of the eight evicted, the index keeps the last two in order (e, h).
    expect(await walk(store, 'general', { limit: 2 })).to.deep.equal(['t4', 'e', 'f', 'g', 'h'].map((id) => `${BOB}/${id}`));
    expect(store.has(`${BOB}/a`)).to.equal(false);
    await store.close();
  });

  it('skips a line changed under it rather than serve another message', async () => {
    const store = await open();
    for (const m of general) await store.add(m);
    const text = readFileSync(join(dir, HISTORY_FILE), 'utf8');
    writeFileSync(join(dir, HISTORY_FILE), text.replace(`"${BOB}/e"`, `"${BOB}/x"`));
    expect(await walk(store, 'general', { limit: 3 })).to.deep.equal(inOrder(general).filter((id) => id !== `${BOB}/e`));
    await store.close();
  });
});
