/**
 * The courier: what delivery hands messages to (`network/peer-client.ts`'s `PeerClient` is the real one), and the
 * one rule for its answers: a 2xx means the peer has the message, a 4xx (`Refused`) means it never will, and
 * anything else means "later". Several messages go in one request when the peer takes batches, else one by
 * one, in order. New; WeApRous `apps/peer.py` sent one request per message and forgot the failures.
 */

import { MAX_BATCH_MESSAGES } from '../../protocol';
import type { ChatMessage } from '../model/message';
import type { Address } from '../model/peers';

/** Thrown by a courier for a 4xx: the peer read the message and will never take it; sending again is useless. */
export class Refused extends Error {}

export interface Courier {
  /** Posts one message; resolves on 2xx, rejects with `Refused` on 4xx and with the reason otherwise. */
  send(peer: Address, message: ChatMessage): Promise<void>;
  /**
   * Posts several in one request: each one's refusal reason, or null when the peer has it; rejects when none
   * may have been stored. Resolves null when the peer takes one message per request (the document's kind).
   */
  sendBatch?(peer: Address, messages: ChatMessage[]): Promise<Array<string | null> | null>;
}

/** Messages to one peer, in order: each one's refusal reason, or null when the peer has it; rejects as `send` does. */
export async function sendInOrder(courier: Courier, peer: Address, messages: ChatMessage[]): Promise<Array<string | null>> {
  const batched = messages.length > 1 && courier.sendBatch ? await courier.sendBatch(peer, messages) : null;
  if (batched !== null) return batched;
  const refusals: Array<string | null> = [];
  for (const message of messages) {
    try {
      await courier.send(peer, message);
      refusals.push(null);
    } catch (error) {
      if (!(error instanceof Refused)) throw error; // no answer, or 5xx: the rest wait too
      refusals.push(error.message);
    }
  }
  return refusals;
}

/**
 * Bytes of messages in one batch at most (one message always goes, whatever its size): far below the 1 MiB
 * a WeApRous server takes in one request body, which a batch of 100 long messages would pass.
 */
export const MAX_BATCH_BYTES = 256 * 1024;

/** How many of `messages`, from the first, go in the next request: at most `MAX_BATCH_MESSAGES` and `MAX_BATCH_BYTES`. */
export function batchLength(messages: ChatMessage[]): number {
  let bytes = 0;
  let count = 0;
  for (const message of messages.slice(0, MAX_BATCH_MESSAGES)) {
    bytes += Buffer.byteLength(JSON.stringify(message));
    if (count > 0 && bytes > MAX_BATCH_BYTES) break;
    count += 1;
  }
  return count;
}
