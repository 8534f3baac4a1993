/**
 * What a private channel's key becomes, the same on every peer and on the tracker, so the key itself never
 * travels (docs/security/channels.md): one slow scrypt, then HKDF-SHA256 (RFC 5869) to a subkey per purpose,
 * and an Ed25519 key pair whose public half is the tracker's verifier. Holds no key; touches no file. New.
 */

import { createPrivateKey, createPublicKey, hkdfSync, scrypt, sign, type KeyObject } from 'node:crypto';
import { canonicalJson, isPublicKeyText, publicKeyText, verify } from './signature';

/** scrypt's cost (RFC 7914): about 50 ms and 16 MiB, once per channel joined, so each guess of a key costs as much. */
export const CHANNEL_SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** What a subkey is for: proving the key to a member, sealing messages, signing claims to the tracker. */
export type ChannelPurpose = 'proof' | 'message' | 'tracker';

/** Keys shorter than this are said to be guessable (`/join`); any key works. */
export const SHORT_KEY_CHARS = 12;

/** The channel's master secret: scrypt(key, salt = its name), the same on every member (RFC 7914 §2). */
export function channelMaster(channel: string, key: string): Promise<Buffer> {
  return new Promise((done, fail) =>
    scrypt(key, `weaprous channel #${channel}`, 32, CHANNEL_SCRYPT, (error, master) => (error ? fail(error) : done(master))),
  );
}

/** A 32-byte subkey for one purpose: HKDF-Expand of the master with the purpose as `info` (RFC 5869 §2.3). */
export function channelSubkey(master: Buffer, purpose: ChannelPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `weaprous-channel-v1 ${purpose}`, 32));
}

/** The key pair a member signs its claims to the tracker with; `verifier` is what the tracker keeps. */
export interface ChannelSigner {
  privateKey: KeyObject;
  verifier: string;
}

// RFC 8410 §7: a PKCS #8 Ed25519 private key is this prefix followed by the 32-byte seed.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The Ed25519 key pair whose seed is the master's `tracker` subkey (RFC 8032 §5.1.5). */
export function channelSigner(master: Buffer): ChannelSigner {
  const seed = channelSubkey(master, 'tracker');
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, verifier: publicKeyText(createPublicKey(privateKey)) };
}

/** A claim to be in a private channel, as `/add-list/` and the heartbeat carry it: `"proof":{...}` beside `channel`. */
export interface ChannelProof {
  verifier: string;
  /** ms since the epoch: the tracker takes a proof signed in the last five minutes only. */
  time: number;
  /** Ed25519 signature of `claimBody(channel, peerId, time)` by the channel's signer, base64. */
  signature: string;
}

/** What a claim signs: the channel, the peer and the time, so it cannot be used for another or later. */
export function claimBody(channel: string, peerId: string, time: number): object {
  return { purpose: 'weaprous-channel-v1 join', channel, peer_id: peerId, time };
}

/** `proveClaim(signer, 'team', '127.0.0.1:5001', Date.now())` → the fields to send instead of the key. */
export function proveClaim(signer: ChannelSigner, channel: string, peerId: string, time: number): ChannelProof {
  const signature = sign(null, Buffer.from(canonicalJson(claimBody(channel, peerId, time)), 'utf8'), signer.privateKey);
  return { verifier: signer.verifier, time, signature: signature.toString('base64') };
}

/** Whether `proof` was signed for this channel and peer by the holder of its verifier's private half (its time is the caller's). */
export function claimHolds(proof: ChannelProof, channel: string, peerId: string): boolean {
  return isVerifier(proof.verifier) && verify(claimBody(channel, peerId, proof.time), proof.signature, proof.verifier);
}

/** A verifier's text: an Ed25519 public key as `signature.ts` writes one (44 characters of base64). */
export function isVerifier(value: unknown): value is string {
  return isPublicKeyText(value);
}

/** The verifier a key gives, as a tracker computes it when a client sends the key itself (curl). */
export async function verifierOf(channel: string, key: string): Promise<string> {
  return channelSigner(await channelMaster(channel, key)).verifier;
}
