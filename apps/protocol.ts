/**
 * The chat's wire protocol as both sides see it (docs/protocol.md): the peer id, the JSON bodies the tracker
 * and the peers exchange, and the readers that check them. Each reader either returns a clean value or throws
 * an `HttpError(400)` whose sentence says what to send instead. The tracker (`apps/tracker/*`) and the peer
 * (`apps/peer/*`) both import this file and nothing of each other.
 * No Python twin: WeApRous's `apps/sampleApp.py` and `apps/peer.py` each built `"ip:port"` and called
 * `json.loads(body)` and hoped.
 */

import { BlockList, isIP } from 'node:net';
import { HttpError } from '../daemon/status';
import type { Request } from '../daemon/request';
import { CONTROL_CHARACTERS } from './text';

export type JsonObject = Record<string, unknown>;

/** `peerId('127.0.0.1', 5001)` → `'127.0.0.1:5001'`, the id the reference document uses everywhere. */
export function peerId(ip: string, port: number): string {
  return `${ip}:${port}`;
}

/** `POST /submit-info/` (peer → tracker), the document's body; `name` is optional and not sent by our peers. */
export interface RegisterBody {
  ip: string;
  port: number;
  peer_id: string;
  name?: string;
}

/** One peer in the answer to `GET /get-list/`: the documented fields first, then the optional name. */
export type PeerEntry = RegisterBody;

/** `POST /connect-peer/` (peer → peer): who is calling, and where to reach it. */
export interface ConnectBody {
  ip: string;
  port: number;
  peer_id: string;
  name: string;
}

/**
 * `POST /broadcast-peer/` and `POST /send-peer/` (peer → peer); `timestamp` is in seconds, as Python's
 * `time.time()`. `id`, `channel` and `clock` are new (docs/history.md); the document's payloads leave them out.
 */
export interface MessageBody {
  from: string;
  name: string;
  msg: string;
  timestamp: number;
  id?: string;
  channel?: string;
  clock?: number;
}

/** True for a well-formed entry of the tracker's list; a peer skips any other. */
export function isPeerEntry(value: unknown): value is PeerEntry {
  const entry = value as PeerEntry;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.ip === 'string' &&
    Number.isInteger(entry.port) &&
    typeof entry.peer_id === 'string'
  );
}

/**
 * The body as a JSON object. The app has already parsed it when `Content-Type` was JSON; otherwise
 * (`curl -d '{...}'` sends `application/x-www-form-urlencoded`) the text is parsed here, as the
 * Python original did whatever the header said.
 */
