/**
 * Proof of address for a key (docs/identity.md): before a peer id (`ip:port`) is bound to a key for the first
 * time, whoever binds it asks that address `GET /identity/` and binds the key only if the answer holds it.
 * Used by `peer/identity/trust.ts` and `tracker/routes.ts`. New; WeApRous trusted every address it was told.
 */

import type { HttpClient } from '../daemon/client';
import { reasonOf } from './text';

/** What `GET /identity/` at a peer's address said: its key, or why it could not be asked. */
export type KeyAnswer = { ok: true; key: string | undefined; box?: BoxKeyClaim } | { ok: false; reason: string };

/** A peer's X25519 box key and its identity's signature of it, as `/identity/` says (docs/identity.md). */
export interface BoxKeyClaim {
  box_key: unknown;
  box_key_signature: unknown;
}

/**
 * At most this many addresses are asked at once for the requests of one source address, and this many in
 * all: a stranger naming a thousand ids (or a thousand that never answer) is told to wait, and the
 * classmates on other addresses are not. All of a demo's peers share 127.0.0.1, hence room for a class.
 */
export const MAX_PENDING_PER_SOURCE = 8;
export const MAX_PENDING_CHECKS = 64;
/** An `/identity/` answer needs no work: a peer that takes longer than this does not count as answering. */
export const ASK_KEY_TIMEOUT_MS = 1_000;
/** The largest `/identity/` answer read: a peer id, a name and a key fit in far less. */
const MAX_ANSWER_BYTES = 16 * 1024;

/** Where to ask: an id's address. */
export interface PeerAddress {
  ip: string;
  port: number;
  /** `https` for a peer that serves HTTPS (`"scheme"` in its registration or hello); absent: http. */
  scheme?: 'https';
}

/**
 * Asks an address for the key of the peer listening there (`KeyOwners.keyAt`, or a stand-in in a test);
 * `source` is the address of the request that made us ask, which the limits count against.
 */
export type AskKey = (address: PeerAddress, source?: string) => Promise<KeyAnswer>;

/**
 * Asks the peer at an address for its key. One question per address at a time: a second caller shares the
 * first one's answer. `new KeyOwners(client, 3000).keyAt({ ip: '127.0.0.1', port: 5002 })`.
 */
export class KeyOwners {
  private readonly pending = new Map<string, Promise<KeyAnswer>>();
  /** Questions out per source address. */
  private readonly bySource = new Map<string, number>();

  constructor(
    private readonly client: HttpClient,
    private readonly timeoutMs = ASK_KEY_TIMEOUT_MS,
  ) {}

  keyAt(address: PeerAddress, source = ''): Promise<KeyAnswer> {
    const host = address.ip.includes(':') ? `[${address.ip}]` : address.ip; // an IPv6 address goes in brackets
    const url = `${address.scheme ?? 'http'}://${host}:${address.port}/identity/`;
    const asked = this.pending.get(url);
    if (asked) return asked;
    const fromSource = this.bySource.get(source) ?? 0;
    if (fromSource >= MAX_PENDING_PER_SOURCE || this.pending.size >= MAX_PENDING_CHECKS) {
      return Promise.resolve({ ok: false, reason: 'too many new keys are being checked at once; try again in a moment' });
    }
    this.bySource.set(source, fromSource + 1);
    const answer = this.ask(url).finally(() => {
      this.pending.delete(url);
      const left = (this.bySource.get(source) ?? 1) - 1;
      if (left > 0) this.bySource.set(source, left);
      else this.bySource.delete(source);
    });
    this.pending.set(url, answer);
    return answer;
  }

  private async ask(url: string): Promise<KeyAnswer> {
    try {
      const response = await this.client.request(url, { timeoutMs: this.timeoutMs, maxBodyBytes: MAX_ANSWER_BYTES });
      if (response.status !== 200) return { ok: false, reason: `${url} answered ${response.status}` };
      const body = response.json<Record<string, unknown>>();
      const key = body !== null && typeof body === 'object' ? body.public_key : undefined;
      if (body === null || typeof body !== 'object' || body.box_key === undefined)
        return { ok: true, key: typeof key === 'string' ? key : undefined };
      const box = { box_key: body.box_key, box_key_signature: body.box_key_signature };
      return { ok: true, key: typeof key === 'string' ? key : undefined, box };
    } catch (error) {
      return { ok: false, reason: `${url} could not be asked: ${reasonOf(error)}` };
    }
  }
}

/**
 * Null when `answer` confirms that `peerId`'s address holds `key`; else the sentence for the refusal. Without
 * this check a stranger could send the first request for a classmate's id with the stranger's own key, and the
 * classmate would be refused as an impostor from then on. Why an address could not be asked (refused, timed
 * out, answered 404) is not told: that would make this check a port scanner for anyone who sends a key.
 * `scheme` is the peer's (`https`): the sentence then names the flags that let the asker check its certificate.
 */
export function keyMismatch(peerId: string, key: string, answer: KeyAnswer, scheme?: 'https'): string | null {
  if (!answer.ok && answer.reason.startsWith('too many')) return `The key offered for ${peerId} cannot be checked now: ${answer.reason}`;
  // Over HTTPS the asker must also trust the peer's certificate: say which flag gives it (still not why it failed).
  const tls =
    scheme === 'https' ? ", over HTTPS with a certificate the asker trusts (the tracker's --tls-ca, a peer's --tls-ca or --tls-pin)" : '';
  if (!answer.ok)
    return `The key offered for ${peerId} cannot be confirmed: the peer listening at that address must answer GET /identity/ with it${tls}; a key is bound only when it does`;
  if (answer.key !== key)
    return `The peer listening at ${peerId} holds ${answer.key === undefined ? 'no key' : 'another key'}; a key is bound to an id only by the peer at that address`;
  return null;
}
