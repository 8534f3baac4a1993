/**
 * A journal on disk: a JSON Lines file that is only appended to, read back after a crash. `scanJournal` reads
 * one (cutting a torn last line, keeping every other); `AppendOnlyFile` appends to it in order, lines that
 * come together in one write, and can replace it atomically. The history (`store.ts`) and each outbox
 * (`outbox.ts`) are journals. No sockets. New; WeApRous `apps/peer.py` kept nothing on disk.
 */

import { writeSync } from 'node:fs';
import { type FileHandle, open, rename } from 'node:fs/promises';

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

/** Where a line is in its file: its first byte and its length, newline excluded. */
export interface LinePlace {
  offset: number;
  length: number;
}

/**
 * Reads a JSON Lines file a chunk at a time, giving each parsed line and its place to `accept` (false = not a record).
 * A crash while appending tears the last line: it is then not JSON (a prefix of a line), with or without its
 * newline. So the last non-blank line is `torn` when it is not JSON, or not a record and missing its newline;
 * every other line that is not a record is `bad` and stays in the file, the last one too when it is whole JSON
 * with its newline (a line another version wrote is not thrown away). A record missing only its newline is
 * noted. Changes nothing on disk.
 */
export async function scanJournal(path: string, accept: (value: unknown, place: LinePlace) => boolean): Promise<JournalScan> {
  const file = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const tally = new Tally(accept);
  if (!file) return tally.scan;
  try {
    for await (const line of readLines(file)) tally.take(line);
  } finally {
    await file.close();
  }
  return tally.scan;
}

/** One line of a file: where it starts, its bytes (undefined when too long to be a record), and whether a newline ended it. */
interface Line {
  bytes: Buffer | undefined;
  start: number;
  ended: boolean;
  /** For the last part (`ended` false): the file's size. */
  size?: number;
}

/** The lines of a file, a chunk at a time; the last one is the part after the last newline (maybe empty). */
async function* readLines(file: FileHandle): AsyncGenerator<Line> {
  let rest = Buffer.alloc(0);
  let offset = 0; // of `rest` in the file
  let overlong: number | undefined; // where a line too long to be a record starts; skipped to its newline
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    rest = Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
    let start = 0;
    for (let end = rest.indexOf(10); end !== -1; end = rest.indexOf(10, start)) {
      yield { bytes: overlong === undefined ? rest.subarray(start, end) : undefined, start: overlong ?? offset + start, ended: true };
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
  yield { bytes: overlong === undefined ? rest : undefined, start: overlong ?? offset, ended: false, size: offset + rest.length };
}

/** Counts the lines of a journal as they come, and decides at the end whether the last one is torn. */
class Tally {
  readonly scan: JournalScan = { size: 0, accepted: 0, bad: 0, badLines: [], torn: 0, unterminated: false };
  private line = 0;
  /** The last non-blank line when it is not JSON: torn if nothing but blanks follows it, else bad. */
  private lastGarbage: { line: number; start: number } | undefined;

  constructor(private readonly accept: (value: unknown, place: LinePlace) => boolean) {}

  take(line: Line): void {
    if (line.ended) return this.takeLine(line.bytes, line.start);
    this.takeTail(line.bytes, line.start);
    this.scan.size = line.size!;
    if (this.lastGarbage) this.scan.torn = this.scan.size - this.lastGarbage.start;
    this.scan.size -= this.scan.torn;
  }

  /** One line ended by a newline (`bytes` undefined: too long to be a record). */
  private takeLine(bytes: Buffer | undefined, start: number): void {
    this.line += 1;
    const text = bytes?.toString('utf8').trim();
    if (text === '') return;
    this.settleGarbage();
    const kind = text === undefined ? 'garbage' : classify(text, (value) => this.accept(value, { offset: start, length: bytes!.length }));
    if (kind === 'record') this.scan.accepted += 1;
    else if (kind === 'garbage') this.lastGarbage = { line: this.line, start };
    else this.bad(this.line);
  }

  /** The part after the last newline: nothing, a record missing its newline, or a torn line. */
  private takeTail(bytes: Buffer | undefined, start: number): void {
    const tail = bytes?.toString('utf8').trim();
    if (tail === '') return;
    this.settleGarbage();
    if (tail !== undefined && classify(tail, (value) => this.accept(value, { offset: start, length: bytes!.length })) === 'record') {
      this.scan.accepted += 1;
      this.scan.unterminated = true;
    } else this.lastGarbage = { line: this.line + 1, start };
  }

  /** A line follows the last garbage: that one was not the torn last line, so it is bad. */
  private settleGarbage(): void {
    if (this.lastGarbage) this.bad(this.lastGarbage.line);
    this.lastGarbage = undefined;
  }

  private bad(number: number): void {
    if (++this.scan.bad <= 5) this.scan.badLines.push(number);
  }
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
  private group: { texts: string[]; bytes: number; written: Promise<number> } | null = null;

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
   * Resolves with the offset in the file where `text` starts (the history's index of evicted lines keeps it).
   */
  append(text: string): Promise<number> {
    if (!this.group) {
      const group: { texts: string[]; bytes: number; written: Promise<number> } = { texts: [], bytes: 0, written: Promise.resolve(0) };
      group.written = this.serially(async () => {
        // The lines of every request read in this turn of the event loop go out together (setImmediate runs after them).
        await new Promise((turn) => setImmediate(turn));
        if (this.group === group) this.group = null; // from now on, lines go to the next group
        return this.writeGroup(Buffer.from(group.texts.join('')));
      });
      this.group = group;
    }
    const before = this.group.bytes;
    this.group.texts.push(text);
    this.group.bytes += Buffer.byteLength(text);
    return this.group.written.then((start) => start + before);
  }

  /**
   * One group's bytes at the end of the file; resolves with where they start. Written synchronously: a few KB
   * into the page cache take microseconds, where fs/promises hands each write to a worker thread and back, which
   * cost the chat more CPU per message than anything else it did with it (docs/benchmarks.md, "Where a message goes").
   */
  private async writeGroup(bytes: Buffer): Promise<number> {
    const start = this.size;
    try {
      for (let done = 0; done < bytes.length;) done += writeSync(this.handle.fd, bytes, done, bytes.length - done);
      if (this.durable) await this.handle.datasync();
      this.size += bytes.length;
    } catch (error) {
      await this.handle.truncate(this.size).catch(() => {});
      throw error;
    }
    return start;
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
