/**
 * One conversation's messages in memory in the order they arrived at this peer, with their lines' places in
 * `history.jsonl` and their numbers in the conversation (the first stored is 0). The store drops the first to
 * arrive when memory is full; catch-up asks "what arrived from number P on", whatever the messages' clocks: a
 * count within one conversation, so a page says nothing of the others (docs/history.md). New.
 */

import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { ChatMessage } from '../model/message';
import type { LinePlace } from './journal';

/** A line's place, and the message's number in its conversation (its arrival). */
export interface ArrivalPlace extends LinePlace {
  arrival: number;
}

export class Arrivals {
  readonly messages: ChatMessage[] = [];
  readonly places: ArrivalPlace[] = [];
  /** Messages this conversation has stored in this file, gone from memory or not: the next one's number. */
  stored = 0;
  /** About the bytes the messages hold in memory (`memorySize` of store.ts). */
  bytes = 0;

  get length(): number {
    return this.messages.length;
  }

  /** Adds a message that was just written at `place`; it takes the next number, so numbers stay in order. */
  add(message: ChatMessage, place: LinePlace, bytes: number): void {
    this.messages.push(message);
    this.places.push({ ...place, arrival: this.stored });
    this.stored += 1;
    this.bytes += bytes;
  }

  /** The first to arrive leaves, with its line's place. */
  shift(bytes: (message: ChatMessage) => number): { message: ChatMessage; place: ArrivalPlace } {
    const message = this.messages.shift()!;
    const place = this.places.shift()!;
    this.bytes -= bytes(message);
    return { message, place };
  }

  /** The index of the first message numbered `position` or after. */
  firstFrom(position: number): number {
    return firstFrom(this.places, position);
  }
}

/** The index of the first place numbered `position` or after, in a list of places in arrival order. */
export function firstFrom(places: { arrival: number }[], position: number): number {
  let low = 0;
  let high = places.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (places[middle].arrival >= position) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The position to ask from after a message: the next one's number. */
export function positionAfter(place: ArrivalPlace): number {
  return place.arrival + 1;
}

/**
 * Names a history file: a hash of its inode and birth time, so a new file (the old one set aside or deleted) has
 * another name, and the name tells nobody when the file was made.
 */
export async function fileIdOf(path: string): Promise<string> {
  const { ino, birthtimeMs } = await stat(path);
  return createHash('sha256')
    .update(`${ino}-${Math.round(birthtimeMs)}`)
    .digest('base64url')
    .slice(0, 16);
}
