/**
 * MessageStore: one peer's history on disk (issue 7, item 6), an append-only JSON Lines file that survives
 * `kill -9`, read back in Lamport order per channel and per direct conversation. Also the two file tools the
 * outbox shares: `scanJournal` (read, cutting a torn last line) and `AppendOnlyFile` (append, in order).
 * New; WeApRous `apps/peer.py` kept its `messages` list in memory only. No sockets; docs/history.md.
 */

import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChatMessage, conversationOf, MAX_CLOCK_STEP, firstAfter, insertInOrder, readStoredMessage, removeInOrder } from './message';

/** What reading a journal found: where its good part ends, and the lines it could not use. */
export interface JournalScan {
  /** Bytes worth keeping: the file's size, or where a torn last line starts. */
  size: number;
  accepted: number;
  /** How many lines were not records, torn last line excluded, and the numbers (from 1) of the first five. */
  bad: number;
  badLines: number[];
  /** Bytes of the last line that was cut short or unreadable, 0 when there was none. */
  torn: number;
  /** The part kept ends with a record but no newline: write one before appending. */
  unterminated: boolean;
}

// Far above the longest message line (10,000 characters, each at most 6 bytes escaped, and the other fields).
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Reads a JSON Lines file a chunk at a time, giving each parsed line to `accept` (false = not a record).
 * A crash while appending tears the last line: it is then not JSON (a prefix of a line), with or without its
 * newline. So the last non-blank line is `torn` when it is not JSON, or not a record and missing its newline;
 * every other line that is not a record is `bad` and stays in the file, the last one too when it is whole JSON
 * with its newline (a line another version wrote is not thrown away). A record missing only its newline is
 * noted. Changes nothing on disk.
 */
export async function scanJournal(path: string, accept: (value: unknown) => boolean): Promise<JournalScan> {
  const scan: JournalScan = { size: 0, accepted: 0, bad: 0, badLines: [], torn: 0, unterminated: false };
  const file = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!file) return scan;
  let rest = Buffer.alloc(0);
  let offset = 0; // of `rest` in the file
  let overlong: number | undefined; // where a line too long to be a record starts; skipped to its newline
  let line = 0;
  // The last non-blank line when it is not JSON: torn if nothing but blanks follows it, else bad.
  let lastGarbage: { line: number; start: number } | undefined;
  const bad = (number: number) => {
    if (++scan.bad <= 5) scan.badLines.push(number);
  };
  /** One line ended by a newline (`bytes` undefined: too long to be a record). */
  const take = (bytes: Buffer | undefined, start: number) => {
    line += 1;
    const text = bytes?.toString('utf8').trim();
    if (text === '') return;
    if (lastGarbage) bad(lastGarbage.line);
    lastGarbage = undefined;
    const kind = text === undefined ? 'garbage' : classify(text, accept);
    if (kind === 'record') scan.accepted += 1;
    else if (kind === 'garbage') lastGarbage = { line, start };
    else bad(line);
  };
  try {
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      rest = Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
      let start = 0;
      for (let end = rest.indexOf(10); end !== -1; end = rest.indexOf(10, start)) {
        take(overlong === undefined ? rest.subarray(start, end) : undefined, overlong ?? offset + start);
        overlong = undefined;
        start = end + 1;
      }
      rest = rest.subarray(start);
      offset += start;
      // A garbage file may have no newline at all: never hold more than one line's worth of it.
      if (rest.length > MAX_LINE_BYTES) {
        overlong ??= offset;
        offset += rest.length;
        rest = Buffer.alloc(0);
      }
    }
  } finally {
    await file.close();
  }
  scan.size = offset + rest.length;
  // The part after the last newline: nothing, a record missing its newline, or a torn line.
  const tail = overlong === undefined ? rest.toString('utf8').trim() : undefined;
  if (tail === undefined || tail !== '') {
    if (lastGarbage) bad(lastGarbage.line);
    lastGarbage = undefined;
    if (tail !== undefined && classify(tail, accept) === 'record') {
      scan.accepted += 1;
      scan.unterminated = true;
    } else lastGarbage = { line: line + 1, start: overlong ?? offset };
  }
  if (lastGarbage) scan.torn = scan.size - lastGarbage.start;
  scan.size -= scan.torn;
  return scan;
}

