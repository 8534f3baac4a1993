/**
 * Receipts: which of this peer's own messages are still pending, that is, not yet acknowledged (a 2xx) by every
 * peer they were handed to, whether in flight or waiting in an outbox. A message whose last peer acknowledges
 * it, or refuses it for good (a 4xx, an outbox that is full), is delivered as far as it ever will be:
 * `onSettled` hears it once. At most `limit` messages are followed; the oldest is forgotten beyond (and then
 * shows as delivered). Kept in memory: after a restart, messages a run before left in an outbox are not
 * marked pending, though `/peers` and the page's peer list still count them. New, not in WeApRous.
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
