/**
 * A client that keeps what a peer sends, as it went, before handing it to a real one: what the replay and pair
 * MAC tests capture on the wire and send again, changed or elsewhere. Test helper; new.
 */

import type { HttpClient, RequestOptions } from '../../../../daemon/client';

/** One request as sent: its URL, its headers, its body's bytes and, when it is JSON, the value. */
export interface Captured {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  json?: unknown;
}

/** `const { tap, captured } = tapping(client)`: give `tap` to the peer under test, read `captured` after. */
export function tapping(client: HttpClient): { tap: HttpClient; captured: Captured[] } {
  const captured: Captured[] = [];
  const tap = {
    request: (url: string, options: RequestOptions = {}) => {
      const body = options.json !== undefined ? Buffer.from(JSON.stringify(options.json)) : Buffer.from(options.body ?? '');
      const json = options.json ?? (body.length > 0 ? JSON.parse(String(body)) : undefined);
      captured.push({ url, headers: options.headers ?? {}, body, json });
      return client.request(url, options);
    },
  } as HttpClient;
  return { tap, captured };
}
