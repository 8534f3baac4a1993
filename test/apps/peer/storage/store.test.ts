/**
 * MessageStore: the history file that survives a crash, read back in Lamport order, and what it does with a
 * torn last line, an empty file and a file of garbage. Tests for `apps/peer/storage/store.ts` (new).
 */

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ChatMessage, LamportClock, readMessage, receive } from '../../../../apps/peer/model/message';
import { HISTORY_FILE, HistoryFull, MessageStore, PAGE_BYTES, type StoreOptions } from '../../../../apps/peer/storage/store';
import { scanJournal } from '../../../../apps/peer/storage/journal';

const ALICE = '127.0.0.1:5001';
const BOB = '127.0.0.1:5002';

function message(id: string, clock: number, fields: Partial<ChatMessage> = {}): ChatMessage {
  return { id, channel: 'general', from: BOB, name: 'Bob', msg: `message ${id}`, timestamp: 1699680000 + clock, clock, ...fields };
}

const line = (m: ChatMessage) => `${JSON.stringify(m)}\n`;
const ids = (messages: ChatMessage[]) => messages.map((m) => m.id);

describe('MessageStore', () => {
  let dir: string;
  let problems: string[];
  let open: (options?: Partial<StoreOptions>) => Promise<MessageStore>;
  const file = () => join(dir, HISTORY_FILE);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weaprous-store-'));
    problems = [];
    open = (options = {}) => MessageStore.open(dir, { selfId: ALICE, onProblem: (p) => problems.push(p), ...options });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('open()', () => {
    it('starts an empty history in a new folder', async () => {
      const store = await MessageStore.open(join(dir, 'data', 'alice-5001'), { selfId: ALICE });
      expect(store.size).to.equal(0);
      expect(existsSync(join(dir, 'data', 'alice-5001', HISTORY_FILE))).to.equal(true);
      await store.close();
    });

    it('takes an empty file as an empty history, saying nothing', async () => {
      writeFileSync(file(), '');
      const store = await open();
      expect([store.size, problems]).to.deep.equal([0, []]);
      await store.close();
    });

    it('cuts a torn last line, says so in one line, and loses nothing before it', async () => {
      const torn = line(message('c', 3)).slice(0, 40);
      writeFileSync(file(), line(message('a', 1)) + line(message('b', 2)) + torn);
      const store = await open();
      expect(problems).to.deep.equal([`${HISTORY_FILE}: cut off a torn last line (40 bytes); the 2 before it are kept`]);
      expect(ids((await store.history('general')).messages)).to.deep.equal(['a', 'b']);
      expect(readFileSync(file(), 'utf8')).to.equal(line(message('a', 1)) + line(message('b', 2)));
      await store.add(message('d', 4));
      await store.close();
      problems = [];
      const again = await open();
      expect([problems, ids((await again.history('general')).messages)]).to.deep.equal([[], ['a', 'b', 'd']]);
      await again.close();
    });

    it('cuts an unreadable last line even when it ends with a newline', async () => {
      writeFileSync(file(), `${line(message('a', 1))}{"id":"b","ch\n`);
      const store = await open();
      expect(problems).to.have.length(1);
      expect(readFileSync(file(), 'utf8')).to.equal(line(message('a', 1)));
      await store.close();
    });

    it('keeps a whole last line of JSON that is not a message (another version wrote it): skipped, left in the file', async () => {
      const newer = `${JSON.stringify({ ...message('b', 2), clock: -1 })}\n`;
      writeFileSync(file(), line(message('a', 1)) + newer);
      const store = await open();
      expect(problems).to.deep.equal([`${HISTORY_FILE}: line 2 is not a message; skipped, and left in the file`]);
      await store.add(message('c', 3));
      expect(readFileSync(file(), 'utf8')).to.equal(line(message('a', 1)) + newer + line(message('c', 3)));
      await store.close();
    });

    it('keeps a whole last message that lacks only its newline, and writes the newline', async () => {
      writeFileSync(file(), JSON.stringify(message('a', 1)));
      const store = await open();
      await store.add(message('b', 2));
      expect([problems, readFileSync(file(), 'utf8')]).to.deep.equal([[], line(message('a', 1)) + line(message('b', 2))]);
      await store.close();
    });

    it('skips bad lines in the middle, says which, and leaves them in the file', async () => {
      const text = `${line(message('a', 1))}not json\n${line(message('b', 2))}{"msg":"no id"}\n${line(message('c', 3))}`;
      writeFileSync(file(), text);
      const store = await open();
      expect(problems).to.deep.equal([`${HISTORY_FILE}: 2 lines (2, 4) are not messages; skipped, and left in the file`]);
      expect(ids((await store.history('general')).messages)).to.deep.equal(['a', 'b', 'c']);
      expect(readFileSync(file(), 'utf8')).to.equal(text);
      await store.close();
    });

    it('names at most five of many bad lines', async () => {
      writeFileSync(file(), `${'junk\n'.repeat(7)}${line(message('a', 1))}`);
      const store = await open();
      expect(problems).to.deep.equal([`${HISTORY_FILE}: 7 lines (1, 2, 3, 4, 5, ...) are not messages; skipped, and left in the file`]);
      expect(store.size).to.equal(1);
      await store.close();
    });

    it('sets a file of garbage aside and starts a new history', async () => {
      writeFileSync(file(), 'PK\x03\x04 this is a zip file\n\x00\x01\x02 more garbage\nno newline at the end');
      const store = await open({ now: Date.UTC(2026, 11, 2, 3, 15) });
      const aside = `${HISTORY_FILE}.corrupt-2026-12-02T03-15-00-000Z`;
      expect(problems).to.deep.equal([
        `${HISTORY_FILE}: not one line is a message; set the file aside as ${join(dir, aside)} and started a new history`,
      ]);
      expect(readdirSync(dir).sort()).to.deep.equal([HISTORY_FILE, aside]);
      expect(readFileSync(join(dir, aside), 'utf8')).to.match(/^PK/);
      await store.add(message('a', 1));
      expect(readFileSync(file(), 'utf8')).to.equal(line(message('a', 1)));
      await store.close();
    });

    it('sets aside a file with no newline in megabytes without holding it all', async () => {
      writeFileSync(file(), 'x'.repeat(3 * 1024 * 1024));
      const store = await open();
      expect(problems[0]).to.match(/not one line is a message/);
      expect(store.size).to.equal(0);
      await store.close();
    });
  });

  describe('group commit', () => {
    it('writes lines added while a write is out together, in the order they were added, and loses none', async () => {
      const store = await open();
      const ids = Array.from({ length: 200 }, (_, n) => `g${n}`);
      const results = await Promise.all(ids.map((id, n) => store.add(message(id, n + 1))));
      expect(results.every((result) => result === 'added')).to.equal(true);
      const lines = readFileSync(file(), 'utf8').trim().split('\n');
      expect(lines.map((text) => (JSON.parse(text) as ChatMessage).id)).to.deep.equal(ids);
      await store.close();
    });
  });

  describe('pages', () => {
    it('cuts a page at about 1 MiB even inside a run of equal clocks, and the (clock, id) cursor walks them all once', async () => {
      const store = await open();
      // 450 long messages, all at clock 0: any sender picks its clock, so a run of equal clocks can be this long.
      const from = '127.0.0.1:6000';
      for (let n = 0; n < 450; n++)
        await store.add(message(`${from}/t-${String(n).padStart(3, '0')}`, 0, { from, msg: 'x'.repeat(10_000) }));
      const first = await store.history('general', { since: -1 });
      expect(first.more).to.equal(true);
      expect(JSON.stringify(first.messages).length).to.be.at.most(PAGE_BYTES + 11_000);
      const seen: string[] = [];
      let cursor = { since: -1, after: '' };
      for (let pages = 0; pages < 100; pages++) {
        const page = await store.history('general', { ...cursor, limit: 100 });
        seen.push(...page.messages.map((m) => m.id));
        const last = page.messages.at(-1)!;
        cursor = { since: last.clock, after: last.id };
        if (!page.more) break;
      }
      expect(seen).to.have.length(450);
      expect(new Set(seen).size).to.equal(450);
      await store.close();
    });
  });

  describe('limits', () => {
    it('refuses a message that would take the file past fileLimit (HistoryFull), and keeps what it has', async () => {
      const store = await open({ fileLimit: 3 * line(message('a', 1)).length + 10 });
      for (const id of ['a', 'b', 'c']) expect(await store.add(message(id, 1))).to.equal('added');
      const refused = await store.add(message('d', 4)).catch((error: unknown) => error);
      expect(refused).to.be.instanceOf(HistoryFull);
      expect([store.size, store.has('d')]).to.deep.equal([3, false]);
      await store.close();
    });

    it('keeps in memory only as many bytes of messages as memoryBytesLimit allows; the file keeps all', async () => {
      const store = await open({ memoryBytesLimit: 30_000 });
      for (let i = 1; i <= 10; i++) await store.add(message(`m${i}`, i, { msg: 'x'.repeat(5_000) }));
      expect(store.size).to.be.within(1, 3);
      expect(store.has('m10')).to.equal(true);
      expect(readFileSync(file(), 'utf8').trim().split('\n')).to.have.length(10);
      await store.close();
    });
  });

  describe('add()', () => {
    it('has the line in the file by the time it resolves, and the history survives a reopen', async () => {
      const store = await open();
      expect(await store.add(message('b', 2))).to.equal('added');
      expect(readFileSync(file(), 'utf8')).to.equal(line(message('b', 2)));
      await store.add(message('a', 1));
      await store.close();
      const again = await open();
      expect(ids((await again.history('general')).messages)).to.deep.equal(['a', 'b']);
      expect(again.maxClock).to.equal(2);
      await again.close();
    });

    it('drops a duplicate by id, also one sent while the first is being written', async () => {
      const store = await open();
      const results = await Promise.all([store.add(message('a', 1)), store.add(message('a', 1))]);
      expect(results).to.deep.equal(['added', 'duplicate']);
      expect(await store.add(message('a', 1, { msg: 'sent again' }))).to.equal('duplicate');
      expect(readFileSync(file(), 'utf8').split('\n')).to.have.length(2);
      expect(store.has('a')).to.equal(true);
      await store.close();
    });

    it('loses no message whose add() had resolved when the process is killed with SIGKILL', async () => {
      // A child process adds messages one after another and prints each id once add() resolved (when the
      // peer would answer 2xx); it is killed mid-stream, and everything it printed must be there.
      const code = `
        const { MessageStore } = require('./apps/peer/storage/store');
        (async () => {
          const store = await MessageStore.open(process.argv[1], { selfId: 'a' });
          for (let i = 1; ; i += 1) {
            const m = { id: 'm' + i, channel: 'general', from: '127.0.0.1:5002', name: 'B', msg: 'x'.repeat(3000), timestamp: 0, clock: i };
            await store.add(m);
            process.stdout.write(m.id + '\\n');
          }
        })();`;
      const root = resolve(__dirname, '../../../..');
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code, dir], { cwd: root });
      let printed = '';
      let errors = '';
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      const exited = new Promise((done) => child.once('exit', done));
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.stdout.on('data', (chunk: Buffer) => {
          printed += chunk.toString();
          if (printed.split('\n').length > 300) done();
        });
      });
      child.kill('SIGKILL');
      await exited;
      const acknowledged = printed.split('\n').filter((id) => /^m\d+$/.test(id));
      expect(acknowledged.length, errors).to.be.at.least(300);
      const store = await open();
      expect(acknowledged.filter((id) => !store.has(id))).to.deep.equal([]);
      expect(store.size).to.be.at.least(acknowledged.length);
      expect(problems.filter((p) => !p.includes('torn'))).to.deep.equal([]);
      await store.close();
    });

    it("drops the document's payload sent twice: it has no id, but the one derived from it is the same", async () => {
      const store = await open();
      const clock = new LamportClock();
      const payload = { from: '127.0.0.1:9001', name: 'TestPeer', msg: 'Hello via curl!', timestamp: 1699680000 };
      const results = [];
      for (let i = 0; i < 2; i += 1) {
        const read = readMessage({ ...payload }, { channel: 'general', now: 1699680001 });
        if (!read.ok) throw new Error(read.reason);
        results.push(await store.add(receive(read.value, clock)));
      }
      expect(results).to.deep.equal(['added', 'duplicate']);
      await store.close();
    });

    it('writes lines in the order add() was called', async () => {
      const store = await open();
      await Promise.all(['a', 'b', 'c', 'd'].map((id, i) => store.add(message(id, 10 - i))));
      const written = readFileSync(file(), 'utf8').trim().split('\n');
      expect(written.map((text) => JSON.parse(text).id)).to.deep.equal(['a', 'b', 'c', 'd']);
      await store.close();
    });
  });

  describe('history()', () => {
    it('gives a channel in Lamport order, ties by sender id, after a clock, a page at a time', async () => {
      const store = await open();
      const arriving = [message('e', 5), message('c', 3, { from: '127.0.0.1:5003' }), message('b', 3), message('a', 1), message('f', 6)];
      for (const m of arriving) await store.add(m);
      expect(ids((await store.history('general')).messages)).to.deep.equal(['a', 'b', 'c', 'e', 'f']);
      expect(await store.history('general', { since: 3 })).to.deep.equal({ messages: [message('e', 5), message('f', 6)], more: false });
      // A page of two ends after the tie at clock 3, not inside it.
      expect(await store.history('general', { limit: 2 })).to.deep.include({ more: true });
      expect(ids((await store.history('general', { limit: 2 })).messages)).to.deep.equal(['a', 'b', 'c']);
      expect(ids((await store.history('general', { since: 3, limit: 1 })).messages)).to.deep.equal(['e']);
      expect(await store.history('random')).to.deep.equal({ messages: [], more: false });
      await store.close();
    });

    it('files direct messages as a conversation with the other peer, both ways', async () => {
      const store = await open();
      await store.add(message('in', 1, { channel: `@${ALICE}` }));
      await store.add(message('out', 2, { from: ALICE, name: 'Alice', channel: `@${BOB}` }));
      await store.add(message('other', 3, { from: ALICE, channel: '@127.0.0.1:5003' }));
      expect(ids((await store.history(`@${BOB}`)).messages)).to.deep.equal(['in', 'out']);
      expect(store.conversations().sort()).to.deep.equal(['@127.0.0.1:5002', '@127.0.0.1:5003']);
      await store.close();
    });

    it('holds only the latest messages in memory; the file keeps them all, and pages still give them', async () => {
      const store = await open({ memoryLimit: 3 });
      for (let clock = 1; clock <= 5; clock += 1) await store.add(message(`m${clock}`, clock));
      expect(ids((await store.history('general')).messages)).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5']);
      expect([store.size, store.maxClock]).to.deep.equal([3, 5]);
      await store.close();
      const scan = await scanJournal(file(), () => true);
      expect(scan.accepted).to.equal(5);
    });
  });
});
