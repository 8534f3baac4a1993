/**
 * Private channel keys: a salted scrypt hash to keep, and a constant-time check of a key against it. scrypt
 * is slow on purpose, so the work a stranger can start is capped: one check at a time per peer id, and a
 * few at a time for the whole tracker; beyond that `KeysBusy` is thrown at once, before any work.
 * New: WeApRous's tracker had no channels (docs/protocol.md, "Channels").
 */

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** What the tracker keeps of a key: a random salt and scrypt(key, salt). */
export interface KeySecret {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Thrown instead of starting scrypt: `who` is 'peer' (this peer id has a check pending) or 'tracker' (the cap). */
export class KeysBusy extends Error {
  constructor(readonly who: 'peer' | 'tracker') {
    super(who === 'peer' ? 'a key check for this peer is already running' : 'the tracker is checking as many keys as it allows');
    this.name = 'KeysBusy';
  }
}

export interface KeyOptions {
  /** Most scrypt runs at once for the whole tracker. Each takes 128 * cost * 8 bytes (16 MiB at the default). */
  maxPending?: number;
  /** scrypt's N, a power of two; Node's default 16384 (about 50 ms). Tests pass less. */
  cost?: number;
}

const HASH_BYTES = 32;

export class ChannelKeys {
  private readonly busyPeers = new Set<string>();
  private readonly maxPending: number;
  private readonly cost: number;

  constructor({ maxPending = 2, cost = 16384 }: KeyOptions = {}) {
    this.maxPending = maxPending;
    this.cost = cost;
  }

  /** scrypt runs in progress. */
  get pending(): number {
    return this.busyPeers.size;
  }

  /** A new secret for `key`, with a random 16-byte salt. */
  async hash(peerId: string, key: string): Promise<KeySecret> {
    const salt = randomBytes(16);
    return { salt, hash: await this.run(peerId, key, salt) };
  }

  /** True when `key` is the one `secret` was made from; compared in constant time. */
  async verify(peerId: string, key: string, secret: KeySecret): Promise<boolean> {
    const hash = await this.run(peerId, key, secret.salt);
    return timingSafeEqual(hash, secret.hash);
  }

  private async run(peerId: string, key: string, salt: Buffer): Promise<Buffer> {
    if (this.busyPeers.has(peerId)) throw new KeysBusy('peer');
    if (this.busyPeers.size >= this.maxPending) throw new KeysBusy('tracker');
    this.busyPeers.add(peerId);
    try {
      return await new Promise<Buffer>((done, fail) =>
        scrypt(key, salt, HASH_BYTES, { N: this.cost }, (error, hash) => (error ? fail(error) : done(hash))),
      );
    } finally {
      this.busyPeers.delete(peerId);
    }
  }
}
