/**
 * MessageStore: one peer's history on disk, an append-only JSON Lines file that survives
 * `kill -9` (a journal: `journal.ts`), read back in Lamport order per channel and per direct conversation.
 * New; WeApRous `apps/peer.py` kept its `messages` list in memory only. No sockets; docs/history.md.
 */

import { mkdir, rename } from 'node:fs/promises';
import { AppendOnlyFile, type JournalScan, type LinePlace, scanJournal } from './journal';
import { join } from 'node:path';
import {
  type ChatMessage,
  compareMessages,
  conversationOf,
  MAX_CLOCK_STEP,
  firstAfter,
  insertInOrder,
  readStoredMessage,
  removeInOrder,
} from '../model/message';
import { Evicted, type Held, isOnDisk, type OnDisk } from './evicted';
import { type ArrivalPlace, Arrivals, fileIdOf, positionAfter } from './arrivals';

export interface StoreOptions {
  /** This peer's id, to file direct messages under the other peer. */
  selfId: string;
  /** Hears each problem found in the file, one line each. */
  onProblem?: (line: string) => void;
  /** fsync each line (survives a power cut, not only a crash); off by default. */
  durable?: boolean;
  /** Messages kept in memory per conversation, the latest to arrive; older ones are read from the file (`evicted.ts`). */
  memoryLimit?: number;
  /** Bytes of messages kept in memory per conversation (about: two per character), by the same rule. */
  memoryBytesLimit?: number;
  /** Messages of one conversation indexed on disk once out of memory (`EVICTED_LIMIT`): a test's is small. */
  evictedLimit?: number;
  /** The history file's largest size: a message that would pass it is refused (`HistoryFull`). */
  fileLimit?: number;
  /** Names the set-aside copy of a garbage file; ms since 1970. */
  now?: number;
}

export const HISTORY_FILE = 'history.jsonl';
/** Per conversation, so a flood in one never pushes another's messages out of memory (or out of catch-up). */
export const MEMORY_LIMIT = 100_000;
/** 64 MiB of one conversation in memory: 100,000 messages of 300 characters, or 3,000 of the longest. */
export const MEMORY_BYTES_LIMIT = 64 * 1024 * 1024;
/**
 * Per conversation, the messages out of memory still served from the file: an entry (clock, sender, id, offset,
 * length, and the id known) takes about 180 bytes, so 300,000 take about 54 MB, near `MEMORY_BYTES_LIMIT`.
 * Past them, the first in Lamport order leaves catch-up (it stays in the file). docs/history.md.
 */
export const EVICTED_LIMIT = 300_000;
/** 256 MiB on disk: a million ordinary messages; what contacts' messages can take. The owner's always fit. */
export const FILE_LIMIT = 256 * 1024 * 1024;
/** What strangers' messages leave free of `FILE_LIMIT`: room kept for contacts. */
export const CONTACTS_RESERVE = 64 * 1024 * 1024;

/** Whose message is stored: the owner's always is, a contact's up to the file's limit, a stranger's short of it. */
export type Writer = 'owner' | 'contact' | 'stranger';

/** The history file is full: nothing more is stored, so nothing more is acknowledged (senders keep it queued). */
export class HistoryFull extends Error {}

/** A page of history: messages in Lamport order, and whether more follow (ask again from the last clock). */
export interface HistoryPage {
  messages: ChatMessage[];
  more: boolean;
}

/** A page of what arrived: messages in the order they were stored, and the position to ask from next. */
export interface ArrivedPage extends HistoryPage {
  position: number;
}

export class MessageStore {
  private readonly ids = new Set<string>();
  private readonly arrival = new Map<string, Arrivals>();
  private readonly byConversation = new Map<string, ChatMessage[]>();
  private readonly writing = new Map<string, Promise<unknown>>();
  private readonly evicted: Evicted;
  private file!: AppendOnlyFile;
  /** Names this history file: positions count within it (`arrivedAfter`). */
  private fileId = '';
  private highest = 0;
  private held = 0;
  /** Bytes of lines being written now, so two at once cannot both pass the file's limit. */
  private reserved = 0;

  private constructor(private readonly options: StoreOptions) {
    this.evicted = new Evicted(options.evictedLimit ?? EVICTED_LIMIT);
  }

