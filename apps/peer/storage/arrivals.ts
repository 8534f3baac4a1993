/**
 * One conversation's messages in memory in the order they arrived at this peer, with their lines' places in
 * `history.jsonl`. The store drops the first to arrive when memory is full; catch-up asks "what arrived after
 * position P" (a byte offset in the file, which only grows), whatever the messages' clocks. New; docs/history.md.
 */

import { stat } from 'node:fs/promises';
import type { ChatMessage } from '../model/message';
import type { LinePlace } from './journal';

export class Arrivals {
  readonly messages: ChatMessage[] = [];
  readonly places: LinePlace[] = [];
  /** About the bytes the messages hold in memory (`memorySize` of store.ts). */
  bytes = 0;

  get length(): number {
    return this.messages.length;
  }

  /**
   * Adds a message that was just written at `place`. Lines are kept in the order they were written (a group
   * of lines resolves in order, `AppendOnlyFile.append`), so this is a push; a line kept late still goes in
   * its place, so positions stay in order.
   */
  add(message: ChatMessage, place: LinePlace, bytes: number): void {
    let at = this.places.length;
    while (at > 0 && this.places[at - 1].offset > place.offset) at -= 1;
    this.messages.splice(at, 0, message);
    this.places.splice(at, 0, place);
    this.bytes += bytes;
  }

  /** The first to arrive leaves, with its line's place. */
  shift(bytes: (message: ChatMessage) => number): { message: ChatMessage; place: LinePlace } {
    const message = this.messages.shift()!;
    const place = this.places.shift()!;
    this.bytes -= bytes(message);
    return { message, place };
  }

  /** The index of the first message whose line starts at `position` or after. */
  firstFrom(position: number): number {
    return firstFrom(this.places, position);
  }
}

/** The index of the first place at `position` or after, in a list of places in file order. */
export function firstFrom(places: LinePlace[], position: number): number {
  let low = 0;
  let high = places.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (places[middle].offset >= position) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The position just after a line: where the next one starts (the newline is one byte). */
export function positionAfter(place: LinePlace): number {
  return place.offset + place.length + 1;
}

/** Names a history file by its inode and birth time: a new file (the old one set aside or deleted) has another name. */
export async function fileIdOf(path: string): Promise<string> {
  const { ino, birthtimeMs } = await stat(path);
  return `${ino}-${Math.round(birthtimeMs)}`;
}
