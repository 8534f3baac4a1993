/**
 * A peer's identity: an Ed25519 key pair kept in its data folder, the public key as short text, and
 * signatures over message bodies in a canonical JSON form. Which key belongs to which peer is
 * `known-peers.ts`'s job, and the routes do not use any of this yet (docs/identity.md).
 * New: in WeApRous `apps/peer.py` a peer is only its address, and anyone can claim any address.
 */

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as signBytes,
  verify as verifyBytes,
  type KeyObject,
} from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The private key, PKCS8 PEM, readable by its owner only. */
export const IDENTITY_FILE = 'identity.pem';

/** The body field that carries the signature, and the one field the signature does not cover. */
export const SIGNATURE_FIELD = 'signature';

export interface Identity {
  /** The public key as text: base64 of the raw 32 bytes, 44 characters ending in `=`. */
  readonly publicKey: string;
  /** The signature of a body (base64 of 64 bytes): every field but `signature`, in canonical JSON. */
  sign(body: object): string;
}

/** The identity kept in `folder`, created (folder and all) the first time. `loadOrCreateIdentity('.peer-5001')` */
export function loadOrCreateIdentity(folder: string): Identity {
  const file = path.join(folder, IDENTITY_FILE);
  const privateKey = fs.existsSync(file) ? readIdentity(file) : createIdentity(folder, file);
  return {
    publicKey: publicKeyText(createPublicKey(privateKey)),
    sign: (body) => signBytes(null, signedBytes(body), privateKey).toString('base64'),
  };
}

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
  return verifyBytes(null, signed, parsePublicKey(publicKey), bytes);
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

/** A public key from its text form; throws a sentence for anything else. */
export function parsePublicKey(text: string): KeyObject {
  if (!isPublicKeyText(text)) {
    throw new Error(`"${text}" is not an Ed25519 public key: expected the base64 of 32 bytes, 44 characters ending in "="`);
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(text, 'base64').toString('base64url') }, format: 'jwk' });
}

/** Writes a whole file and waits until it is on disk; `flag: 'wx'` fails rather than replace a file. */
export function writeFileDurably(file: string, text: string, options: { mode: number; flag: 'w' | 'wx' }): void {
  const fd = fs.openSync(file, options.flag, options.mode);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A damaged key file is an error, never a reason to make a new identity: the peers know this one. */
function readIdentity(file: string): KeyObject {
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).syscall) throw error; // could not read it at all: the system's own words
  }
  if (key?.asymmetricKeyType === 'ed25519') return key;
  throw new Error(
    `${file} is not an Ed25519 private key in PKCS8 PEM, so this peer cannot prove who it is. The file was left as it is: ` +
      'put back a good copy, or move it away to start with a new identity (peers that knew the old one will refuse the new key).',
  );
}

/**
 * A new key pair, written whole under a temporary name and then linked into place: a crash leaves no
 * half-written key, and a peer that created the file first (same folder, same moment) keeps its key.
 */
function createIdentity(folder: string, file: string): KeyObject {
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const temp = `${file}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true });
  writeFileDurably(temp, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readIdentity(file);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  return privateKey;
}
