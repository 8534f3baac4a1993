/**
 * A registered id bound to its peer's key (docs/identity.md): a `/submit-info/` that offers `public_key`
 * binds the id on first use, and from then on every write for that id must be signed by that key, with a
 * `time` near the tracker's clock so a captured request cannot be replayed later. Pure checks: no clock
 * (pass `now`), no state (the registry keeps the key). New; WeApRous's tracker let anyone write any id.
 */

import { HttpError } from '../../daemon/status';
import type { JsonObject } from '../json-fields';
import { isPublicKeyText, staleTime, verify } from '../signature';

/**
 * `/submit-info/`: the key `id` is to be bound to (undefined: none, a registration of the document's kind).
 * A bound id keeps its key and must sign with it; a new key must sign its own registration. Throws 400 or 401.
 */
export function registrationKey(id: string, body: JsonObject, bound: string | undefined, now: number): string | undefined {
  const offered = body.public_key;
  if (offered !== undefined && !isPublicKeyText(offered))
    throw new HttpError(400, '"public_key" must be the base64 of a raw Ed25519 public key (44 characters ending in "=")');
  if (bound !== undefined && offered !== undefined && offered !== bound) {
    throw new HttpError(
      401,
      `${id} is registered with another key; only its holder can register it again (the binding ends when it unregisters or expires)`,
    );
  }
  const key = bound ?? offered;
  if (key !== undefined) requireSigned(id, body, key, now);
  return key;
}

/** Throws 401 unless `body` is signed by `key` and its `time` (ms since the epoch) is within 5 minutes of `now`. */
export function requireSigned(id: string, body: JsonObject, key: string, now: number): void {
  if (body.signature === undefined)
    throw new HttpError(401, `${id} is registered with a key and this request is not signed; only that peer can change its registration`);
  if (!verify(body, body.signature, key)) throw new HttpError(401, `${id} is registered with a key and this request is not signed by it`);
  const stale = staleTime(typeof body.time === 'number' ? body.time : undefined, now, "the tracker's");
  if (stale !== null) throw new HttpError(401, stale);
}
