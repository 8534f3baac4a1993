/**
 * A chat message's identity and order: the stored shape, the Lamport clock, the total order
 * every peer shows a channel in, and the reader that checks a message arriving from another peer.
 * Pure: no sockets, no files, no clock of its own (`now` comes in). New; WeApRous `apps/peer.py` kept
 * `{from, name, msg, timestamp}` in arrival order and had no ids, so a resend showed twice.
 */

import { CONTROL_CHARACTERS } from '../../text';
import { createHash } from 'node:crypto';
import { channelName, GENERAL_CHANNEL, MAX_MESSAGE_CHARS } from '../../protocol';
import { isPeerId } from '../../address';
import type { JsonObject } from '../../json-fields';

/** One message as peers send it and as the store keeps it, one JSON line each. */
export interface ChatMessage {
  /** Unique per sender: `127.0.0.1:5001/lq2x8k-42` (peer id, start time in base 36, sequence number). */
  id: string;
  /** A channel name in lower case (`general`), or `@<peer id>` of the recipient for a direct message. */
  channel: string;
  from: string;
  name: string;
  msg: string;
  /** The sender's wall clock in seconds, as Python's `time.time()`; shown, never used for order. */
  timestamp: number;
  /** The Lamport clock the message was sent (or, for a document-style payload, received) at. */
  clock: number;
  /**
   * The sender's Ed25519 signature of the other fields (docs/identity.md), kept with the message so a peer
   * catching up from a third peer can check who wrote it. Absent for a peer without a key (the document's).
   */
  signature?: string;
  /**
   * The text sealed (`identity/envelope.ts`): a direct message's for its recipient (docs/identity.md), a private
   * channel's for its members (docs/security/channels.md); `msg` is then only `(encrypted)`, for peers that
   * cannot open it. `enc_self` is a direct message's text sealed for the sender's own key.
   */
  enc?: SealedText;
  enc_self?: SealedText;
}

/**
 * A sealed text as it travels: base64 fields, `ct` ending in the 16-byte tag. A direct message's carries the
 * sender's ephemeral key `epk` (`identity/envelope.ts: Envelope`), a channel message's the `salt` of its key.
 */
export type SealedText = { v: 1; epk: string; nonce: string; ct: string } | { v: 1; salt: string; nonce: string; ct: string };

/** The channel the document's payloads (no `channel` field) belong to. */
export const DEFAULT_CHANNEL = GENERAL_CHANNEL;
export const MAX_NAME_CHARS = 64;
export const MAX_ID_CHARS = 200;
const MAX_PEER_ID_CHARS = 300;
const MAX_SIGNATURE_CHARS = 100;

/** The largest clock a message may carry: 2^40, a million messages a second for 35 years, and far from 2^53. */
export const MAX_CLOCK = 2 ** 40;

/** Why a message of `length` characters is not sent: peers take at most `limit` (`MAX_MESSAGE_CHARS`). */
export function tooLongReason(length: number, limit = MAX_MESSAGE_CHARS): string {
  return `Not sent: the message has ${length} characters and peers accept at most ${limit}. Send it in shorter parts.`;
}
/**
 * How far one received message may move this peer's clock (`LamportClock.witness`): a peer that missed
 * 10,000 messages still orders what it sends after what it sees. Reaching `MAX_CLOCK` that way would take
 * 10^8 stored messages, far more than a history file holds (`FILE_LIMIT`).
 */
export const MAX_CLOCK_STEP = 10_000;

/** Lamport's logical clock: `tick()` before sending, `witness(remote)` on receiving. */
export class LamportClock {
  constructor(private time = 0) {}

  get now(): number {
    return this.time;
  }

  /** A local event (sending): the next value. */
  tick(): number {
    this.time += 1;
    return this.time;
  }

  /**
   * A received clock: `max(local, remote) + 1`, so whatever is sent next orders after what was seen; but
   * never more than `MAX_CLOCK_STEP` past the local clock in one step. Without that bound one message with
   * a clock near `MAX_CLOCK` (any stranger can send one) would carry this peer's clock past what the others
   * accept, and every message it sends after would be refused.
   */
  witness(remote: number): number {
    this.time = Math.max(this.time, Math.min(remote, this.time + MAX_CLOCK_STEP)) + 1;
    return this.time;
  }
}

/** What the order reads of a message: also all an index of messages kept on disk holds (`storage/evicted.ts`). */
export type OrderKey = Pick<ChatMessage, 'clock' | 'from' | 'id'>;

/** The total order of a channel: clock, then sender id, then message id; every peer sorts the same way. */
export function compareMessages(a: OrderKey, b: OrderKey): number {
  return a.clock - b.clock || compareText(a.from, b.from) || compareText(a.id, b.id);
}

