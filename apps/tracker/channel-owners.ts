/**
 * Which source address created which channel (`shares.ts`): each address's share of existing channels, and, when
 * the table is full, the address holding the most, whose newest channel goes first rather than refuse an address
 * with its share left. Pure state, used by `channels.ts`. New: WeApRous's tracker had no channels.
 */

import { normalAddress } from '../../daemon/admission';
import { shareOf } from '../../daemon/admission';

export class ChannelOwners {
  // The channels each source address created, oldest first.
  private readonly owned = new Map<string, Set<string>>();

  /** How many existing channels `owner` created. */
  count(owner: string): number {
    return this.owned.get(owner)?.size ?? 0;
  }

  add(owner: string, id: string): void {
    if (!this.owned.has(owner)) this.owned.set(owner, new Set());
    this.owned.get(owner)!.add(id);
  }

  remove(owner: string, id: string): void {
    const owned = this.owned.get(owner);
    owned?.delete(id);
    if (owned?.size === 0) this.owned.delete(owner);
  }

  /** The address holding the most channels, if it holds more than `owner` would after creating one. */
  hogOver(owner: string): string | undefined {
    const mine = this.count(owner) + 1;
    let hog: string | undefined;
    for (const [address, names] of this.owned)
      if (names.size > mine && names.size > (hog === undefined ? 0 : this.count(hog))) hog = address;
    return hog;
  }

  /** The channel `address` created last (what a full table takes back first). */
  newestOf(address: string): string | undefined {
    return [...(this.owned.get(address) ?? [])].pop();
  }
}

/** Whose share a channel counts against: the normal form of the source address ('' when unknown). */
export function ownerOf(source: string | undefined): string {
  return source === undefined ? '' : (shareOf(source) ?? normalAddress(source));
}
