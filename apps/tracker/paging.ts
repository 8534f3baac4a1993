/**
 * The paging parameters of `GET /get-list/` (`?limit=100&after=127.0.0.1:5001`), like libp2p rendezvous's
 * cookie: peers in peer-id order, at most `limit` of them, after the id the previous page ended with. Pure:
 * it reads the query and returns the page asked for, or throws `HttpError(400)` with a sentence.
 * New: WeApRous's tracker sent every peer every time.
 */

import { HttpError } from '../../daemon/status';
import { CONTROL_CHARACTERS } from '../text';

/** The page asked for: at most `limit` peers whose id sorts after `after` (from the first when undefined). */
export interface PageQuery {
  limit: number;
  after?: string;
}

/** A page holds 100 peers unless the client asks for another number, up to 1,000 (about 80 KB). */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
/** A peer id is at most a 100-character host, ":" and a port; a longer cursor is not one of ours. */
const MAX_CURSOR = 120;

/**
 * `readPageQuery({ limit: '100' })` → `{ limit: 100 }`; `readPageQuery({})` → undefined, the document's
 * whole list. Either parameter asks for paging; `after` alone gets pages of 100.
 */
export function readPageQuery(query: Record<string, string | undefined>): PageQuery | undefined {
  const { limit, after } = query;
  if (limit === undefined && after === undefined) return undefined;
  const size = limit === undefined ? DEFAULT_PAGE : Number(limit);
  if (limit !== undefined && (!/^\d{1,4}$/.test(limit) || size < 1 || size > MAX_PAGE))
    throw new HttpError(400, `"limit" must be a whole number from 1 to ${MAX_PAGE}, e.g. /get-list/?limit=${DEFAULT_PAGE}`);
  if (after === undefined) return { limit: size };
  if (after === '' || after.length > MAX_CURSOR || CONTROL_CHARACTERS.test(after))
    throw new HttpError(
      400,
      `"after" must be the "next" of the previous page, a peer id such as 127.0.0.1:5001, e.g. /get-list/?limit=${DEFAULT_PAGE}&after=127.0.0.1:5001`,
    );
  return { limit: size, after };
}