  /** Opens (or creates) `<dir>/history.jsonl` and loads it; problems go to `onProblem`, one line each. */
  static async open(dir: string, options: StoreOptions): Promise<MessageStore> {
    const store = new MessageStore(options);
    await mkdir(dir, { recursive: true });
    const path = join(dir, HISTORY_FILE);
    const report = options.onProblem ?? (() => {});
    const scan = await scanJournal(path, (value, place) => store.load(value, place));
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
    store.fileId = await fileIdOf(path);
    if (scan.unterminated) await store.file.append('\n');
    await store.evicted.open(path);
    return store;
  }

  /** Stores a message unless its id is known; resolves once its line is written (answer 2xx only then). */
  async add(message: ChatMessage, writer: Writer = 'contact'): Promise<'added' | 'duplicate'> {
    const earlier = this.writing.get(message.id);
    if (earlier) {
      await earlier.catch(() => {});
      return this.add(message, writer);
    }
    if (this.ids.has(message.id)) return 'duplicate';
    const line = `${JSON.stringify(message)}\n`;
    const bytes = Buffer.byteLength(line);
    const limit = this.options.fileLimit ?? FILE_LIMIT;
    const room = writer === 'owner' ? Infinity : writer === 'contact' ? limit : limit - Math.min(CONTACTS_RESERVE, limit / 4);
    if (this.file.bytes + this.reserved + bytes > room) {
      throw new HistoryFull(
        `This peer's ${HISTORY_FILE} is full (${Math.round(limit / 1024 / 1024)} MB), so it stores no more messages; its owner can stop it, move the file away and start it again`,
      );
    }
    const written = this.file.append(line);
    this.writing.set(message.id, written);
    this.reserved += bytes;
    let offset: number;
    try {
      offset = await written;
    } finally {
      this.writing.delete(message.id);
      this.reserved -= bytes;
    }
    this.keep(message, { offset, length: bytes - 1 });
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
   * Messages out of memory come from the file, merged in order: a page reads about `maxBytes` of it, no more.
   */
  async history(
    conversation: string,
    options: { since?: number; after?: string; limit?: number; maxBytes?: number } = {},
  ): Promise<HistoryPage> {
    const { since = -1, after = '', limit = 100, maxBytes = PAGE_BYTES } = options;
    const walk = inOrder(this.byConversation.get(conversation) ?? [], this.evicted.list(conversation), since, after);
    const page: Held[] = [];
    let bytes = 0;
    let next = walk.next();
    const fits = (held: Held) => page.length === 0 || bytes + heldBytes(held) <= maxBytes;
    const sameClock = (held: Held) => after === '' && held.clock === page[page.length - 1].clock;
    while (!next.done && (page.length < Math.max(1, limit) || sameClock(next.value)) && fits(next.value)) {
      page.push(next.value);
      bytes += heldBytes(next.value);
      next = walk.next();
    }
    return { messages: await this.evicted.read(page), more: !next.done };
  }

  /**
   * What arrived in a conversation from `position` on (its messages' numbers in this history file, 0 for all), in
   * the order it was stored, whatever its clocks: at most `limit` messages and about `maxBytes`; `position` is where
   * to ask next. A message stored late with a low clock (its sender was cut off) still comes after the position.
   * Numbers count within the conversation, so no answer tells how much the others (direct, private) hold.
   */
  async arrivedAfter(conversation: string, from: number, options: { limit?: number; maxBytes?: number } = {}): Promise<ArrivedPage> {
    const { limit = 100, maxBytes = PAGE_BYTES } = options;
    const arrived = this.arrival.get(conversation) ?? new Arrivals();
    if (from > arrived.stored) from = 0; // a place past the end was read in another file (this one is new): from the start
    const first = arrived.firstFrom(from);
    const count = Math.max(1, limit);
    // What left memory arrived before all that is in it: the file's index first, then memory.
    const disk = this.evicted
      .fromPosition(conversation, from, count)
      .map((entry) => ({ held: entry as Held, place: entry as ArrivalPlace }));
    const memory = arrived.messages
      .slice(first, first + count)
      .map((message, i) => ({ held: message as Held, place: arrived.places[first + i] }));
    const walk = [...disk, ...memory];
    let [taken, bytes, position] = [0, 0, from];
    while (taken < walk.length && taken < count && (taken === 0 || bytes + heldBytes(walk[taken].held) <= maxBytes)) {
      bytes += heldBytes(walk[taken].held);
      position = positionAfter(walk[taken].place);
      taken += 1;
    }
    const messages = await this.evicted.read(walk.slice(0, taken).map(({ held }) => held));
    const more = arrived.firstFrom(position) < arrived.length || this.evicted.fromPosition(conversation, position, 1).length > 0;
    return { messages, more, position };
  }

  /** Names this history file: a position of `arrivedAfter` means nothing in another file (one set aside and begun again). */
  get id(): string {
    return this.fileId;
  }

  /** The last `count` messages of a channel or conversation, oldest first, and how many it holds: no copy of the rest. */
  latest(conversation: string, count: number): { messages: ChatMessage[]; total: number } {
    const all = this.byConversation.get(conversation) ?? [];
    return { messages: count > 0 ? all.slice(-count) : [], total: all.length };
  }

  /** The channels and conversations held, in no particular order. */
  conversations(): string[] {
    return [...this.byConversation.keys()];
  }

  /** The highest clock held: a restarted peer's Lamport clock starts here. */
  get maxClock(): number {
    return this.highest;
  }

  /** Messages held in memory (all of them, up to `memoryLimit` per conversation). */
  get size(): number {
    return this.held;
  }

  async close(): Promise<void> {
    await this.evicted.close();
    await this.file.close();
  }

  /** One line of the file at open: a message (a repeated id is skipped), or false. */
  private load(value: unknown, place: LinePlace): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const read = readStoredMessage(value as Record<string, unknown>);
    if (read.ok && !this.ids.has(read.value.id)) this.keep(read.value, place);
    return read.ok;
  }

