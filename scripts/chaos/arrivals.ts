/**
 * When each message reached each peer's disk, as the chaos run can see it from outside: every 250 ms the new
 * lines of each `history.jsonl` are read and each id's first sighting kept. Catch-up stores without printing a
 * line, so this is the only clock for those arrivals (figures.ts). New.
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatMessage } from '../../apps/peer/model/message';
import { HISTORY_FILE } from '../../apps/peer/storage/store';

export const POLL_MS = 250;

/** One peer's history file read from where the last poll stopped. */
class Tail {
  readonly seen = new Map<string, { at: number; message: ChatMessage }>();
  private offset = 0;
  private partial = '';

  constructor(private readonly file: string) {}

  poll(now: number): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return; // not written yet
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) [this.offset, this.partial] = [0, '']; // rewritten from the start
      if (size === this.offset) return;
      const bytes = Buffer.alloc(size - this.offset);
      readSync(fd, bytes, 0, bytes.length, this.offset);
      this.offset = size;
      const lines = (this.partial + bytes.toString('utf8')).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) this.add(line, now);
    } finally {
      closeSync(fd);
    }
  }

  private add(line: string, now: number): void {
    try {
      const message = JSON.parse(line) as ChatMessage;
      if (typeof message?.id === 'string' && !this.seen.has(message.id)) this.seen.set(message.id, { at: now, message });
    } catch {
      // a torn line, left by a kill -9
    }
  }
}

/** Polls every peer's history every `POLL_MS` from `start` to `stop`. */
export class HistoryPoll {
  readonly tails: Tail[];
  private timer: NodeJS.Timeout | undefined;

  constructor(folders: string[]) {
    this.tails = folders.map((dir) => new Tail(join(dir, HISTORY_FILE)));
  }

  start(): void {
    this.timer = setInterval(() => this.pollAll(), POLL_MS);
  }

  pollAll(): void {
    const now = Date.now();
    for (const tail of this.tails) tail.poll(now);
  }

  stop(): void {
    clearInterval(this.timer);
    this.pollAll();
  }
}
