/**
 * The chat's wire protocol as both sides see it (docs/protocol.md): the JSON bodies the tracker and the peers
 * exchange, their limits, and the readers that check a whole body. The tracker (`apps/tracker/*`) and the peer
 * (`apps/peer/*`) both import it and nothing of each other; the fields it reads are in `address.ts` and
 * `json-fields.ts`. New: WeApRous's `apps/sampleApp.py` and `apps/peer.py` had no such checks.
 */

import { HttpError } from '../daemon/status';
import type { Request } from '../daemon/request';
import { peerId, requirePort, requireReachableIp } from './address';
import { type JsonObject, optionalKey, optionalName, readJsonObject, requireString } from './json-fields';
import { type ChannelProof, isVerifier } from './channel-secret';

/** `POST /submit-info/` (peer → tracker), the document's body; `name` is optional (our peers send it). */
export interface RegisterBody {
  ip: string;
  port: number;
  peer_id: string;
  name?: string;
  /** `"https"` for a peer that serves HTTPS (`--tls-cert`); absent: `http`, the document's peers. */
  scheme?: Scheme;
}

/** How a peer is reached: only `https` is ever written, so the document's bodies stay as they are. */
export type Scheme = 'https';

/** One peer in the answer to `GET /get-list/`: the documented fields first, then the optional name and scheme. */
export type PeerEntry = RegisterBody;

/** `POST /connect-peer/` (peer → peer): who is calling, and where to reach it. */
export interface ConnectBody {
  ip: string;
  port: number;
  peer_id: string;
  name: string;
  scheme?: Scheme;
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

/**
 * One channel a peer is in, as the heartbeat carries it: `{"channel":"team"}`; for a private one the peer
 * adds `"proof"` (it holds the key, without sending it: `channel-secret.ts`), a curl client may add `"key"`.
 */
export interface ChannelClaim {
  channel: string;
  /** The key itself, as a curl client sends it: it travels in clear. Our peer never sends it. */
  key?: string;
  proof?: ChannelProof;
}

/** `POST /add-list/` (peer → tracker): join `channel` (with a `proof` or `key` for a private one), or leave it. */
export interface ChannelBody extends ChannelClaim {
  peer_id: string;
  leave: boolean;
}

/** True for a well-formed entry of the tracker's list; a peer skips any other. */
export function isPeerEntry(value: unknown): value is PeerEntry {
  const entry = value as PeerEntry;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.ip === 'string' &&
    Number.isInteger(entry.port) &&
    typeof entry.peer_id === 'string' &&
    (entry.scheme === undefined || entry.scheme === 'https')
  );
}

/** Messages in one `POST /messages/` request at most (a peer's delivery cuts a burst into such batches). */
export const MAX_BATCH_MESSAGES = 100;

/** The longest chat message a peer accepts, in UTF-16 code units (JavaScript's `length`); the console checks it too. */
export const MAX_MESSAGE_CHARS = 10_000;

/** The channel every peer is in; it cannot be joined, left or given a key. */
export const GENERAL_CHANNEL = 'general';

/** The most channels one peer can be in on the tracker, besides #general. */
export const MAX_CHANNELS_PER_PEER = 32;

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

const REGISTER_EXAMPLE = '{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"}';
const CONNECT_EXAMPLE = '{"ip":"127.0.0.1","port":5002,"peer_id":"127.0.0.1:5002","name":"Bob"}';
export const MESSAGE_EXAMPLE = '{"from":"127.0.0.1:5002","name":"Bob","msg":"Hello","timestamp":1699680000}';

/** The body of `POST /submit-info/`: where the peer is; the tracker makes the id from `ip` and `port`. */
export function readRegisterBody(request: Request): { ip: string; port: number; name?: string; scheme?: Scheme } {
  const body = readJsonObject(request, REGISTER_EXAMPLE);
  const place = { ip: requireReachableIp(body), port: requirePort(body), name: optionalName(body) };
  const scheme = optionalScheme(body);
  return scheme === undefined ? place : { ...place, scheme };
}

/**
 * `"scheme":"https"` for a peer that serves HTTPS (RFC 9110 §4.2.2); `"http"` or nothing is the document's
 * plain peer, read as absent so that it is never written back.
 */
