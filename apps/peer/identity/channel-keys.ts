/**
 * What a private channel's key is turned into on this peer, so the key itself never leaves it: one slow
 * derivation (`apps/channel-secret.ts`) to a proof key (HMAC proofs between members: docs/security/private.md),
 * a message key (`envelope.ts: sealForChannel`) and the signer of claims to the tracker. New; no WeApRous twin.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { channelMaster, channelSigner, channelSubkey, type ChannelSigner } from '../../channel-secret';

/** What a proof is about: `from` proves to `to` that it holds `channel`'s key, at `time` (ms since the epoch). */
export interface ProofFields {
  channel: string;
  from: string;
  to: string;
  time: number;
}

/** Everything a channel's key gives, derived once per key. */
export interface ChannelSecrets {
  proofKey: Buffer;
  /** Seals and opens the channel's messages (`envelope.ts`). */
  messageKey: Buffer;
  /** Signs this peer's claims to be in the channel, for the tracker (`channel-secret.ts: proveClaim`). */
  signer: ChannelSigner;
}

/** `await deriveSecrets('secret', 'hunter2')`: the same on every member, useless for any other channel. */
export async function deriveSecrets(channel: string, key: string): Promise<ChannelSecrets> {
  const master = await channelMaster(channel, key);
  return { proofKey: channelSubkey(master, 'proof'), messageKey: channelSubkey(master, 'message'), signer: channelSigner(master) };
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

/** The secrets of the channels joined with a key, each derived once (per key) and kept. */
export class ChannelKeys {
  private readonly derived = new Map<string, { key: string; secrets: Promise<ChannelSecrets>; ready?: ChannelSecrets }>();

  /** `keyOf` says the key a channel was joined with (undefined: not joined, or public). */
  constructor(private readonly keyOf: (channel: string) => string | undefined) {}

  /** The secrets of a channel joined with a key, derived now or before; undefined for a public channel or one not joined. */
  secrets(channel: string): Promise<ChannelSecrets> | undefined {
    return this.held(channel)?.secrets;
  }

  /** The secrets of `key` for `channel`, derived before the channel is joined with it (to prove it to the tracker). */
  secretsOf(channel: string, key: string): Promise<ChannelSecrets> {
    return this.hold(channel, key).secrets;
  }

  /** The proof key of a channel joined with a key. */
  proofKey(channel: string): Promise<Buffer> | undefined {
    return this.secrets(channel)?.then((secrets) => secrets.proofKey);
  }

  /** The message key once derived (a channel's messages are read without waiting); undefined before, or when not joined. */
  messageKey(channel: string): Buffer | undefined {
    return this.held(channel)?.ready?.messageKey;
  }

  private held(channel: string) {
    const key = this.keyOf(channel);
    if (key === undefined) {
      this.derived.delete(channel);
      return undefined;
    }
    return this.hold(channel, key);
  }

  private hold(channel: string, key: string) {
    const held = this.derived.get(channel);
    if (held?.key === key) return held;
    const entry: { key: string; secrets: Promise<ChannelSecrets>; ready?: ChannelSecrets } = { key, secrets: deriveSecrets(channel, key) };
    entry.secrets.then(
      (secrets) => (entry.ready = secrets),
      () => undefined, // scrypt failed: `secrets` rejects for whoever awaits it
    );
    this.derived.set(channel, entry);
    return entry;
  }
}
