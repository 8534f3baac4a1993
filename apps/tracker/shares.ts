/**
 * Fair shares, not first come: what a stranger can fill at the tracker (unproven ids, channels, key checks) is
 * counted per source address, the `remoteAddress` of the request. This machine's own loopback addresses are
 * exempt, as the server's connection caps exempt them (daemon/admission.ts): the demo and the document's curl
 * examples all come from 127.0.0.1. New: WeApRous's tracker counted nothing.
 */

import { DEFAULT_UNCAPPED_ADDRESSES, normalAddress } from '../../daemon/admission';

const UNCAPPED = new Set(DEFAULT_UNCAPPED_ADDRESSES.map(normalAddress));

/** The address a share is counted against (`::ffff:10.0.0.2` → `10.0.0.2`); null when it has no share to count. */
export function shareOf(remoteAddress: string | undefined): string | null {
  if (remoteAddress === undefined) return null;
  const address = normalAddress(remoteAddress);
  return UNCAPPED.has(address) ? null : address;
}

/**
 * Registered ids no key proves (the document's key-less `/submit-info/`) per source address: made-up ids cost
 * their maker, and 300,000 of them from one laptop made `/get-list/` too large for a peer to read.
 */
export const UNPROVEN_PER_ADDRESS = 16;