/** A line of a journal: a record, JSON that is not one (kept in the file), or not JSON at all. */
function classify(text: string, accept: (value: unknown) => boolean): 'record' | 'other' | 'garbage' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'garbage';
  }
  return accept(value) ? 'record' : 'other';
}

/**
 * Lines appended one after another, each promise settling once its line is written. A written line is in
 * the OS page cache, which outlives the process (`kill -9`); `durable` also waits for the disk (fsync), which
 * only a power cut or a kernel crash needs. A failed append is cut back off, so no half line stays behind.
 */
export class AppendOnlyFile {
  private queue: Promise<unknown> = Promise.resolve();
  /** Lines waiting for the write in progress to end; they then go out together, in one write (group commit). */
  private group: { texts: string[]; written: Promise<void> } | null = null;

  private constructor(
    private readonly path: string,
    private handle: FileHandle,
    private size: number,
    private readonly durable: boolean,
  ) {}

  /** Opens `path` for appending after cutting it to `size` (what `scanJournal` kept). */
  static async open(path: string, size: number, durable = false): Promise<AppendOnlyFile> {
    const handle = await open(path, 'a');
    const { size: actual } = await handle.stat();
    if (actual > size) await handle.truncate(size);
    return new AppendOnlyFile(path, handle, size, durable);
  }

  /** Bytes in the file, the lines being written included once they are. */
  get bytes(): number {
    return this.size;
  }

  /**
   * Appends `text`; resolves once it is written. Lines appended while a write is in progress wait for it and
   * then go out together in one write, in the order they came (a burst of 100 messages costs a few writes,
   * not 100). A failed write is cut back off and fails every line of its group: none of them was stored.
   */
  append(text: string): Promise<void> {
    if (!this.group) {
      const group: { texts: string[]; written: Promise<void> } = { texts: [], written: Promise.resolve() };
      group.written = this.serially(async () => {
        if (this.group === group) this.group = null; // from now on, lines go to the next group
        const bytes = Buffer.from(group.texts.join(''));
        try {
          await this.handle.appendFile(bytes);
          if (this.durable) await this.handle.datasync();
          this.size += bytes.length;
        } catch (error) {
          await this.handle.truncate(this.size).catch(() => {});
          throw error;
        }
      });
      this.group = group;
    }
    this.group.texts.push(text);
    return this.group.written;
  }

  /** Replaces the whole file atomically: written to `<path>.tmp`, synced, then renamed over it. */
  replace(text: string): Promise<void> {
    return this.serially(async () => {
      const temporary = `${this.path}.tmp`;
      const next = await open(temporary, 'w');
      try {
        await next.writeFile(text);
        await next.sync();
      } finally {
        await next.close();
      }
      await rename(temporary, this.path);
      await this.handle.close();
      this.handle = await open(this.path, 'a');
      this.size = Buffer.byteLength(text);
    });
  }

  close(): Promise<void> {
    return this.serially(() => this.handle.close());
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const done = this.queue.then(step);
    this.queue = done.catch(() => {});
    return done;
  }
}

export interface StoreOptions {
  /** This peer's id, to file direct messages under the other peer. */
  selfId: string;
  /** Hears each problem found in the file, one line each. */
  onProblem?: (line: string) => void;
  /** fsync each line (survives a power cut, not only a crash); off by default. */
  durable?: boolean;
  /** Messages kept in memory, the latest to arrive; older ones stay on disk only. */
  memoryLimit?: number;
  /** Bytes of messages kept in memory (about: two per character), by the same rule. */
  memoryBytesLimit?: number;
  /** The history file's largest size: a message that would pass it is refused (`HistoryFull`). */
  fileLimit?: number;
  /** Names the set-aside copy of a garbage file; ms since 1970. */
  now?: number;
}

