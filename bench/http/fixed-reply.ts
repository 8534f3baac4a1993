/**
 * The bytes of the raw-socket upper bound (`bench/http/servers/raw.ts`): one fixed HTTP response, and a count
 * of how many requests a chunk of bytes finished, found by looking for the blank line that ends a GET's
 * head (`\r\n\r\n`, RFC 9112 §2.1) and nothing else: no request line, no headers, no validation. That is
 * what makes it a bound and not a server. New: no WeApRous twin.
 */

import { HELLO } from './serve';

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * The same header set and size as the daemon's answer, with a fixed `Date` (same width as a real one),
 * so the bound pays for the same bytes on the wire and none of the work of producing them.
 */
export const FIXED_REPLY = Buffer.from(
  'HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(HELLO)}\r\nConnection: keep-alive\r\n\r\n${HELLO}`,
  'latin1',
);

export interface RequestEnds {
  /** How many `\r\n\r\n` the chunk completed. */
  count: number;
  /** How many bytes of a `\r\n\r\n` the chunk ended with (0-3), to carry into the next chunk. */
  carried: number;
}

/**
 * Counts the request heads that `chunk` finishes, given that the previous chunk ended with `carried`
 * bytes of `\r\n\r\n` (a pipelined batch may be split anywhere by TCP).
 * Example: `countRequestEnds(Buffer.from('\r\n'), 2)` → `{ count: 1, carried: 0 }`.
 */
export function countRequestEnds(chunk: Buffer, carried: number): RequestEnds {
  let count = 0;
  let from = 0;
  if (carried > 0) {
    let matched = carried;
    while (matched < 4 && from < chunk.length && chunk[from] === HEAD_END[matched]) {
      matched++;
      from++;
    }
    if (matched === 4) count++;
    else if (from === chunk.length) return { count: 0, carried: matched };
    else from = 0;
  }
  for (let at = chunk.indexOf(HEAD_END, from); at !== -1; at = chunk.indexOf(HEAD_END, from)) {
    count++;
    from = at + 4;
  }
  return { count, carried: trailingPrefix(chunk, from) };
}

/** The length of the longest end of `chunk` (after `from`) that is the start of `\r\n\r\n`. */
function trailingPrefix(chunk: Buffer, from: number): number {
  for (let length = 3; length > 0; length--) {
    const start = chunk.length - length;
    if (start >= from && chunk.subarray(start).equals(HEAD_END.subarray(0, length))) return length;
  }
  return 0;
}

const batches = new Map<number, Buffer>();

/** `FIXED_REPLY` repeated `count` times, built once per count: a pipelined batch gets one write. */
export function replies(count: number): Buffer {
  let batch = batches.get(count);
  if (!batch) {
    batch = Buffer.concat(Array.from({ length: count }, () => FIXED_REPLY));
    if (count <= 64) batches.set(count, batch);
  }
  return batch;
}
