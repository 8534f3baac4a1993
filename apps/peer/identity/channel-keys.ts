/**
 * What a private channel's key is turned into, so the key itself never leaves the peer: a proof key,
 * scrypt(key, salt = the channel's name), and proofs, HMAC-SHA256 over (channel, prover, verifier, time) with
 * it. A member shows another that it holds the key by such a proof (docs/security/private.md). The one place
 * keys are derived: keys for other purposes (encrypting a channel) belong here too. New; no WeApRous twin.
 */

import { createHmac, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt's cost: about 50 ms and 16 MiB once per channel joined, so a proof seen on the wire is slow to guess from. */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** What a proof is about: `from` proves to `to` that it holds `channel`'s key, at `time` (ms since the epoch). */
export interface ProofFields {
  channel: string;
  from: string;
  to: string;
  time: number;
}

/** The proof key of `channel` with `key`: the same on every member, and useless for any other channel. */
export function deriveProofKey(channel: string, key: string): Promise<Buffer> {
  return new Promise((done, fail) =>
    scrypt(key, `weaprous channel proof #${channel}`, 32, SCRYPT, (error, derived) => (error ? fail(error) : done(derived))),
  );
}

/** The proof, as base64: `channelProof(proofKey, { channel: 'secret', from: alice, to: bob, time: Date.now() })`. */
export function channelProof(proofKey: Buffer, fields: ProofFields): string {
  const text = JSON.stringify([fields.channel, fields.from, fields.to, fields.time]);
  return createHmac('sha256', proofKey).update(text).digest('base64');
}

/** Whether `proof` is the proof of `fields` under `proofKey` (compared in constant time). */
export function isChannelProof(proofKey: Buffer, fields: ProofFields, proof: unknown): boolean {
  if (typeof proof !== 'string' || proof.length > 100) return false;
  const expected = Buffer.from(channelProof(proofKey, fields), 'base64');
  const given = Buffer.from(proof, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The proof keys of the channels joined with a key, each derived once (per key) and kept. */
export class ChannelKeys {
  private readonly derived = new Map<string, { key: string; proofKey: Promise<Buffer> }>();

  /** `keyOf` says the key a channel was joined with (undefined: not joined, or public). */
  constructor(private readonly keyOf: (channel: string) => string | undefined) {}

  /** The proof key of a channel joined with a key; undefined for a public channel or one not joined. */
  proofKey(channel: string): Promise<Buffer> | undefined {
    const key = this.keyOf(channel);
    if (key === undefined) {
      this.derived.delete(channel);
      return undefined;
    }
    const held = this.derived.get(channel);
    if (held?.key === key) return held.proofKey;
    const proofKey = deriveProofKey(channel, key);
    this.derived.set(channel, { key, proofKey });
    return proofKey;
  }
}