  private keep(message: ChatMessage, place: LinePlace): void {
    const key = conversationOf(message, this.options.selfId);
    const list = this.byConversation.get(key) ?? [];
    this.byConversation.set(key, list);
    insertInOrder(list, message);
    this.ids.add(message.id);
    this.held += 1;
    const arrived = this.arrival.get(key) ?? new Arrivals();
    this.arrival.set(key, arrived);
    arrived.add(message, place, memorySize(message));
    // As `LamportClock.witness` moves: a stranger's clock far ahead moves a restarted peer's clock only so far.
    const step = message.from === this.options.selfId ? message.clock : Math.min(message.clock, this.highest + MAX_CLOCK_STEP);
    this.highest = Math.max(this.highest, step);
    const count = this.options.memoryLimit ?? MEMORY_LIMIT;
    const bytes = this.options.memoryBytesLimit ?? MEMORY_BYTES_LIMIT;
    const over = () => arrived.messages.length > 1 && (arrived.messages.length > count || arrived.bytes > bytes);
    while (over()) this.evict(key, arrived);
  }

  /** The conversation's first message to arrive leaves memory for the index of the file (`evicted.ts`); its id stays known. */
  private evict(key: string, arrived: Arrivals): void {
    const { message, place } = arrived.shift(memorySize);
    removeInOrder(this.byConversation.get(key)!, message);
    this.held -= 1;
    const dropped = this.evicted.add(key, message, place);
    if (dropped) this.ids.delete(dropped.id);
  }
}

/** About 1 MiB of messages in a history page: another peer takes up to 4 MiB (`MAX_PAGE_BYTES` of mesh.ts). */
export const PAGE_BYTES = 1024 * 1024;

/** A message's size as JSON in a page (UTF-16 length: close enough, and cheap); on disk, its line's. */
function heldBytes(held: Held): number {
  return isOnDisk(held) ? held.length : JSON.stringify(held).length;
}

/** The messages in memory and on disk (each list in Lamport order) merged, from just after `(since, after)`. */
function* inOrder(memory: ChatMessage[], disk: OnDisk[], since: number, after: string): Generator<Held, void> {
  let i = firstAfter(memory, since, after);
  let j = firstAfter(disk, since, after);
  while (i < memory.length || j < disk.length) {
    if (j >= disk.length || (i < memory.length && compareMessages(memory[i], disk[j]) < 0)) yield memory[i++];
    else yield disk[j++];
  }
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
