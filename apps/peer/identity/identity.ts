/**
 * A peer's identity: an Ed25519 key pair kept in its data folder, the public key as short text, and
 * signing message bodies in the canonical JSON form of `apps/signature.ts`. Which key belongs to which peer is
 * `known-peers.ts`'s job; `trust.ts` and `tracker-client.ts` sign with it (docs/identity.md).
 * New: in WeApRous `apps/peer.py` a peer is only its address, and anyone can claim any address.
 */

import { createPrivateKey, createPublicKey, diffieHellman, sign as signBytes, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { publicKeyText, signedBytes } from '../../signature';
import { boxKeyBody, boxKeyText, type Envelope, open, parseBoxKey, type SealedHeader } from './envelope';
import { newPrivateKey } from './new-key';

/** The private key, PKCS8 PEM, readable by its owner only. */
export const IDENTITY_FILE = 'identity.pem';
/** The X25519 private key direct messages are sealed for (`envelope.ts`), beside the identity, same mode. */
export const BOX_KEY_FILE = 'box-key.pem';

export interface Identity {
  /** The public key as text: base64 of the raw 32 bytes, 44 characters ending in `=`. */
  readonly publicKey: string;
  /** The signature of a body (base64 of 64 bytes): every field but `signature`, in canonical JSON. */
  sign(body: object): string;
  /** The X25519 public key others seal direct messages for, as text (`envelope.ts: boxKeyText`). */
  readonly boxKey: string;
  /** This identity's signature of `boxKeyBody(boxKey)`: a peer that knows the identity key can trust the box key. */
  readonly boxKeySignature: string;
  /** The text of an envelope sealed for this peer's box key, or null (`envelope.ts: open`). */
  openSealed(envelope: Envelope, header: SealedHeader): string | null;
  /** The X25519 shared secret with another peer's box key (its text): the root of the pair's key (`pair-keys.ts`). */
  agree(boxKey: string): Buffer;
}

/** The identity kept in `folder`, created (folder and all) the first time. `loadOrCreateIdentity('.peer-5001')` */
export function loadOrCreateIdentity(folder: string): Identity {
  const file = path.join(folder, IDENTITY_FILE);
  const privateKey = fs.existsSync(file) ? readKey(file, 'ed25519') : createKey(folder, file, 'ed25519');
  const sign = (body: object) => signBytes(null, signedBytes(body), privateKey).toString('base64');
  // A key of its own, never the Ed25519 key converted: one key, one use (docs/identity.md).
  const boxFile = path.join(folder, BOX_KEY_FILE);
  const boxPrivate = fs.existsSync(boxFile) ? readKey(boxFile, 'x25519') : createKey(folder, boxFile, 'x25519');
  const boxKey = boxKeyText(createPublicKey(boxPrivate));
  return {
    publicKey: publicKeyText(createPublicKey(privateKey)),
    sign,
    boxKey,
    boxKeySignature: sign(boxKeyBody(boxKey)),
    openSealed: (envelope, header) => open(envelope, header, boxPrivate),
    agree: (otherBoxKey) => diffieHellman({ privateKey: boxPrivate, publicKey: parseBoxKey(otherBoxKey) }),
  };
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
function readKey(file: string, type: 'ed25519' | 'x25519'): KeyObject {
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).syscall) throw error; // could not read it at all: the system's own words
  }
  if (key?.asymmetricKeyType === type) return key;
  const what =
    type === 'ed25519'
      ? 'an Ed25519 private key in PKCS8 PEM, so this peer cannot prove who it is'
      : 'an X25519 private key in PKCS8 PEM, so this peer cannot read its direct messages';
  throw new Error(
    `${file} is not ${what}. The file was left as it is: ` +
      'put back a good copy, or move it away to start with a new identity (peers that knew the old one will refuse the new key).',
  );
}

/**
 * A new key pair, written whole under a temporary name and then linked into place: a crash leaves no
 * half-written key, and a peer that created the file first (same folder, same moment) keeps its key.
 */
function createKey(folder: string, file: string, type: 'ed25519' | 'x25519'): KeyObject {
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const privateKey = newPrivateKey(type);
  const temp = `${file}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true });
  writeFileDurably(temp, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readKey(file, type);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  return privateKey;
}
