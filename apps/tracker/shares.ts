/**
 * The tracker's share of registrations per source address: fair shares, not first come. Which address a request
 * counts against, and that this machine's own (loopback) counts against none, is `shareOf` in
 * daemon/admission.ts, the rule every share uses. New: WeApRous's tracker counted nothing.
 */

/**
 * Registered ids no key proves (the document's key-less `/submit-info/`) per source address: made-up ids cost
 * their maker, and 300,000 of them from one laptop made `/get-list/` too large for a peer to read.
 */
export const UNPROVEN_PER_ADDRESS = 16;
