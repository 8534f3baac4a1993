/**
 * Catch-up cursors (`catch-up.json` in the data folder): per peer and conversation, the highest clock this peer
 * has read from that peer's `/history/`. The next catch-up asks that peer from there (less a margin), not from
 * this peer's own clock: a peer whose clock lags far behind is still asked for all it wrote. docs/history.md,
 * "Catch-up". New; WeApRous `apps/peer.py` kept no history.
 */

import { readJsonFile, writeJsonFile } from './json-file';

export const CURSORS_FILE = 'catch-up.json';
/** Cursors kept at most; the oldest goes first (a forgotten one only means asking that peer from the start). */
export const MAX_CURSORS = 10_000;

export class CatchUpCursors {
  private readonly cursors = new Map<string, number>();

  /** The cursors saved in `folder` (none without one: `folder` undefined keeps them in memory only). */
  constructor(private readonly folder?: string) {
    const saved = folder === undefined ? undefined : readJsonFile(folder, CURSORS_FILE);
    for (const [key, clock] of Object.entries(saved ?? {})) if (Number.isSafeInteger(clock)) this.cursors.set(key, clock as number);
  }

  /** The highest clock read from `peerId`'s history of `conversation`; -1 when never asked. */
  of(peerId: string, conversation: string): number {
    return this.cursors.get(`${peerId} ${conversation}`) ?? -1;
  }

  /** `peerId`'s history of `conversation` has been read up to `clock`; saved when it moved on. */
  advance(peerId: string, conversation: string, clock: number): void {
    const key = `${peerId} ${conversation}`;
    if (clock <= (this.cursors.get(key) ?? -1)) return;
    this.cursors.delete(key); // re-inserted last: the Map's order is the order of use
    this.cursors.set(key, clock);
    if (this.cursors.size > MAX_CURSORS) this.cursors.delete(this.cursors.keys().next().value as string);
    if (this.folder !== undefined) writeJsonFile(this.folder, CURSORS_FILE, Object.fromEntries(this.cursors));
  }
}
