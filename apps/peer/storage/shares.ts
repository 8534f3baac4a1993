/**
 * Shares of the history file for messages from strangers (senders that are neither this peer nor a contact):
 * each sender key and each source address may store so many bytes per second, and so many in all, and
 * strangers together no more than `STRANGERS_BYTES`, so a flood is refused once over its share while contacts
 * and the owner keep their room. Plain state: `now` comes in. New, not in WeApRous. docs/security/peer-in.md.
 */

/** Bytes a sender or an address may store at once, then per second: 100 of the longest messages, then 3 a second. */
export const SHARE_BURST_BYTES = 1024 * 1024;
export const SHARE_BYTES_PER_SECOND = 32 * 1024;
/** Bytes one stranger key, and one source address, may store in all while this peer runs. */
export const SHARE_KEY_BYTES = 8 * 1024 * 1024;
export const SHARE_SOURCE_BYTES = 16 * 1024 * 1024;
/** Bytes all strangers together may store while this peer runs: under a conversation's memory, so none is evicted. */
export const STRANGERS_BYTES = 48 * 1024 * 1024;
/** Keys and addresses remembered at most: any number of made-up ids costs bounded memory. */
const TRACKED = 100_000;

interface Share {
  tokens: number;
  at: number;
  total: number;
}

export class HistoryShares {
  private readonly shares = new Map<string, Share>();
  private strangers = 0;

  /** A refusal (the sentence to answer 429 with) or null, and then `bytes` are charged to `key` and `source`. */
  charge(key: string, source: string, bytes: number, now: number): string | null {
    const mine = this.share(`key ${key}`, now);
    const theirs = this.share(`from ${source}`, now);
    if (this.strangers + bytes > STRANGERS_BYTES)
      return `This peer has stored all it takes from senders it has not talked with (${mb(STRANGERS_BYTES)}); it stores its contacts' messages only`;
    for (const [share, total, who] of [
      [mine, SHARE_KEY_BYTES, key],
      [theirs, SHARE_SOURCE_BYTES, source],
    ] as const) {
      if (share.total + bytes > total) return `${who} has stored its share of this peer's history (${mb(total)}); refused`;
      if (share.tokens < bytes) {
        const wait = Math.ceil((bytes - share.tokens) / SHARE_BYTES_PER_SECOND);
        return `${who} sends more than this peer stores for it (${SHARE_BYTES_PER_SECOND / 1024} KiB a second); try again in ${wait} s`;
      }
    }
    for (const share of [mine, theirs]) {
      share.tokens -= bytes;
      share.total += bytes;
    }
    this.strangers += bytes;
    return null;
  }

  private share(id: string, now: number): Share {
    let share = this.shares.get(id);
    if (!share) {
      if (this.shares.size >= TRACKED) this.shares.delete(this.shares.keys().next().value!);
      share = { tokens: SHARE_BURST_BYTES, at: now, total: 0 };
      this.shares.set(id, share);
    }
    share.tokens = Math.min(SHARE_BURST_BYTES, share.tokens + ((now - share.at) / 1000) * SHARE_BYTES_PER_SECOND);
    share.at = Math.max(share.at, now);
    return share;
  }
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}
