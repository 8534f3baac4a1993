/**
 * The tracker's log of requests: `@logged`, the decorator under every route's `@app.route`, and how a request
 * line and a body become one log line (keys and signing fields hidden, control characters escaped, long text cut).
 * New as a file; the lines are the ones the assignment document's tracker log shows.
 */

import { HttpError } from '../../daemon/status';
import type { Request } from '../../daemon/request';
import { printable } from '../text';
import { RegistryUnavailable } from './registry';
import type { TrackerContext } from './context';

/** A class of tracker routes: it holds the context `@logged` logs to. */
interface Routes {
  readonly tracker: TrackerContext;
}

/**
 * Decorates a route method: the request logs itself, and first drops the peers whose TTL ran out, so no list is
 * ever stale. A refusal (`HttpError`) is logged; a registry that cannot be reached is a 503 that says so.
 * `@app.route('/remove/', { methods: ['POST'] }) @logged async remove(request) { ... }`
 */
export function logged<This extends Routes, Result>(
  route: (this: This, request: Request) => Promise<Result>,
  _context: ClassMethodDecoratorContext<This>,
) {
  return async function (this: This, request: Request): Promise<Result> {
    const { tracker } = this;
    tracker.trace(`[Tracker] ${request.method} ${targetLine(request)}`);
    if (request.body.length > 0) tracker.trace(`[Tracker] Body: ${bodyLine(request.body.toString('utf8'))}`);
    try {
      await tracker.expire(tracker.now());
      return await route.call(this, request);
    } catch (error) {
      if (error instanceof HttpError) tracker.log(`[Tracker] Rejected (${error.status}): ${error.message}`);
      if (!(error instanceof RegistryUnavailable)) throw error;
      // Redis down or restarting: the peer's next heartbeat tries again, so say so instead of a bare 500.
      tracker.log(`[Tracker] ${error.message}`);
      throw new HttpError(503, `${error.message}; try again in a few seconds`, { headers: { 'Retry-After': '5' }, expose: true });
    }
  };
}

/** How much of a target or body one log line shows. */
const LOG_LINE_CHARS = 300;

/**
 * Where keys and signing fields are looked for: a body's first 16 KiB characters. The rest of a longer body (up to
 * the 1 MiB limit) is never shown, and a regular expression must not cost time in proportion to what a client sends.
 */
const HIDDEN_WINDOW = 16 * 1024;

/** The path, or the whole target when it has a query (`/get-list/?channel=team`), fit for one log line. */
function targetLine(request: Request): string {
  return Object.keys(request.query).length > 0 ? printable(request.target, LOG_LINE_CHARS) : request.path;
}

/** A request body as one log line: keys and signing fields hidden, control characters escaped, long bodies cut. */
export function bodyLine(text: string): string {
  const head = hideSigning(hideKeys(text.slice(0, HIDDEN_WINDOW)));
  return printable(text.length > HIDDEN_WINDOW ? head + text.slice(HIDDEN_WINDOW) : head, LOG_LINE_CHARS);
}

/** `{"peer_id":"...","key":"s3cret"}` → `{"peer_id":"...","key":"***"}`: the tracker keeps no key, not even in its log. */
function hideKeys(text: string): string {
  return text.replace(/("key"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]]*)/g, '$1"***"');
}

/**
 * The body without the signing fields our peers append (`public_key`, `time`, `signature`), so the log reads
 * as the document shows; the key is logged once, when it is bound. A match starts only where a run of white space
 * does (`(?<!\s)`): tried at every space of a long run, `\s*,` would take time that grows with the run's square.
 */
function hideSigning(text: string): string {
  return text.replace(/(?<!\s)\s*,\s*"(?:public_key|time|signature)"\s*:\s*(?:"[^"\\]*"|-?[\d.eE+-]+)/g, '');
}