/** Puts a message into a list kept in `compareMessages` order (most arrive last: a binary search finds where). */
export function insertInOrder<T extends OrderKey>(list: T[], message: T): void {
  list.splice(
    lowerBound(list, (m) => compareMessages(m, message) > 0),
    0,
    message,
  );
}

/** Takes a message out of a list kept in order; a message not in it leaves the list as it was. */
export function removeInOrder(list: ChatMessage[], message: ChatMessage): void {
  const at = lowerBound(list, (m) => compareMessages(m, message) >= 0);
  if (list[at]?.id === message.id) list.splice(at, 1);
}

/** The index of the first message of an ordered list with a clock after `since`. */
export function firstAfterClock(list: OrderKey[], since: number): number {
  return lowerBound(list, (m) => m.clock > since);
}

/**
 * The index of the first message of an ordered list after the message `(since, afterId)`: with an id, just
 * after that message in `compareMessages` order (an id starts with its sender, so the id gives the sender);
 * without one, the first with a clock after `since`. A history page's cursor.
 */
export function firstAfter(list: OrderKey[], since: number, afterId = ''): number {
  if (afterId === '') return firstAfterClock(list, since);
  const slash = afterId.indexOf('/');
  const mark: OrderKey = { clock: since, from: slash === -1 ? afterId : afterId.slice(0, slash), id: afterId };
  return lowerBound(list, (m) => compareMessages(m, mark) > 0);
}

/** The first index whose item passes `after`, in a list where every item that fails it comes first. */
function lowerBound<T>(items: T[], after: (item: T) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (after(items[middle])) high = middle;
    else low = middle + 1;
  }
  return low;
}

// Code-unit order, not localeCompare: the order must not depend on the machine's locale.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `directChannel('127.0.0.1:5002')` → `'@127.0.0.1:5002'`: the channel of a direct message to that peer. */
export function directChannel(peerId: string): string {
  return `@${peerId}`;
}

/**
 * Whose conversation a message belongs to, seen from `selfId`: the channel name, or `@<the other peer>` for
 * a direct message, whichever way it went (Bob's `@alice` to Alice is filed under `@bob` at Alice's).
 */
export function conversationOf(message: ChatMessage, selfId: string): string {
  if (!message.channel.startsWith('@')) return message.channel;
  return message.from === selfId ? message.channel : directChannel(message.from);
}

/** Makes this peer's outgoing messages: a fresh id and the next clock value for each. */
export class MessageMaker {
  private sequence = 0;

  /** `startedAt` (ms) makes ids from this run differ from those of a run before a restart. */
  constructor(
    private readonly self: { peer_id: string; name: string },
    readonly clock: LamportClock,
    private readonly startedAt: number,
  ) {}

  /** `make('general', 'Hi', Date.now())`; for a direct message pass `directChannel(to)`. */
  make(channel: string, msg: string, now: number): ChatMessage {
    this.sequence += 1;
    const id = `${this.self.peer_id}/${this.startedAt.toString(36)}-${this.sequence}`;
    const { peer_id: from, name } = this.self;
    return { id, channel, from, name, msg, timestamp: now / 1000, clock: this.clock.tick() };
  }
}

/**
 * The id of a document-style payload, which has none: a hash of who sent what when, so the same payload
 * sent twice (a curl run again, a Python peer retrying) is still recognised as one message.
 */
export function derivedId(from: string, channel: string, timestamp: number, msg: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([from, channel, timestamp, msg]))
    .digest('hex');
  return `${from}/h-${hash.slice(0, 20)}`;
}

/** A message as read off the wire: a document-style payload has no clock yet; the receiver gives it one. */
export type IncomingMessage = Omit<ChatMessage, 'clock'> & { clock?: number };

export type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Checks a message object from another peer. The document's payload (`{"from","name","msg","timestamp"}`)
 * is accepted: it goes to `defaults.channel`, a missing `name` is `from`, a missing `timestamp` is
 * `defaults.now` (seconds), and its id is `derivedId(...)`. Otherwise a sentence says what is wrong.
 */
