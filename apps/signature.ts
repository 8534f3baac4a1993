/**
 * Checking a signature, the rule both sides share (docs/identity.md): the canonical JSON a signature covers,
 * the public key's text form, and `verify`. The peer signs with `peer/identity.ts` and checks other peers with
 * `peer/trust.ts`; the tracker checks the peers it registered (`tracker/routes.ts`). Holds no key, touches no file.
 * No Python twin: WeApRous trusted every address it was told.
 */

import { createPublicKey, verify as verifyBytes, type KeyObject } from 'node:crypto';

/** The body field that carries the signature, and the one field the signature does not cover. */
export const SIGNATURE_FIELD = 'signature';

/**
 * Whether `signature` is the signature of `body` by the holder of `publicKey` (a known key's text form).
 * False, never an exception, for a malformed signature or a body no signer could have written.
 */
export function verify(body: object, signature: unknown, publicKey: string): boolean {
  if (typeof signature !== 'string') return false;
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length !== 64 || bytes.toString('base64') !== signature) return false;
  let signed: Buffer;
  try {
    signed = signedBytes(body);
  } catch {
    return false; // nested deeper than the stack (a stranger's extra field), or not JSON at all
  }
  return verifyBytes(null, signed, keyObject(publicKey), bytes);
}

/**
 * A JSON value as one exact string: object keys sorted (by UTF-16 code units), no whitespace, strings and
 * numbers as `JSON.stringify` writes them; fields whose value is undefined are left out, as on the wire.
 * For JSON values this is RFC 8785 (JCS). `canonicalJson({ b: 1, a: [true, 'é'] })` → `{"a":[true,"é"],"b":1}`
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form, so it cannot be signed`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (typeof value === 'object') {
    const fields = value as Record<string, unknown>;
    const keys = Object.keys(fields)
      .filter((key) => fields[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(fields[key])}`).join(',')}}`;
  }
  throw new TypeError(`a ${typeof value} has no JSON form, so it cannot be signed`);
}

/** How far a signed request's `time` may be from the receiver's clock, either way: 5 minutes. */
export const SIGNED_TIME_WINDOW_MS = 5 * 60_000;

/**
 * Why a signed request's `time` (ms since the epoch, a number or a string of digits in a query) does not
 * show it was signed just now, or null when it does: a captured request cannot be replayed later.
 * `whose` names the clock in the sentence: "the tracker's".
 */
export function staleTime(time: unknown, now: number, whose: string): string | null {
  const value = typeof time === 'string' && /^\d{1,15}$/.test(time) ? Number(time) : time;
  if (typeof value !== 'number' || !Number.isFinite(value))
    return 'A signed request must carry "time", the milliseconds since the epoch when it was signed';
  if (Math.abs(value - now) <= SIGNED_TIME_WINDOW_MS) return null;
  const skew = Math.round(Math.abs(value - now) / 1000);
  return `"time" is ${skew} s away from ${whose} clock (at most ${SIGNED_TIME_WINDOW_MS / 1000} s): a request replayed later, or a clock that is wrong`;
}

/**
 * Why a signed request another peer sent is not for `receiver` now, or null when it is: it names its receiver
 * (`to`, a peer id) and carries a fresh `time`, so a captured copy can be replayed neither to another peer nor later.
 */
export function notForNow(body: { to?: unknown; time?: unknown }, receiver: string, now: number): string | null {
  if (body.to !== receiver) {
    const named = typeof body.to === 'string' ? `"${body.to}"` : 'no receiver';
    return `This signed request names ${named}, not this peer ("to" must be "${receiver}"): a copy sent to another peer is refused`;
  }
  return staleTime(body.time, now, "this peer's");
}

/** The bytes a signature covers: the UTF-8 of the body's canonical JSON without its `signature` field. */
export function signedBytes(body: object): Buffer {
  const { [SIGNATURE_FIELD]: _signature, ...covered } = body as Record<string, unknown>;
  return Buffer.from(canonicalJson(covered), 'utf8');
}

/** The text form of an Ed25519 public key: base64 of its raw 32 bytes (the `x` of its JWK). */
export function publicKeyText(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(String(jwk.x), 'base64url').toString('base64');
}

/** Whether `text` is a public key's text form: the one exact base64 spelling of 32 bytes. */
export function isPublicKeyText(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const raw = Buffer.from(text, 'base64');
  return raw.length === 32 && raw.toString('base64') === text;
}

/**
 * Public keys checked lately, by their text form: making a KeyObject from JWK costs about a third of a
 * verification, and a peer checks the same few keys again and again. Bounded: the oldest goes first.
 */
const recentKeys = new Map<string, KeyObject>();
const RECENT_KEYS = 1_000;

function keyObject(text: string): KeyObject {
  let key = recentKeys.get(text);
  if (key) return key;
  key = parsePublicKey(text);
  if (recentKeys.size >= RECENT_KEYS) recentKeys.delete(recentKeys.keys().next().value as string);
  recentKeys.set(text, key);
  return key;
}

/** A public key from its text form; throws a sentence for anything else. */
export function parsePublicKey(text: string): KeyObject {
  if (!isPublicKeyText(text)) {
    throw new Error(`"${text}" is not an Ed25519 public key: expected the base64 of 32 bytes, 44 characters ending in "="`);
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(text, 'base64').toString('base64url') }, format: 'jwk' });
}