export const HISTORY_FILE = 'history.jsonl';
export const MEMORY_LIMIT = 100_000;
/** 64 MiB of messages in memory: 100,000 messages of 300 characters, or 3,000 of the longest. */
export const MEMORY_BYTES_LIMIT = 64 * 1024 * 1024;
/** 256 MiB on disk: a million ordinary messages; what a flood of strangers' messages can take, and no more. */
export const FILE_LIMIT = 256 * 1024 * 1024;

/** The history file is full: nothing more is stored, so nothing more is acknowledged (senders keep it queued). */
export class HistoryFull extends Error {}

/** A page of history: messages in Lamport order, and whether more follow (ask again from the last clock). */
export interface HistoryPage {
  messages: ChatMessage[];
  more: boolean;
}

export class MessageStore {
  private readonly ids = new Set<string>();
  private readonly arrival: ChatMessage[] = [];
  private readonly byConversation = new Map<string, ChatMessage[]>();
  private readonly writing = new Map<string, Promise<unknown>>();
  private file!: AppendOnlyFile;
  private highest = 0;
  private memoryBytes = 0;
  /** Bytes of lines being written now, so two at once cannot both pass the file's limit. */
  private reserved = 0;

  private constructor(private readonly options: StoreOptions) {}

  /** Opens (or creates) `<dir>/history.jsonl` and loads it; problems go to `onProblem`, one line each. */
  static async open(dir: string, options: StoreOptions): Promise<MessageStore> {
    const store = new MessageStore(options);
    await mkdir(dir, { recursive: true });
    const path = join(dir, HISTORY_FILE);
    const report = options.onProblem ?? (() => {});
    const scan = await scanJournal(path, (value) => store.load(value));
    if (scan.accepted === 0 && (scan.bad > 0 || scan.torn > 0)) {
      const aside = `${path}.corrupt-${new Date(options.now ?? Date.now()).toISOString().replace(/[:.]/g, '-')}`;
      await rename(path, aside);
      report(`${HISTORY_FILE}: not one line is a message; set the file aside as ${aside} and started a new history`);
      scan.size = 0;
    } else {
      if (scan.bad > 0) report(`${HISTORY_FILE}: ${describeBad(scan)}; skipped, and left in the file`);
      if (scan.torn > 0) report(`${HISTORY_FILE}: cut off a torn last line (${scan.torn} bytes); the ${scan.accepted} before it are kept`);
    }
    store.file = await AppendOnlyFile.open(path, scan.size, options.durable);
    if (scan.unterminated) await store.file.append('\n');
    return store;
  }