export function readJsonObject(request: Request, example: string): JsonObject {
  let value = request.json;
  if (value === undefined) {
    const text = request.body.toString('utf8').trim();
    if (text === '') throw new HttpError(400, `The body is empty; send a JSON object such as ${example}`);
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError(400, `The body is not valid JSON; send a JSON object such as ${example}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, `The body must be a JSON object such as ${example}`);
  }
  return value as JsonObject;
}

/**
 * The longest host name taken as an address: DNS allows 253 characters, but a peer id names a file (its
 * outbox, `peer/outbox.ts`), and a name over 255 bytes cannot be one. No lab machine needs more than 100.
 */
export const MAX_HOST_NAME_CHARS = 100;
// A host name made of RFC 1123 labels (letters, digits, hyphens), for `--ip my-laptop.local`.
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Whether `id` is a peer id, `ip:port` as `peerId` writes it, with `ip` as `requireIp` takes it: plain ASCII,
 * so a look-alike (`127.0.0.1：5002` with a fullwidth colon) is not an id and cannot pass for one.
 */
export function isPeerId(id: string): boolean {
  const colon = id.lastIndexOf(':');
  const port = id.slice(colon + 1);
  if (colon <= 0 || !/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return false;
  try {
    requireIp({ ip: id.slice(0, colon) });
    return true;
  } catch {
    return false;
  }
}

/** `"ip": "127.0.0.1"`: an IPv4 or IPv6 address or a host name. */
export function requireIp(body: JsonObject, field = 'ip'): string {
  const value = body[field];
  if (value === undefined || value === null || value === '')
    throw new HttpError(400, `Missing "${field}": send the peer's address, e.g. "${field}":"127.0.0.1"`);
  // An IPv6 zone ("fe80::1%eth0") names an interface of the sender's own machine: no address for others.
  if (typeof value === 'string' && value.includes('%'))
    throw new HttpError(400, `"${field}" must be an IP address or host name without a "%" zone, e.g. "${field}":"127.0.0.1"`);
  if (typeof value === 'string' && value.length > MAX_HOST_NAME_CHARS)
    throw new HttpError(400, `"${field}" is longer than ${MAX_HOST_NAME_CHARS} characters; use the peer's IP address instead`);
  if (typeof value !== 'string' || (isIP(value) === 0 && !HOST_NAME.test(value))) {
    throw new HttpError(400, `"${field}" must be an IP address or host name, e.g. "${field}":"127.0.0.1"`);
  }
  return value;
}

// Addresses no peer can be reached at: where a server listens, groups, the whole link, or nowhere.
// BlockList also matches an IPv4-mapped IPv6 address (::ffff:0.0.0.0) and one with a zone (fe80::1%eth0).
const UNREACHABLE: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'is the "any address" a server listens on'],
  ['169.254.0.0', 16, 'ipv4', 'is link-local (it works on one network link only)'],
  ['224.0.0.0', 4, 'ipv4', 'is a multicast group, not one peer'],
  ['240.0.0.0', 4, 'ipv4', 'is reserved or the broadcast address'],
  ['::', 128, 'ipv6', 'is the "any address" a server listens on'],
  ['fe80::', 10, 'ipv6', 'is link-local (it works on one network link only)'],
  ['ff00::', 8, 'ipv6', 'is a multicast group, not one peer'],
];
const UNREACHABLE_LISTS = UNREACHABLE.map(([address, prefix, family, why]) => {
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return { list, why };
});

/** Why no peer can be reached at `ip`, or null when it can: `unreachableReason('0.0.0.0')` → `'is the "any address" ...'`. */
export function unreachableReason(ip: string): string | null {
  const family = isIP(ip);
  if (family === 0) {
    // A "host name" of digits such as 0 or 127.1 is an IPv4 shorthand that resolvers read as 0.0.0.0 or 127.0.0.1.
    return /(^|\.)(\d+|0x[0-9a-f]*)$/i.test(ip) ? 'looks like an IPv4 address but is not one of four numbers' : null;
  }
  const hit = UNREACHABLE_LISTS.find(({ list }) => list.check(ip, family === 4 ? 'ipv4' : 'ipv6'));
  return hit ? hit.why : null;
}

/**
 * `"ip"` as `requireIp`, and an address other peers can really connect to: not 0.0.0.0 or ::, multicast,
 * broadcast or link-local. Loopback and private ranges stay accepted: the demo runs on 127.0.0.1 and LANs.
 */
export function requireReachableIp(body: JsonObject, field = 'ip'): string {
  const ip = requireIp(body, field);
  const why = unreachableReason(ip);
  if (why !== null) {
    throw new HttpError(
      400,
      `"${field}" ${ip} ${why}; send the address other peers reach this peer at, e.g. "${field}":"127.0.0.1" or its LAN address`,
    );
  }
  return ip;
}

/** `"port": 5001`: an integer from 1 to 65535 (a string of digits is accepted too, as Python's `int()` did). */
export function requirePort(body: JsonObject, field = 'port'): number {
  const value = body[field];
  if (value === undefined || value === null || value === '')
    throw new HttpError(400, `Missing "${field}": send the peer's port, e.g. "${field}":5001`);
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new HttpError(400, `"${field}" must be an integer from 1 to 65535, e.g. "${field}":5001`);
  }
  return port;
}

