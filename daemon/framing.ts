/**
 * How a message's body is delimited and whether its connection stays open: Content-Length and
 * Transfer-Encoding (RFC 9112 §6), Host (§3.2), Connection (§9.3). These rules are where request smuggling
 * lives, so every ambiguous request is refused; each header line is judged as soon as its CRLF arrives.
 * Pure; part of the WeApRous `daemon/request.py` port, split out so each file teaches one thing.
 */

import type { CaseInsensitiveDict } from './dictionary';
import { isDigits, trimOws, VISIBLE_ASCII, type HttpVersion } from './grammar';
import { refuse, type Refusal } from './status';
import { printable } from './utils';

/** How the body of a request is delimited (RFC 9112 §6.3). */
export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

/** How a response body ends (RFC 9112 §6.3): no body, a length, chunked, or the connection closing. */
export type ResponseFraming = Framing | { kind: 'close' };

/** What the framing rules have seen so far in a request head. */
export interface FramingCheck {
  version: HttpVersion;
  maxBodyBytes: number;
  /** The Content-Length, or -1 before one arrives. */
  length: number;
  /** Every Transfer-Encoding value so far, joined with ", ", or null before one arrives. */
  codings: string | null;
  hosts: number;
}

export function newFramingCheck(maxBodyBytes: number, version: HttpVersion = 'HTTP/1.1'): FramingCheck {
  return { version, maxBodyBytes, length: -1, codings: null, hosts: 0 };
}

/**
 * Judges one request header line as soon as it is complete; `key` is the name in lower case and `value` this
 * line's value. Returns why the request must be refused, or null. Fields other than these three pass.
 */
export function checkFramingField(check: FramingCheck, key: string, value: string): Refusal | null {
  if (key === 'content-length') return checkContentLength(check, value);
  if (key === 'transfer-encoding') return checkTransferEncoding(check, value);
  if (key === 'host') return checkHost(check, value);
  return null;
}

// RFC 9112 §6.3: a message with both could be read two ways by two servers in a row; that is smuggling.
const BOTH = 'Content-Length and Transfer-Encoding must not both be sent.';

/** Content-Length = 1*DIGIT, once (RFC 9110 §8.6, RFC 9112 §6.3); over the limit is 413 before any body. */
function checkContentLength(check: FramingCheck, value: string): Refusal | null {
  if (check.codings !== null) return refuse(400, 'UNEXPECTED_CONTENT_LENGTH', BOTH);
  if (check.length !== -1) return refuse(400, 'DUPLICATE_CONTENT_LENGTH', 'Content-Length must be sent once.');
  // 15 digits stay exact in a double and are far past any limit.
  if (value.length > 15 || !isDigits(value))
    return refuse(400, 'INVALID_CONTENT_LENGTH', `"${printable(value)}" is not a valid Content-Length.`);
  const length = Number(value);
  if (length > check.maxBodyBytes) {
    return refuse(413, 'BODY_TOO_LARGE', `The body is ${length} bytes; the limit is ${check.maxBodyBytes}.`);
  }
  check.length = length;
  return null;
}

/** RFC 9112 §6.1: the codings, in every Transfer-Encoding line so far, must end with one "chunked". */
function checkTransferEncoding(check: FramingCheck, value: string): Refusal | null {
  if (check.length !== -1) return refuse(400, 'UNEXPECTED_CONTENT_LENGTH', BOTH);
  if (check.version === 'HTTP/1.0') return refuse(400, 'INVALID_TRANSFER_ENCODING', 'Transfer-Encoding is not allowed in HTTP/1.0.');
  const all = check.codings === null ? value : check.codings + ', ' + value;
  check.codings = all;
  if (all.length === 7 && all.toLowerCase() === 'chunked') return null; // what every client sends
  const codings = all.split(',').map((c) => trimOws(c).toLowerCase()); // OWS only: "chunked\u00a0" is not chunked
  if (codings[codings.length - 1] !== 'chunked') {
    return refuse(400, 'INVALID_TRANSFER_ENCODING', 'The last transfer coding must be "chunked".');
  }
  if (codings.indexOf('chunked') !== codings.length - 1) {
    return refuse(400, 'INVALID_TRANSFER_ENCODING', '"chunked" must be applied once only (RFC 9112 §6.1).');
  }
  if (codings.length === 1) return null;
  return refuse(501, 'UNSUPPORTED_TRANSFER_ENCODING', `Only "Transfer-Encoding: chunked" is supported, not "${printable(all)}".`);
}

/** RFC 9112 §3.2: one Host, a host[:port] (visible ASCII, no path, query, fragment or user information). */
function checkHost(check: FramingCheck, value: string): Refusal | null {
  if (++check.hosts > 1) return refuse(400, 'DUPLICATE_HOST', 'The Host header must be sent once.');
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // "/" 0x2F, "?" 0x3F, "#" 0x23, "@" 0x40
    if (VISIBLE_ASCII[c] !== 1 || c === 0x2f || c === 0x3f || c === 0x23 || c === 0x40) {
      return refuse(400, 'INVALID_HOST', 'The Host header is not a valid host[:port].');
    }
  }
  return null;
}

const NONE: Framing = { kind: 'none' };
const CHUNKED: Framing = { kind: 'chunked' };

/** At the blank line: the rule that needs the whole head (Host on HTTP/1.1, RFC 9112 §3.2), then the framing. */
export function finishFraming(check: FramingCheck): Refusal | Framing {
  if (check.hosts === 0 && check.version === 'HTTP/1.1') return refuse(400, 'MISSING_HOST', 'HTTP/1.1 requests must carry a Host header.');
  if (check.codings !== null) return CHUNKED;
  return check.length > 0 ? { kind: 'length', length: check.length } : NONE;
}

/**
 * How the body of a response to `method` ends (RFC 9112 §6.3), or null for an invalid Content-Length.
 * A response to HEAD, a 1xx, 204 or 304 has no body whatever its fields say.
 */
export function responseFraming(method: string, status: number, headers: CaseInsensitiveDict<string>): ResponseFraming | null {
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return NONE;
  const te = headers.get('transfer-encoding');
  if (te !== undefined) return trimOws(te.toLowerCase().split(',').pop()!) === 'chunked' ? CHUNKED : { kind: 'close' };
  const cl = headers.get('content-length');
  if (cl === undefined) return { kind: 'close' };
  if (cl.length > 15 || !isDigits(cl)) return null;
  return Number(cl) === 0 ? NONE : { kind: 'length', length: Number(cl) };
}

/** Whether the connection stays open after this exchange (RFC 9112 §9.3). */
export function wantsKeepAlive(connection: string | undefined, version: HttpVersion): boolean {
  if (connection === undefined) return version === 'HTTP/1.1';
  const value = connection.toLowerCase();
  if (value === 'keep-alive') return true; // what nearly every client sends: skip splitting the list
  if (value === 'close') return false;
  const options = value.split(',').map((s) => trimOws(s));
  if (options.includes('close')) return false;
  return version === 'HTTP/1.1' || options.includes('keep-alive');
}
