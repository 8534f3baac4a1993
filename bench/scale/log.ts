/**
 * One simulated peer's history as catch-up by arrival position reads it: per conversation, the messages in the
 * order they arrived, each at the byte offset its line starts at in `history.jsonl` (as `MessageStore.add` writes
 * `JSON.stringify(message) + "\n"`), and pages "arrived after position P" of 100 messages / about 1 MiB at most,
 * the rule of `MessageStore.history`. New: the bench's model of the design, not a port.
 */

import { type ChatMessage, conversationOf } from '../../apps/peer/model/message';
import { PAGE_BYTES } from '../../apps/peer/storage/store';

/** Messages in one `/history/` answer (`HISTORY_PAGE` of routes.ts). */
export const PAGE_MESSAGES = 100;

interface Entry {
  position: number;
  message: ChatMessage;
  /** Its JSON's length in bytes, in the page as on disk. */
  bytes: number;
}

/** A page: the messages, whether more follow, where the next ask starts, and the answer's body in bytes. */
export interface LogPage {
  messages: ChatMessage[];
  more: boolean;
  next: number;
  bodyBytes: number;
}

const sizes = new WeakMap<ChatMessage, number>();

/** A message's JSON size in bytes, worked out once per message object. */
export function jsonBytes(message: ChatMessage): number {
  let size = sizes.get(message);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify(message));
    sizes.set(message, size);
  }
  return size;
}

/**
 * The body `answerHistory` (apps/peer/network/routes.ts) sends when asked by place, `{"status":"ok","channel":..,
 * "count":..,"messages":[..],"more":..,"arrived":..,"history":..}`, in bytes, without building it: the envelope,
 * each message, the commas between.
 */
export function pageBodyBytes(channel: string, messages: ChatMessage[], more: boolean, arrived: number): number {
  const envelope = Buffer.byteLength(
    JSON.stringify({ status: 'ok', channel, count: messages.length, messages: [], more, arrived, history: HISTORY_NAME }),
  );
  const items = messages.reduce((sum, message) => sum + jsonBytes(message), 0);
  return envelope + items + Math.max(0, messages.length - 1);
}

/** A history file's name as `answerHistory` gives it (16 characters of a hash): the length of a real one. */
export const HISTORY_NAME = 'f3Kq9xWb0cT2LmZa';

export class Log {
  private readonly conversations = new Map<string, Entry[]>();
  private readonly ids = new Set<string>();
  /** Per conversation, the authors of what it holds (a digest has one entry each). */
  private readonly authors = new Map<string, Set<string>>();
  /** The file's size: where the next line starts. */
  end = 0;

  constructor(readonly selfId: string) {}

  /** Appends a message unless its id is known; true when it was new. */
  add(message: ChatMessage): boolean {
    if (this.ids.has(message.id)) return false;
    this.ids.add(message.id);
    const key = conversationOf(message, this.selfId);
    const list = this.conversations.get(key) ?? [];
    this.conversations.set(key, list);
    const authors = this.authors.get(key) ?? new Set<string>();
    this.authors.set(key, authors.add(message.from));
    const bytes = jsonBytes(message);
    list.push({ position: this.end, message, bytes });
    this.end += bytes + 1;
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** A digest of `conversation` in bytes: `{"<author>":<highest sequence held>,...}`, one entry per author. */
  digestBytes(conversation: string): number {
    let bytes = 2;
    for (const author of this.authors.get(conversation) ?? []) bytes += Buffer.byteLength(JSON.stringify(author)) + 8;
    return bytes;
  }

  get size(): number {
    return this.ids.size;
  }

  /**
   * What arrived in `conversation` at or after `position`, at most 100 messages and about 1 MiB (one at least);
   * only those the asker `lacks` when a digest says so.
   */
  pageAfter(conversation: string, position: number, channel = conversation, lacks = (_id: string) => true): LogPage {
    const list = this.conversations.get(conversation) ?? [];
    let i = firstAt(list, position);
    const messages: ChatMessage[] = [];
    let bytes = 0;
    while (i < list.length && messages.length < PAGE_MESSAGES && (messages.length === 0 || bytes + list[i].bytes <= PAGE_BYTES)) {
      if (lacks(list[i].message.id)) {
        messages.push(list[i].message);
        bytes += list[i].bytes;
      }
      i += 1;
    }
    const more = i < list.length;
    const next = more ? list[i].position : this.end;
    return { messages, more, next, bodyBytes: pageBodyBytes(channel, messages, more, next) };
  }
}

/** The index of the first entry whose line starts at or after `position` (binary search: positions only grow). */
function firstAt(list: Entry[], position: number): number {
  let [low, high] = [0, list.length];
  while (low < high) {
    const middle = (low + high) >> 1;
    if (list[middle].position < position) low = middle + 1;
    else high = middle;
  }
  return low;
}
