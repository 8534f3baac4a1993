/**
 * Receipts: which of this peer's own messages are still pending, not yet taken (or refused for good) by every
 * peer they were handed to. `onSettled` hears each message once it is settled everywhere. Bounded, in memory:
 * after a restart, what an outbox still holds is not marked pending. New, not in WeApRous.
 */

export const RECEIPT_LIMIT = 10_000;

export class Receipts {
  private readonly owed = new Map<string, Set<string>>();

  constructor(
    private readonly onSettled: (id: string) => void,
    private readonly limit = RECEIPT_LIMIT,
  ) {}

  /** A message was just handed to `peerIds`: pending until each has it (nothing to wait for when there are none). */
  expect(id: string, peerIds: string[]): void {
    if (peerIds.length === 0) return;
    this.owed.set(id, new Set(peerIds));
    if (this.owed.size > this.limit) this.owed.delete(this.owed.keys().next().value as string);
  }

  /** `peerId` has the message (it answered 2xx), or will never take it: one fewer to wait for. */
  settle(id: string, peerId: string): void {
    const peers = this.owed.get(id);
    if (!peers?.delete(peerId) || peers.size > 0) return;
    this.owed.delete(id);
    this.onSettled(id);
  }

  isPending(id: string): boolean {
    return this.owed.has(id);
  }

  get size(): number {
    return this.owed.size;
  }
}
