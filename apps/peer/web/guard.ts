/**
 * What every page and API answer of the browser chat shares: the security headers (a CSP for this peer's own
 * scripts and styles only, no framing, no caching), the session cookie, who may ask at all (the owner's
 * machine), the `Origin` check against cross-site posts, and `secured()`/`guarded()`, which check and put the
 * headers on whatever a handler answers, errors included. New, not in WeApRous.
 */

import { isIP } from 'node:net';
import type { Handler } from '../../../daemon/weaprous';
import { errorResponse, toResponse, type CookieOptions, type Response } from '../../../daemon/response';
import type { Request } from '../../../daemon/request';
import { HttpError } from '../../../daemon/status';
import { DEFAULT_UNCAPPED_ADDRESSES, normalAddress } from '../../../daemon/admission';

/**
 * Only this peer's files: no inline script or style (so a message that slipped into the HTML as markup would
 * still run nothing), no other origin, no plugins, no `<base>`, forms only to this peer, and no page may frame
 * this one (clickjacking).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** `weaprous_chat_5001`: browsers do not keep cookies apart by port, so two peers on 127.0.0.1 need two names. */
export function cookieName(port: number): string {
  return `weaprous_chat_${port}`;
}

/**
 * HttpOnly: no script (an injected one included) can read it. SameSite=Strict: no other site's link, form or
 * fetch makes the browser send it. Path=/: every page and API of this peer. No Max-Age: the browser forgets it
 * when it closes. Not Secure: on the owner's own machine the peer speaks plain HTTP, which never leaves it.
 */
export const COOKIE: CookieOptions = { path: '/', httpOnly: true, sameSite: 'Strict' };

/** `COOKIE`, Secure when the peer serves HTTPS (--tls-cert, which --web-from needs): never sent in clear (RFC 6265 §4.1.2.5). */
export function cookieOptions(overHttps: boolean): CookieOptions {
  return overHttps ? { ...COOKIE, secure: true } : COOKIE;
}

/** What `secured()` checks before a handler runs. */
export interface Gate {
  /** Settles once the peer has started: requests wait for it. */
  ready: Promise<void>;
  /** Host names the pages may be opened by, besides IP addresses and localhost (the peer's --ip). */
  hosts: string[];
  /** The source addresses the web UI answers (`webAudience`): the owner's machine, and --web-from. */
  from: string[];
}

/**
 * `webAudience('127.0.0.3', [])` → `['127.0.0.1', '::1', '127.0.0.3']`: loopback, the address the peer runs as
 * (the owner's browser may open it by that address) and the machines --web-from names. A host name in --ip is
 * not an address a socket comes from, so it adds nothing.
 */
export function webAudience(ip: string, webFrom: string[] = []): string[] {
  const own = isIP(ip) === 0 ? [] : [ip];
  return [...new Set([...DEFAULT_UNCAPPED_ADDRESSES, ...own, ...webFrom].map(normalAddress))];
}

/**
 * Why a request is refused because of the machine it comes from, or null when that is one of `from`. The
 * pages hold the owner's messages and the session cookie: by default nobody else on the network even gets the
 * login page. `::ffff:127.0.0.1` (an IPv4 client of a dual-stack socket) is `127.0.0.1`.
 */
export function sourceProblem(request: Request, from: string[]): string | null {
  if (from.includes(normalAddress(request.remoteAddress ?? ''))) return null;
  return (
    `This peer's web UI answers only its owner's machine (${from.join(', ')}); ` +
    'open it on that machine: its password and cookie do not cross the network in clear'
  );
}

/** Adds the security headers; pages and API answers are never cached (they depend on the session). */
export function secure(res: Response, cacheControl = 'no-store'): Response {
  res.headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.headers.set('X-Content-Type-Options', 'nosniff');
  res.headers.set('X-Frame-Options', 'DENY');
  // Not `no-referrer`: with it a browser sends `Origin: null` on a form POST, and the Origin check could not pass.
  res.headers.set('Referrer-Policy', 'same-origin');
  if (!res.headers.has('Cache-Control')) res.headers.set('Cache-Control', cacheControl);
  return res;
}

/**
 * Why a state-changing request is refused, or null when its `Origin` is this page's own (`http://` and the
 * `Host` it was sent to). Browsers always send `Origin` with a POST and never let a page forge it, so another
 * site's form or script is refused even though SameSite already keeps the cookie from it.
 */
export function originProblem(request: Request): string | null {
  const origin = request.headers.get('origin');
  const host = request.headers.get('host') ?? '';
  const own = `http://${host}`;
  if (origin === undefined)
    return `A POST needs an Origin header naming this page (${own}); a browser sends it, curl needs -H 'Origin: ${own}'`;
  // One host and port speaks one scheme, so https:// with this Host is this peer too (--web-from, over HTTPS).
  if (origin !== own && origin !== `https://${host}`)
    return `Origin ${origin} is not this page's origin (${own}); only this peer's own pages may change its state`;
  return null;
}

/**
 * Why a request is refused because of the host it was sent to, or null when that is an IP address, `localhost`,
 * or one of `names` (the peer's --ip). Against DNS rebinding: a site whose name an attacker points at this
 * machine is its own origin, so its script would pass the Origin check; its name in `Host` gives it away.
 */
export function hostProblem(request: Request, names: string[]): string | null {
  const host = request.headers.get('host') ?? '';
  const name = host.replace(/:\d+$/, '').toLowerCase();
  const literal = isIP(name) !== 0 || (name.startsWith('[') && name.endsWith(']') && isIP(name.slice(1, -1)) === 6);
  if (literal || name === 'localhost' || names.some((allowed) => allowed.toLowerCase() === name)) return null;
  return `Host ${host} is not an address of this peer; open it by its IP address (or localhost)`;
}

/**
 * Wraps a handler so its answer, or its 4xx error, carries the security headers (the router's 404/405 do not: no
 * page). A request from a machine not in `gate.from` is refused first (`sourceProblem`), before it waits or
 * learns anything; `ready` holds the others back while the peer starts (its sessions are not read yet, its
 * history not open); `hosts` are the host names, besides IP addresses and localhost, it may be sent to.
 */
export function secured(handler: Handler, gate: Gate, cacheControl = 'no-store'): Handler {
  return async (request) => {
    try {
      const stranger = sourceProblem(request, gate.from);
      if (stranger) throw new HttpError(403, stranger);
      await gate.ready;
      const misdirected = hostProblem(request, gate.hosts);
      if (misdirected) throw new HttpError(403, misdirected);
      return secure(toResponse(await handler(request)), cacheControl);
    } catch (error) {
      if (!(error instanceof HttpError) || !error.expose) throw error;
      const res = secure(errorResponse(error.status, error.message));
      for (const [name, value] of Object.entries(error.headers)) res.headers.set(name, value);
      return res;
    }
  };
}

/**
 * `secured()` as a method decorator: `const guard = guarded(gate)`, then `@guard` under `@app.route(...)`.
 * Decorators apply from the bottom up, so the route registers the method already wrapped. The wrapper answers a
 * `Response`, not what the method returns; it keeps the method's type so that `@app.route` takes it, and only
 * the router ever calls it.
 */
export function guarded(gate: Gate) {
  return <M extends Handler>(method: M, _context: ClassMethodDecoratorContext): M =>
    function (this: unknown, request: Request) {
      return secured((req) => method.call(this, req), gate)(request);
    } as M;
}