export function optionalScheme(body: JsonObject): Scheme | undefined {
  const scheme = body.scheme;
  if (scheme === undefined || scheme === null || scheme === 'http') return undefined;
  if (scheme === 'https') return 'https';
  throw new HttpError(400, '"scheme" must be "https" for a peer that serves HTTPS, or left out (http), e.g. "scheme":"https"');
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
  const scheme = optionalScheme(body);
  const hello = { ip, port, peer_id: id, name: optionalName(body) ?? id };
  return scheme === undefined ? hello : { ...hello, scheme };
}

/** The body of `POST /broadcast-peer/` and `/send-peer/`; `name` and `timestamp` may be left out. */
export function readMessageBody(request: Request): { from: string; msg: string; name?: string; timestamp?: number } {
  const body = readJsonObject(request, MESSAGE_EXAMPLE);
  const from = requireString(body, 'from', '127.0.0.1:5002', 300);
  const msg = requireString(body, 'msg', 'Hello', MAX_MESSAGE_CHARS);
  const timestamp = typeof body.timestamp === 'number' ? body.timestamp : undefined;
  return { from, msg, name: optionalName(body), timestamp };
}

const CHANNEL_EXAMPLE = '{"peer_id":"127.0.0.1:5001","channel":"team"}';

/** The body of `POST /add-list/`: `{"peer_id":"127.0.0.1:5001","channel":"team"}`, optional `"key"`, `"leave":true`. */
export function readChannelBody(request: Request): ChannelBody {
  const body = readJsonObject(request, CHANNEL_EXAMPLE);
  const peer_id = requireString(body, 'peer_id', '127.0.0.1:5001', 300);
  const channel = requireChannel(body);
  if (body.leave !== undefined && typeof body.leave !== 'boolean')
    throw new HttpError(400, '"leave" must be true (to leave the channel) or false, e.g. "leave":true');
  return { peer_id, channel, leave: body.leave === true, ...readCredential(body) };
}

/** The `key` or `proof` of a channel claim (at most one of them), checked for shape. */
function readCredential(body: JsonObject): { key?: string; proof?: ChannelProof } {
  const key = optionalKey(body);
  const proof = body.proof === undefined || body.proof === null ? undefined : readProof(body.proof);
  if (key !== undefined && proof !== undefined) throw new HttpError(400, 'Send "key" or "proof", not both');
  return key !== undefined ? { key } : proof !== undefined ? { proof } : {};
}

const PROOF_EXAMPLE = '"proof":{"verifier":"<44 base64 chars>","time":1700000000000,"signature":"<88 base64 chars>"}';

/** A channel proof's shape (whether it holds is the tracker's question). */
function readProof(value: unknown): ChannelProof {
  const { verifier, time, signature } = (typeof value === 'object' && value !== null ? value : {}) as JsonObject;
  if (!isVerifier(verifier) || !Number.isSafeInteger(time) || typeof signature !== 'string' || signature.length > 100)
    throw new HttpError(400, `"proof" must be an object such as ${PROOF_EXAMPLE}, as docs/protocol.md shows`);
  return { verifier, time: time as number, signature };
}

/**
 * The body of `POST /heartbeat/`: the document's `{"peer_id":"127.0.0.1:5001"}`, optionally with the channels
 * the peer is in, `"channels":[{"channel":"team"},{"channel":"vault","proof":{...}}]`, so a restarted tracker learns them again.
 */
export function readHeartbeatBody(request: Request): { peer_id: string; channels?: ChannelClaim[] } {
  const body = readJsonObject(request, '{"peer_id":"127.0.0.1:5001"}');
  const peer_id = requireString(body, 'peer_id', '127.0.0.1:5001', 300);
  if (body.channels === undefined || body.channels === null) return { peer_id };
  if (!Array.isArray(body.channels) || body.channels.length > MAX_CHANNELS_PER_PEER) {
    throw new HttpError(
      400,
      `"channels" must be a list of at most ${MAX_CHANNELS_PER_PEER} channels (not #general), e.g. "channels":[{"channel":"team"}]`,
    );
  }
  const channels = body.channels.map((item: unknown, i: number) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new HttpError(400, `"channels"[${i}] must be an object such as {"channel":"team"}`);
    return { channel: requireChannel(item as JsonObject), ...readCredential(item as JsonObject) };
  });
  return { peer_id, channels };
}