/** Messages in one `POST /messages/` request at most (a peer's delivery cuts a burst into such batches). */
export const MAX_BATCH_MESSAGES = 100;

/** The longest chat message a peer accepts, in UTF-16 code units (JavaScript's `length`); the console checks it too. */
export const MAX_MESSAGE_CHARS = 10_000;

/** A required non-empty string field such as `"peer_id"` or `"msg"`. */
export function requireString(body: JsonObject, field: string, example: string, maxLength = MAX_MESSAGE_CHARS): string {
  const value = body[field];
  if (value === undefined || value === null || value === '')
    throw new HttpError(400, `Missing "${field}": send e.g. "${field}":${JSON.stringify(example)}`);
  if (typeof value !== 'string') throw new HttpError(400, `"${field}" must be a string, e.g. "${field}":${JSON.stringify(example)}`);
  if (value.length > maxLength) throw new HttpError(400, `"${field}" is longer than ${maxLength} characters`);
  return value;
}

/**
 * An optional display name: 1 to 64 characters, no control characters (they would let one peer move another
 * peer's cursor or clear its screen).
 */
export function optionalName(body: JsonObject, field = 'name'): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 64 || CONTROL_CHARACTERS.test(value)) {
    throw new HttpError(400, `"${field}" must be a display name of 1 to 64 characters, e.g. "${field}":"Alice"`);
  }
  return value.trim();
}

const REGISTER_EXAMPLE = '{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"}';
const CONNECT_EXAMPLE = '{"ip":"127.0.0.1","port":5002,"peer_id":"127.0.0.1:5002","name":"Bob"}';
export const MESSAGE_EXAMPLE = '{"from":"127.0.0.1:5002","name":"Bob","msg":"Hello","timestamp":1699680000}';

/** The body of `POST /submit-info/`: where the peer is; the tracker makes the id from `ip` and `port`. */
export function readRegisterBody(request: Request): { ip: string; port: number; name?: string } {
  const body = readJsonObject(request, REGISTER_EXAMPLE);
  return { ip: requireReachableIp(body), port: requirePort(body), name: optionalName(body) };
}

/** The body of `POST /remove/`, `/heartbeat/` and `/disconnect-peer/`: `{"peer_id":"127.0.0.1:5001"}`. */
export function readPeerIdBody(request: Request): string {
  return requireString(readJsonObject(request, '{"peer_id":"127.0.0.1:5001"}'), 'peer_id', '127.0.0.1:5001', 300);
}

/**
 * The body of `POST /connect-peer/`. A `peer_id` that is not the `ip:port` sent is refused: the id is where
 * messages go, so naming another address would let a caller take another peer's place. No name → the id.
 */
export function readConnectBody(request: Request): ConnectBody {
  const body = readJsonObject(request, CONNECT_EXAMPLE);
  const ip = requireReachableIp(body);
  const port = requirePort(body);
  const id = peerId(ip, port);
  if (body.peer_id !== undefined && body.peer_id !== id) {
    throw new HttpError(400, `"peer_id" must be "ip:port" of the ip and port sent, here "${id}" (or leave it out)`);
  }
  return { ip, port, peer_id: id, name: optionalName(body) ?? id };
}

/** The body of `POST /broadcast-peer/` and `/send-peer/`; `name` and `timestamp` may be left out. */
export function readMessageBody(request: Request): { from: string; msg: string; name?: string; timestamp?: number } {
  const body = readJsonObject(request, MESSAGE_EXAMPLE);
  const from = requireString(body, 'from', '127.0.0.1:5002', 300);
  const msg = requireString(body, 'msg', 'Hello');
  const timestamp = typeof body.timestamp === 'number' ? body.timestamp : undefined;
  return { from, msg, name: optionalName(body), timestamp };
}

/** The channel every peer is in; it cannot be joined, left or given a key. */
export const GENERAL_CHANNEL = 'general';

/** The most channels one peer can be in on the tracker, besides #general. */
export const MAX_CHANNELS_PER_PEER = 32;