export function readMessage(body: JsonObject, defaults: { channel: string; now: number }): ReadResult<IncomingMessage> {
  const from = text(body, 'from', MAX_PEER_ID_CHARS, '"127.0.0.1:5002"');
  if (typeof from !== 'string') return from;
  if (!isPeerId(from)) return refuse('"from" must be the sender\'s peer id, its address and port, e.g. "from":"127.0.0.1:5002"');
  const msg = body.msg;
  if (typeof msg !== 'string' || msg === '') return refuse('"msg" must be a non-empty string, e.g. "msg":"Hello"');
  if (msg.length > MAX_MESSAGE_CHARS) return refuse(`"msg" is longer than ${MAX_MESSAGE_CHARS} characters; send it in shorter parts`);
  const name = body.name === undefined || body.name === null ? from : readName(body.name);
  if (name === undefined) return refuse(`"name" must be a display name of 1 to ${MAX_NAME_CHARS} characters, e.g. "name":"Bob"`);
  const timestamp = body.timestamp ?? defaults.now;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
    return refuse('"timestamp" must be seconds since 1970 as a number, e.g. "timestamp":1699680000');
  }
  const channel = body.channel === undefined ? defaults.channel : readChannel(body.channel);
  if (channel === undefined) return refuse('"channel" must be 1 to 32 letters, digits, "_" or "-" (e.g. "general"), or "@" and a peer id');
  const clock = body.clock;
  // Bounded far below 2^53: a clock of 2^53 sent by a stranger would stop every later clock from counting up.
  if (clock !== undefined && !(Number.isSafeInteger(clock) && (clock as number) >= 0 && (clock as number) <= MAX_CLOCK)) {
    return refuse(`"clock" must be a whole number from 0 to ${MAX_CLOCK}, e.g. "clock":42`);
  }
  const id = body.id === undefined ? derivedId(from, channel, timestamp, msg) : text(body, 'id', MAX_ID_CHARS, '"127.0.0.1:5002/lq2x8k-1"');
  if (typeof id !== 'string') return id;
  const value: IncomingMessage = { id, channel, from, name, msg, timestamp };
  if (clock !== undefined) value.clock = clock as number;
  // Kept as it came (whether it is good is the trust's question); 88 characters for an Ed25519 signature.
  if (typeof body.signature === 'string' && body.signature.length <= MAX_SIGNATURE_CHARS) value.signature = body.signature;
  const direct = channel.startsWith('@');
  for (const field of direct ? (['enc', 'enc_self'] as const) : (['enc'] as const)) {
    if (body[field] === undefined) continue;
    const sealed = readSealed(body[field], direct);
    if (sealed === undefined) return refuse(`"${field}" must be ${direct ? SEALED_DIRECT_SHAPE : SEALED_CHANNEL_SHAPE}, base64 each`);
    value[field] = sealed;
  }
  return { ok: true, value };
}

/** The base64 of a longest text sealed: every character 4 UTF-8 bytes, and the tag. */
const MAX_SEALED_CHARS = Math.ceil(((MAX_MESSAGE_CHARS * 4 + 16) * 4) / 3) + 4;

const SEALED_DIRECT_SHAPE = '{"v":1,"epk","nonce","ct"} (docs/identity.md)';
const SEALED_CHANNEL_SHAPE = '{"v":1,"salt","nonce","ct"} (docs/security/channels.md)';

/** A sealed text's shape (whether it opens is the reader's question): its four fields, nothing more. */
function readSealed(value: unknown, direct: boolean): SealedText | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, epk, salt, nonce, ct } = value as Record<string, unknown>;
  const base64 = (text: unknown, max: number) => typeof text === 'string' && text.length <= max && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
  if (v !== 1 || !base64(nonce, 16) || !base64(ct, MAX_SEALED_CHARS)) return undefined;
  if (direct) return base64(epk, 44) ? { v, epk: epk as string, nonce: nonce as string, ct: ct as string } : undefined;
  return base64(salt, 24) ? { v, salt: salt as string, nonce: nonce as string, ct: ct as string } : undefined;
}

/** A line of the history file: every field present, as `add` wrote it. */
export function readStoredMessage(body: JsonObject): ReadResult<ChatMessage> {
  if (body.id === undefined || body.clock === undefined || body.channel === undefined)
    return refuse('"id", "channel" or "clock" is missing');
  const read = readMessage(body, { channel: DEFAULT_CHANNEL, now: 0 });
  return read.ok ? { ok: true, value: read.value as ChatMessage } : read;
}

/**
 * The clock a received message is kept with, moving the local clock past it: its own clock, or for a
 * document-style payload (no clock) the local clock's next tick, which files it where it arrived.
 */
export function receive(message: IncomingMessage, clock: LamportClock): ChatMessage {
  if (message.clock === undefined) return { ...message, clock: clock.tick() };
  clock.witness(message.clock);
  return { ...message, clock: message.clock };
}

/** `General` or `#general` → `general` (protocol.ts's `channelName`); `@127.0.0.1:5002` as it is; else undefined. */
export function readChannel(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = channelName(value);
  if (name !== null) return name;
  const peer = value.slice(1);
  const isPeer = value.startsWith('@') && peer.length <= MAX_PEER_ID_CHARS && isPeerId(peer);
  return isPeer ? value : undefined;
}

function readName(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_NAME_CHARS || CONTROL_CHARACTERS.test(value)) return undefined;
  return value.trim();
}

/** A required string field without control characters: the string, or the refusal. */
function text(body: JsonObject, field: string, max: number, example: string): string | ReadResult<never> {
  const value = body[field];
  if (typeof value !== 'string' || value === '' || value.length > max || CONTROL_CHARACTERS.test(value)) {
    return refuse(`"${field}" must be a string of 1 to ${max} characters, e.g. "${field}":${example}`);
  }
  return value;
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
