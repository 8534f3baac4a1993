/**
 * A message's text sealed: a direct message for its one recipient (a fresh X25519 key agreement per message,
 * RFC 7748 §6.1), a private channel's for its members (a key per message from the channel's message key);
 * HKDF-SHA256 (RFC 5869) to one key, ChaCha20-Poly1305 (RFC 8439 §2.8) with the message's header as associated
 * data (docs/identity.md, "Direct messages, sealed"; docs/security/channels.md). Pure. New: WeApRous sent clear text.
 */

import { createCipheriv, createDecipheriv, createHmac, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { canonicalJson, verify } from '../../signature';
import { newPrivateKey } from './new-key';

/** What travels in place of the text: `v` the version, the rest base64. `ct` ends with the 16-byte tag. */
export interface Envelope {
  v: 1;
  /** The sender's ephemeral X25519 public key, raw 32 bytes; its private half is forgotten once sealed. */
  epk: string;
  /** 12 random bytes (RFC 8439 §2.8). */
  nonce: string;
  ct: string;
}

/** A private channel's sealed text: `salt` (16 random bytes) makes the message's own key, `ct` ends with the tag. */
export interface ChannelEnvelope {
  v: 1;
  salt: string;
  nonce: string;
  ct: string;
}

/** The fields of the message the envelope is bound to: moved into another message, it no longer opens. */
export interface SealedHeader {
  from: string;
  to: string;
  id: string;
  clock: number;
  timestamp: number;
  channel: string;
}

/** The text a peer that cannot open an envelope shows (and the `msg` of a sealed message on the wire). */
export const SEALED_TEXT = '(encrypted)';
const PROTOCOL = 'weaprous-direct-v1';
const CHANNEL_PROTOCOL = 'weaprous-channel-v1';
const TAG_BYTES = 16;

/** `seal('Hi Bob', header, bobBoxKey)` → an envelope only the holder of Bob's box private key opens. */
export function seal(text: string, header: SealedHeader, recipientBoxKey: string): Envelope {
  const recipient = recipientKey(recipientBoxKey);
  const ephemeral = newPrivateKey('x25519');
  const epk = boxKeyText(createPublicKey(ephemeral));
  const key = messageKey(diffieHellman({ privateKey: ephemeral, publicKey: recipient }), epk, recipientBoxKey, header);
  return { v: 1, epk, ...encrypt(key, text, header) };
}

/** The text, or null when the envelope was not sealed for this key, or it or its header was changed. */
export function open(envelope: Envelope, header: SealedHeader, myBoxPrivateKey: KeyObject): string | null {
  try {
    const mine = ownBoxKeyText(myBoxPrivateKey);
    const shared = diffieHellman({ privateKey: myBoxPrivateKey, publicKey: parseBoxKey(envelope.epk) });
    return decrypt(messageKey(shared, envelope.epk, mine, header), envelope, header);
  } catch {
    return null; // a bad key: "not for you, or changed"
  }
}

/**
 * `sealForChannel('Hi team', header, messageKey)` → an envelope every holder of the channel's key opens. Each
 * message gets its own key, HKDF of the channel's message key salted with 16 random bytes, so no key seals two
 * texts and a nonce can never repeat under one (RFC 8439 §4).
 */
export function sealForChannel(text: string, header: SealedHeader, channelMessageKey: Buffer): ChannelEnvelope {
  const salt = randomBytes(16);
  return { v: 1, salt: salt.toString('base64'), ...encrypt(channelKey(channelMessageKey, salt, header), text, header) };
}

/** The text of a channel envelope, or null when sealed under another key, or it or its header was changed. */
export function openFromChannel(envelope: ChannelEnvelope, header: SealedHeader, channelMessageKey: Buffer): string | null {
  return decrypt(channelKey(channelMessageKey, Buffer.from(envelope.salt, 'base64'), header), envelope, header);
}

/** One channel message's key: HKDF-SHA256 of the channel's message key, its salt, and `info` naming channel and sender. */
function channelKey(channelMessageKey: Buffer, salt: Buffer, header: SealedHeader): Buffer {
  return hkdf32(channelMessageKey, salt, `${CHANNEL_PROTOCOL} #${header.channel} ${header.from}`);
}

const BLOCK_ONE = Buffer.of(1);

/**
 * HKDF-SHA256 to 32 bytes (RFC 5869 §2.2 Extract, §2.3 Expand): 32 bytes are one block, `T(1) = HMAC(PRK, info |
 * 0x01)`, so two HMACs give the very bytes `hkdfSync` gives, in 11 µs of CPU instead of its 26 (it imports a key
 * object and runs a job each call): once per message at each end.
 */
export function hkdf32(secret: Buffer, salt: Buffer, info: string): Buffer {
  const prk = createHmac('sha256', salt).update(secret).digest();
  return createHmac('sha256', prk).update(info, 'utf8').update(BLOCK_ONE).digest();
}

/** ChaCha20-Poly1305 of `text` under a key used once, the header as associated data; a random nonce (RFC 8439 §2.8). */
function encrypt(key: Buffer, text: string, header: SealedHeader): { nonce: string; ct: string } {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(header), { plaintextLength: Buffer.byteLength(text) });
  const ct = Buffer.concat([cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { nonce: nonce.toString('base64'), ct: ct.toString('base64') };
}

/** The text, or null when the tag does not match (another key, a changed text or header) or the fields are malformed. */
function decrypt(key: Buffer, sealed: { nonce: string; ct: string }, header: SealedHeader): string | null {
  try {
    const ct = Buffer.from(sealed.ct, 'base64');
    if (ct.length < TAG_BYTES) return null;
    const decipher = createDecipheriv('chacha20-poly1305', key, Buffer.from(sealed.nonce, 'base64'), { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(header), { plaintextLength: ct.length - TAG_BYTES });
    decipher.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
    return Buffer.concat([decipher.update(ct.subarray(0, ct.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null; // a wrong nonce length, or the tag did not match: all mean "not for you, or changed"
  }
}

/**
 * One key per message: HKDF-SHA256 of the shared secret, salted with both public keys (so the key names
 * both ends of the agreement, as in RFC 9180 §4.1's `kem_context`) and with `info` naming the protocol and peers.
 */
function messageKey(shared: Buffer, epk: string, recipientBoxKey: string, header: SealedHeader): Buffer {
  const salt = Buffer.concat([Buffer.from(epk, 'base64'), Buffer.from(recipientBoxKey, 'base64')]);
  const info = `${PROTOCOL} ${header.from} ${header.to}`;
  return hkdf32(shared, salt, info);
}

/** The header as the exact bytes the tag covers: canonical JSON (RFC 8785), the same on every peer. */
function associatedData(header: SealedHeader): Buffer {
  const { from, to, id, clock, timestamp, channel } = header;
  return Buffer.from(canonicalJson({ channel, clock, from, id, timestamp, to }), 'utf8');
}

/** An X25519 public key as text: base64 of the raw 32 bytes (RFC 7748 §5), like the Ed25519 keys. */
export function boxKeyText(publicKey: KeyObject): string {
  const x = publicKey.export({ format: 'jwk' }).x as string;
  return Buffer.from(x, 'base64url').toString('base64');
}

/**
 * Keys a peer uses again and again, made once: its own box key's text (every direct message it opens) and the
 * box keys it seals for (its own and its contacts'). Each costs a key import or a JWK export, about a tenth of a
 * seal; bounded, the oldest recipient first out, as `signature.ts` keeps Ed25519 keys.
 */
const ownBoxKeys = new WeakMap<KeyObject, string>();
const recipients = new Map<string, KeyObject>();

function ownBoxKeyText(privateKey: KeyObject): string {
  let text = ownBoxKeys.get(privateKey);
  if (text === undefined) ownBoxKeys.set(privateKey, (text = boxKeyText(createPublicKey(privateKey))));
  return text;
}

function recipientKey(text: string): KeyObject {
  let key = recipients.get(text);
  if (key) return key;
  key = parseBoxKey(text);
  if (recipients.size >= 1_000) recipients.delete(recipients.keys().next().value as string);
  recipients.set(text, key);
  return key;
}

/** Whether `value` is a box key's text: 44 characters of base64 that decode to 32 bytes. */
export function isBoxKeyText(value: unknown): value is string {
  return typeof value === 'string' && value.length === 44 && Buffer.from(value, 'base64').toString('base64') === value;
}

/** The public key of a box key's text; throws for anything else. */
export function parseBoxKey(text: string): KeyObject {
  if (!isBoxKeyText(text)) throw new Error('a box key is the base64 of a raw X25519 public key (44 characters)');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(text, 'base64').toString('base64url') }, format: 'jwk' });
}

/** What a peer's Ed25519 identity signs to vouch for its box key: `{"box_key":"..."}` in canonical JSON. */
export function boxKeyBody(boxKey: string): { box_key: string } {
  return { box_key: boxKey };
}

/**
 * Whether `signature` is the Ed25519 signature of `boxKeyBody(boxKey)` by `publicKey` (an identity key), and the
 * box key one a key agreement works with. A low-order point (32 zero bytes, say: RFC 7748 §6.1) makes every
 * agreement fail, so every seal for it and every pair key with it (`pair-keys.ts`); it is refused like a forged one.
 */
export function boxKeySigned(boxKey: unknown, signature: unknown, publicKey: string): boxKey is string {
  return isBoxKeyText(boxKey) && verify(boxKeyBody(boxKey), signature, publicKey) && agreesWith(boxKey);
}

let probe: KeyObject | undefined;

/** Whether an X25519 agreement with the box key gives a secret (OpenSSL refuses the all-zero one of a low-order point). */
function agreesWith(boxKey: string): boolean {
  try {
    diffieHellman({ privateKey: (probe ??= newPrivateKey('x25519')), publicKey: recipientKey(boxKey) });
    return true;
  } catch {
    return false;
  }
}