  /** Stores a message unless its id is known; resolves once its line is written (answer 2xx only then). */
  async add(message: ChatMessage): Promise<'added' | 'duplicate'> {
    const earlier = this.writing.get(message.id);
    if (earlier) {
      await earlier.catch(() => {});
      return this.add(message);
    }
    if (this.ids.has(message.id)) return 'duplicate';
    const line = `${JSON.stringify(message)}\n`;
    const bytes = Buffer.byteLength(line);
    const limit = this.options.fileLimit ?? FILE_LIMIT;
    if (this.file.bytes + this.reserved + bytes > limit) {
      throw new HistoryFull(
        `This peer's ${HISTORY_FILE} is full (${Math.round(limit / 1024 / 1024)} MB), so it stores no more messages; its owner can stop it, move the file away and start it again`,
      );
    }
    const written = this.file.append(line);
    this.writing.set(message.id, written);
    this.reserved += bytes;
    try {
      await written;
    } finally {
      this.writing.delete(message.id);
      this.reserved -= bytes;
    }
    this.keep(message);
    return 'added';
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * A channel (`general`) or a conversation (`@127.0.0.1:5002`) from just after the message `(since, after)`
   * (`firstAfter`), at most `limit` messages and about `maxBytes` of JSON (one message at least).
   * Without `after`, a page does not end inside a run of equal clocks, so an asker that goes on from the last
   * clock alone loses none, unless the run is over `maxBytes` (any sender picks its clock; a run can be long).
   */
  history(conversation: string, options: { since?: number; after?: string; limit?: number; maxBytes?: number } = {}): HistoryPage {
    const { since = -1, after = '', limit = 100, maxBytes = PAGE_BYTES } = options;
    const all = this.byConversation.get(conversation) ?? [];
    const first = firstAfter(all, since, after);
    let end = first;
    let bytes = 0;
    const room = (i: number) => end === first || bytes + jsonBytes(all[i]) <= maxBytes;
    while (end < all.length && end - first < Math.max(1, limit) && room(end)) bytes += jsonBytes(all[end++]);
    if (after === '') while (end < all.length && all[end].clock === all[end - 1].clock && room(end)) bytes += jsonBytes(all[end++]);
    return { messages: all.slice(first, end), more: end < all.length };
  }

  /** The channels and conversations held, in no particular order. */
  conversations(): string[] {
    return [...this.byConversation.keys()];
  }

  /** The highest clock held: a restarted peer's Lamport clock starts here. */
  get maxClock(): number {
    return this.highest;
  }

  /** Messages held in memory (all of them, up to `memoryLimit`). */
  get size(): number {
    return this.arrival.length;
  }

  close(): Promise<void> {
    return this.file.close();
  }

  /** One line of the file at open: a message (a repeated id is skipped), or false. */
  private load(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const read = readStoredMessage(value as Record<string, unknown>);
    if (read.ok && !this.ids.has(read.value.id)) this.keep(read.value);
    return read.ok;
  }

  private keep(message: ChatMessage): void {
    const key = conversationOf(message, this.options.selfId);
    const list = this.byConversation.get(key) ?? [];
    this.byConversation.set(key, list);
    insertInOrder(list, message);
    this.ids.add(message.id);
    this.arrival.push(message);
    this.memoryBytes += memorySize(message);
    // As `LamportClock.witness` moves: a stranger's clock far ahead moves a restarted peer's clock only so far.
    const step = message.from === this.options.selfId ? message.clock : Math.min(message.clock, this.highest + MAX_CLOCK_STEP);
    this.highest = Math.max(this.highest, step);
    const count = this.options.memoryLimit ?? MEMORY_LIMIT;
    const bytes = this.options.memoryBytesLimit ?? MEMORY_BYTES_LIMIT;
    while (this.arrival.length > 1 && (this.arrival.length > count || this.memoryBytes > bytes)) this.forget(this.arrival.shift()!);
  }

  private forget(message: ChatMessage): void {
    const key = conversationOf(message, this.options.selfId);
    const list = this.byConversation.get(key)!;
    removeInOrder(list, message);
    if (list.length === 0) this.byConversation.delete(key);
    this.ids.delete(message.id);
    this.memoryBytes -= memorySize(message);
  }
}

/** About 1 MiB of messages in a history page: another peer takes up to 4 MiB (`MAX_PAGE_BYTES` of mesh.ts). */
export const PAGE_BYTES = 1024 * 1024;

/** A message's size as JSON in a page (UTF-16 length: close enough, and cheap). */
function jsonBytes(message: ChatMessage): number {
  return JSON.stringify(message).length;
}

/** About the bytes a message holds in memory: two per character of its strings, and the object around them. */
function memorySize(message: ChatMessage): number {
  const { id, channel, from, name, msg, signature } = message;
  return 2 * (id.length + channel.length + from.length + name.length + msg.length + (signature?.length ?? 0)) + 200;
}

/** `line 4 is not a message` / `3 lines (4, 9, 12) are not messages`, at most five numbers. */
function describeBad({ bad, badLines }: JournalScan): string {
  if (bad === 1) return `line ${badLines[0]} is not a message`;
  return `${bad} lines (${badLines.join(', ')}${bad > badLines.length ? ', ...' : ''}) are not messages`;
}
