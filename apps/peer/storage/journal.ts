/**
 * A journal on disk: a JSON Lines file that is only appended to, read back after a crash. `scanJournal` reads
 * one (cutting a torn last line, keeping every other); `AppendOnlyFile` appends to it in order, lines that
 * come together in one write, and can replace it atomically. The history (`store.ts`) and each outbox
 * (`outbox.ts`) are journals. No sockets. New; WeApRous `apps/peer.py` kept nothing on disk.
 */

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
