/**
 * A new Ed25519 or X25519 private key, made from 32 random bytes (RFC 8032 §5.1.5's seed, RFC 7748 §5's scalar),
 * never by `generateKeyPairSync`. Node 20's `generateKeyPairSync` leaves a job object for the garbage collector
 * whose clean-up locks the new key; exporting that key (`export({ format: 'jwk' })`, as `boxKeyText` and
 * `publicKeyText` do) holds the same lock while it allocates, so a collection at that moment waits on itself
 * forever. Five peers hung so in one evening of benchmark runs (about a thousand starts: at start, making their
 * keys; sealing a direct message does the same), and not even SIGTERM could end them (gdb: `~KeyGenJob` under
 * `ExportJWKEdKey`). A key imported from its bytes has no such job. New: WeApRous had no keys.
 */

import { createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';

/**
 * The bytes go in as a JWK (RFC 8037 §2), which Node imports as fast as it generates a key (about 90 µs); PKCS #8
 * DER through OpenSSL 3's decoder takes 700. Node makes a private key from `d` alone and derives the public half;
 * its parser asks for an `x` string too, and ignores it, so `x` is 32 zero bytes here, never read.
 */
const UNUSED_X = Buffer.alloc(32).toString('base64url');
const CURVES = { ed25519: 'Ed25519', x25519: 'X25519' } as const;

/** `newPrivateKey('x25519')` → a KeyObject as `generateKeyPairSync('x25519').privateKey` is, without the hang. */
export function newPrivateKey(type: 'ed25519' | 'x25519'): KeyObject {
  const d = randomBytes(32).toString('base64url');
  return createPrivateKey({ key: { kty: 'OKP', crv: CURVES[type], d, x: UNUSED_X }, format: 'jwk' });
}
