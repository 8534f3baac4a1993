/**
 * Private channel keys sent as they are (a curl client's `"key"`; a peer sends a proof instead, `join.ts`):
 * the verifier a key gives (`apps/channel-secret.ts`), worked out with scrypt, slow on purpose, so the work a
 * stranger can start is capped: one at a time per peer id, and per source address one at a time and a few a
 * second (`shares.ts`); a few run at once for the whole tracker, the next ones queue. Beyond that `KeysBusy`
 * is thrown at once, before any work. New: WeApRous's tracker had no channels (docs/protocol.md).
 */

import { verifierOf } from '../channel-secret';
import { RateLimiter } from '../ratelimit';
import { shareOf } from '../../daemon/admission';

/** What the tracker keeps of a private channel's key: its verifier, an Ed25519 public key in base64. */
export type Verifier = string;

/**
 * Thrown instead of starting scrypt: `who` is 'peer' (this peer id has a check pending), 'address' (its source
 * address has one pending, or used its checks for now: `retryAfter` seconds) or 'tracker' (the queue is full).
 */
export class KeysBusy extends Error {
  constructor(
    readonly who: 'peer' | 'address' | 'tracker',
    readonly retryAfter = 1,
  ) {
    super(`key checks busy (${who})`);
    this.name = 'KeysBusy';
  }
}

export interface KeyOptions {
  /** Most scrypt runs at once for the whole tracker. Each takes 128 * cost * 8 bytes (16 MiB at the default). */
  maxPending?: number;
  /** Most checks waiting for a turn; one more is refused (503). */
  maxQueued?: number;
  /** Checks per source address: by default 3 at once, then 2 a second. */
  perAddress?: RateLimiter;
  /** How a key becomes its verifier: `verifierOf` (scrypt) unless a test of the limits wants it instant. */
  derive?: (channel: string, key: string) => Promise<Verifier>;
}

export class ChannelKeys {
  private readonly busyPeers = new Set<string>();
  private readonly busyAddresses = new Set<string>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private readonly maxPending: number;
  private readonly maxQueued: number;
  private readonly perAddress: RateLimiter;
  private readonly derive: (channel: string, key: string) => Promise<Verifier>;

  constructor({ maxPending = 2, maxQueued = 32, perAddress = new RateLimiter(3, 2), derive = verifierOf }: KeyOptions = {}) {
    this.maxPending = maxPending;
    this.maxQueued = maxQueued;
    this.perAddress = perAddress;
    this.derive = derive;
  }

  /** Checks running or waiting. */
  get pending(): number {
    return this.busyPeers.size;
  }

  /** The verifier `key` gives for `channel`; `source` is the address of the request. */
  async verifierOf(peerId: string, channel: string, key: string, source?: string): Promise<Verifier> {
    const address = shareOf(source);
    this.admit(peerId, address, Date.now());
    this.busyPeers.add(peerId);
    if (address !== null) this.busyAddresses.add(address);
    try {
      await this.turn();
      try {
        return await this.derive(channel, key);
      } finally {
        this.release();
      }
    } finally {
      this.busyPeers.delete(peerId);
      if (address !== null) this.busyAddresses.delete(address);
    }
  }

  /** Throws `KeysBusy` when this peer, this address or the queue has no room; else counts the check in. */
  private admit(peerId: string, address: string | null, now: number): void {
    if (this.busyPeers.has(peerId)) throw new KeysBusy('peer');
    if (address !== null && this.busyAddresses.has(address)) throw new KeysBusy('address');
    if (this.running >= this.maxPending && this.waiting.length >= this.maxQueued) throw new KeysBusy('tracker');
    const wait = address === null ? 0 : this.perAddress.take(address, now);
    if (wait > 0) throw new KeysBusy('address', wait);
  }

  /** Resolves when a scrypt slot is free: first come, first served (each address has one check at most). */
  private async turn(): Promise<void> {
    if (this.running < this.maxPending) this.running++;
    else await new Promise<void>((done) => this.waiting.push(done));
  }

  /** Hands the slot to the first check waiting, or frees it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
