/**
 * A key for each pair of peers, and the MAC of a request made with it: `Authorization: Pair <mac>` on the
 * messages one peer posts to another. Both peers derive the same key from their box keys (X25519, RFC 7748 §6.1,
 * then HKDF-SHA256, RFC 5869), so the receiver checks a message with one HMAC-SHA256 (RFC 2104) instead of
 * verifying an Ed25519 signature, about a third of what a message cost it at ten a second (docs/identity.md,
 * "A key per pair"). Pure. New: WeApRous `apps/peer.py` trusted every address it was told.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { hkdf32 } from './envelope';

/** The `Authorization` scheme (RFC 9110 §11.6.2): `Authorization: Pair q5i0...=`. */
export const PAIR_SCHEME = 'Pair';
const PROTOCOL = 'weaprous-pair-v1';
const MAC_BYTES = 32;
const MAC_CHARS = 44; // base64 of 32 bytes

/** One end of a pair: its peer id and its box key's text. */
export interface PairEnd {
  id: string;
  boxKey: string;
}

/**
 * The pair's key, the same at both ends: HKDF-SHA256 of their X25519 shared secret, salted with both box keys
 * and named by both ids, each in sorted order, so it does not matter which end computes it.
 */
export function pairKey(shared: Buffer, one: PairEnd, other: PairEnd): Buffer {
  const [first, second] = one.id < other.id ? [one, other] : [other, one];
  const salt = Buffer.concat([Buffer.from(first.boxKey, 'base64'), Buffer.from(second.boxKey, 'base64')]);
  return hkdf32(shared, salt, `${PROTOCOL} ${first.id} ${second.id}`);
}

/** What a MAC is of: who sends to whom, and the exact request: method, path and body bytes. */
export interface MacedRequest {
  from: string;
  to: string;
  method: string;
  path: string;
  body: Buffer;
}

/**
 * The MAC of a request, base64: HMAC-SHA256 under the pair's key of `from`, `to`, method and path, one per line,
 * then the body. The ids say which way it goes (the key is the same both ways); a copy sent to any other peer,
 * or another path, does not check.
 */
export function requestMac(key: Buffer, request: MacedRequest): string {
  return macBytes(key, request).toString('base64');
}

function macBytes(key: Buffer, { from, to, method, path, body }: MacedRequest): Buffer {
  return createHmac('sha256', key).update(`${from}\n${to}\n${method}\n${path}\n`, 'utf8').update(body).digest();
}

/** The header's value for a request: `Pair <mac>`. */
export function pairAuthorization(key: Buffer, request: MacedRequest): string {
  return `${PAIR_SCHEME} ${requestMac(key, request)}`;
}

/**
 * The MAC an `Authorization` header carries: undefined when it names no `Pair` (absent, or another scheme), null
 * when it names `Pair` but what follows is not 44 characters of base64 (two headers joined by a comma, say), the
 * MAC otherwise. The scheme is case-insensitive (RFC 9110 §11.1).
 */
export function pairMacOf(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== PAIR_SCHEME.toLowerCase()) return undefined;
  const mac = header.slice(scheme.length).trim();
  return mac.length === MAC_CHARS && Buffer.from(mac, 'base64').toString('base64') === mac ? mac : null;
}

/** Whether `mac` (as `pairMacOf` read it) is the request's MAC under `key`, compared in constant time. */
export function isRequestMac(key: Buffer, request: MacedRequest, mac: string): boolean {
  const given = Buffer.from(mac, 'base64');
  return given.length === MAC_BYTES && timingSafeEqual(given, macBytes(key, request));
}