/** One channel a peer is in, as the heartbeat carries it: `{"channel":"team","key":"s3cret"}`. */
export interface ChannelClaim {
  channel: string;
  key?: string;
}

/** `POST /add-list/` (peer → tracker): join `channel` (with `key` for a private one), or leave it. */
export interface ChannelBody extends ChannelClaim {
  peer_id: string;
  leave: boolean;
}

const CHANNEL_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const CHANNEL_RULE = '1 to 32 letters, digits, "-" or "_"';

/** `channelName('#Team')` → `'team'`: one leading '#' dropped, lower-cased; null when not 1-32 of [A-Za-z0-9_-]. */
export function channelName(raw: string): string | null {
  const name = raw.startsWith('#') ? raw.slice(1) : raw;
  return CHANNEL_NAME.test(name) ? name.toLowerCase() : null;
}

/** `"channel": "team"`, read as `channelName` reads it. */
export function requireChannel(body: JsonObject, field = 'channel'): string {
  const value = body[field];
  if (value === undefined || value === null || value === '')
    throw new HttpError(400, `Missing "${field}": send a channel name, e.g. "${field}":"team"`);
  const name = typeof value === 'string' ? channelName(value) : null;
  if (name === null) throw new HttpError(400, `"${field}" must be a channel name of ${CHANNEL_RULE}, e.g. "${field}":"team"`);
  return name;
}

/** An optional channel key: 1 to 128 characters, no control characters. */
export function optionalKey(body: JsonObject, field = 'key'): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > 128 || CONTROL_CHARACTERS.test(value)) {
    throw new HttpError(400, `"${field}" must be 1 to 128 characters without control characters, e.g. "${field}":"s3cret"`);
  }
  return value;
}

const CHANNEL_EXAMPLE = '{"peer_id":"127.0.0.1:5001","channel":"team"}';

/** The body of `POST /add-list/`: `{"peer_id":"127.0.0.1:5001","channel":"team"}`, optional `"key"`, `"leave":true`. */
export function readChannelBody(request: Request): ChannelBody {
  const body = readJsonObject(request, CHANNEL_EXAMPLE);
  const peer_id = requireString(body, 'peer_id', '127.0.0.1:5001', 300);
  const channel = requireChannel(body);
  if (body.leave !== undefined && typeof body.leave !== 'boolean')
    throw new HttpError(400, '"leave" must be true (to leave the channel) or false, e.g. "leave":true');
  const key = optionalKey(body);
  return key === undefined ? { peer_id, channel, leave: body.leave === true } : { peer_id, channel, key, leave: body.leave === true };
}

/**
 * The body of `POST /heartbeat/`: the document's `{"peer_id":"127.0.0.1:5001"}`, optionally with the channels
 * the peer is in, `"channels":[{"channel":"team","key":"s3cret"}]`, so a restarted tracker learns them again.
 */
export function readHeartbeatBody(request: Request): { peer_id: string; channels?: ChannelClaim[] } {
  const body = readJsonObject(request, '{"peer_id":"127.0.0.1:5001"}');
  const peer_id = requireString(body, 'peer_id', '127.0.0.1:5001', 300);
  if (body.channels === undefined || body.channels === null) return { peer_id };
  if (!Array.isArray(body.channels) || body.channels.length > MAX_CHANNELS_PER_PEER) {
    throw new HttpError(
      400,
      `"channels" must be a list of at most ${MAX_CHANNELS_PER_PEER} channels (not #general), e.g. "channels":[{"channel":"team","key":"s3cret"}]`,
    );
  }
  const channels = body.channels.map((item: unknown, i: number) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new HttpError(400, `"channels"[${i}] must be an object such as {"channel":"team"}`);
    const claim: ChannelClaim = { channel: requireChannel(item as JsonObject) };
    const key = optionalKey(item as JsonObject);
    if (key !== undefined) claim.key = key;
    return claim;
  });
  return { peer_id, channels };
}
