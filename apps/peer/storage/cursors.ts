/**
 * Catch-up cursors (`catch-up.json` in the data folder): per peer and conversation, how far this peer has read
 * that peer's `/history/`: the place in its history file to ask from next (`position`, in the file named
 * `history`), and the highest clock read, for a peer that answers by clock only. docs/history.md, "Catch-up".
 * New; WeApRous `apps/peer.py` kept no history.
 */

import { readJsonFile, writeJsonFile } from './json-file';

export const CURSORS_FILE = 'catch-up.json';
/** Cursors kept at most; the oldest goes first (a forgotten one only means asking that peer from the start). */
export const MAX_CURSORS = 10_000;

/** How far one peer's history of one conversation was read. */
export interface Cursor {
  /** The highest clock read; -1 when never asked. */
  clock: number;
  /** Where to ask from next in that peer's history file, and that file's name; absent when never answered by place. */
  position?: number;
  history?: string;
}

export class CatchUpCursors {
  private readonly cursors = new Map<string, Cursor>();

  /** The cursors saved in `folder` (none without one: `folder` undefined keeps them in memory only). */
  constructor(private readonly folder?: string) {
    const saved = folder === undefined ? undefined : readJsonFile(folder, CURSORS_FILE);
    for (const [key, value] of Object.entries(saved ?? {})) {
      const cursor = readCursor(value);
      if (cursor !== null) this.cursors.set(key, cursor);
    }
  }

  /** How far `peerId`'s history of `conversation` was read (`{ clock: -1 }` when never asked). */
  of(peerId: string, conversation: string): Cursor {
    return { ...(this.cursors.get(`${peerId} ${conversation}`) ?? { clock: -1 }) }; // a copy: it changes by `advance` only
  }

  /**
   * `peerId`'s history of `conversation` has been read up to `read`; saved when it moved. The clock only moves
   * forward; the position is as the peer said last (a lower one in another file: that peer began a new history).
   */
  advance(peerId: string, conversation: string, read: Cursor): void {
    const key = `${peerId} ${conversation}`;
    const before = this.cursors.get(key) ?? { clock: -1 };
    const after: Cursor = { ...before, ...read, clock: Math.max(before.clock, read.clock) };
    if (after.clock === before.clock && after.position === before.position && after.history === before.history) return;
    this.cursors.delete(key); // re-inserted last: the Map's order is the order of use
    this.cursors.set(key, after);
    if (this.cursors.size > MAX_CURSORS) this.cursors.delete(this.cursors.keys().next().value as string);
    if (this.folder !== undefined) writeJsonFile(this.folder, CURSORS_FILE, Object.fromEntries(this.cursors));
  }
}

/** A saved cursor: `{clock, position, history}`, or a bare clock (as this file held before positions). */
function readCursor(value: unknown): Cursor | null {
  if (Number.isSafeInteger(value)) return { clock: value as number };
  if (typeof value !== 'object' || value === null) return null;
  const { clock, position, history } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(clock)) return null;
  if (!Number.isSafeInteger(position) || typeof history !== 'string') return { clock: clock as number };
  return { clock: clock as number, position: position as number, history };
}
