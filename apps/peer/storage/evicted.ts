/**
 * The messages a conversation no longer holds in memory, still served from `history.jsonl`: per conversation, an
 * index in Lamport order of where each one's line is, and `read`, which fetches a page's lines by positional reads.
 * Not the store (`store.ts` decides what leaves memory and merges the index with memory). New; docs/history.md.
 */

import { type FileHandle, open } from 'node:fs/promises';
import { type ChatMessage, type OrderKey, insertInOrder, readStoredMessage } from '../model/message';
import { type ArrivalPlace, firstFrom } from './arrivals';

/** A message kept on disk only: its order (the strings it had in memory, shared), its line's place, its number. */
export interface OnDisk extends OrderKey, ArrivalPlace {}

/** A message of a page: in memory, or still to be read from the file. */
export type Held = ChatMessage | OnDisk;

export class Evicted {
  private readonly lists = new Map<string, OnDisk[]>();
  /** The same entries in the order they arrived (by their numbers), for `fromPosition`. */
  private readonly arrived = new Map<string, OnDisk[]>();
  private reader: FileHandle | undefined;

  /** `limit`: entries kept per conversation; past it the first in Lamport order leaves (docs/history.md). */
  constructor(private readonly limit: number) {}

  /** Opens `path` for reading (once it exists): pages read evicted lines from it. */
  async open(path: string): Promise<void> {
    this.reader = await open(path, 'r');
  }

  /** Indexes a message leaving memory; returns the entry this pushed out of the index, if any. */
  add(conversation: string, message: ChatMessage, place: ArrivalPlace): OnDisk | undefined {
    const list = this.lists.get(conversation) ?? [];
    this.lists.set(conversation, list);
    const { offset, length, arrival } = place;
    const entry = { clock: message.clock, from: message.from, id: message.id, offset, length, arrival };
    insertInOrder(list, entry);
    const arrived = this.arrived.get(conversation) ?? [];
    this.arrived.set(conversation, arrived);
    arrived.splice(firstFrom(arrived, entry.arrival), 0, entry); // messages leave memory in the order they came: a push
    if (list.length <= this.limit) return undefined;
    const dropped = list.shift()!;
    arrived.splice(firstFrom(arrived, dropped.arrival), 1);
    return dropped;
  }

  /** Up to `count` of the conversation's evicted messages numbered `position` or after, in arrival order. */
  fromPosition(conversation: string, position: number, count: number): OnDisk[] {
    const arrived = this.arrived.get(conversation) ?? [];
    const first = firstFrom(arrived, position);
    return arrived.slice(first, first + count);
  }

  /** The conversation's evicted messages in Lamport order (empty when none). */
  list(conversation: string): OnDisk[] {
    return this.lists.get(conversation) ?? [];
  }

  /** A page's messages, those on disk read from their lines; a line that is no longer that message is skipped. */
  async read(page: Held[]): Promise<ChatMessage[]> {
    const read = await Promise.all(page.map((held) => (isOnDisk(held) ? this.readLine(held) : held)));
    return read.filter((message): message is ChatMessage => message !== undefined);
  }

  close(): Promise<void> {
    return this.reader?.close() ?? Promise.resolve();
  }

  private async readLine(entry: OnDisk): Promise<ChatMessage | undefined> {
    if (!this.reader) return undefined;
    const bytes = Buffer.alloc(entry.length);
    const { bytesRead } = await this.reader.read(bytes, 0, entry.length, entry.offset);
    let value: unknown;
    try {
      value = JSON.parse(bytes.subarray(0, bytesRead).toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const message = readStoredMessage(value as Record<string, unknown>);
    return message.ok && message.value.id === entry.id && message.value.clock === entry.clock ? message.value : undefined;
  }
}

export function isOnDisk(held: Held): held is OnDisk {
  return 'offset' in held;
}
