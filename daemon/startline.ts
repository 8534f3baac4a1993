/**
 * The start line of a message, read left to right: a request line `GET /path HTTP/1.1` (RFC 9112 §3) or a status
 * line `HTTP/1.1 200 OK` (§4), refused at the first byte that cannot belong to it. `parser.ts` reads the head and
 * calls in here for its first parts. Pure. New (split out of `parser.ts`); WeApRous `daemon/request.py` took the
 * request line apart with `extract_request_line`'s `first_line.split()`.
 */

import { CR, LF, SP, TOKEN, VISIBLE_ASCII, type HttpVersion } from './grammar';
import { refuse, type Refusal } from './status';
import { bareCr, bareLf } from './fields';
import { printable, splitTarget } from './utils';

// Where in the head a scan is (StartLineScan.part), in the order they are read. The head's own parts are numbered
// here too so that the order is in one list: parser.ts hands every part below START_LINE_LF to scanStartLine.
export const START = 0;
export const EMPTY_LINES = 1; // a server ignores empty lines before a request line (RFC 9112 §2.2)
export const METHOD = 2;
export const TARGET = 3;
export const VERSION = 4;
export const STATUS_LINE = 5;
export const START_LINE_LF = 6; // the start line's CR is read, its LF is due
export const FIELDS = 7;
export const END_LF = 8; // the empty line's CR is read
export const DONE = 9;

/** What a scan of the head reads and writes while on the start line; parser.ts's HeadScan extends it. */
export interface StartLineScan {
  /** The next byte to read. */
  pos: number;
  /** Where in the head the scan is: one of the parts above. */
  part: number;
  /** Where the piece of the start line being read begins: the method, the target, the version. */
  mark: number;
  method: string;
  target: string;
  path: string;
  query: Record<string, string>;
  /** The `host[:port]` of an absolute-form target, or null for origin-form and `*`. */
  authority: string | null;
  version: HttpVersion;
  status: number;
  reason: string;
  /** The head's framing rules, told the version as soon as it is read (they differ for HTTP/1.0). */
  framing: { version: HttpVersion };
}

/** What reading a part answers when it is not null (read on): wait for bytes, the whole head is in, or the refusal. */
export type Step = 'incomplete' | 'done' | Refusal;

/**
 * Reads the part of the start line that `s.part` names (EMPTY_LINES to STATUS_LINE) as far as `text` goes:
 * null once that part is read (`s.part` then names the next), `'incomplete'` when the text ends first, or the refusal.
 */
export function scanStartLine(text: string, s: StartLineScan): Step | null {
  switch (s.part) {
    case EMPTY_LINES:
      return skipEmptyLines(text, s);
    case METHOD:
      return scanMethod(text, s);
    case TARGET:
      return scanTarget(text, s);
    case VERSION:
      return scanVersion(text, s);
    default:
      return scanStatusLine(text, s); // STATUS_LINE
  }
}

/** RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) received before the request line. */
function skipEmptyLines(text: string, s: StartLineScan): Step | null {
  let i = s.pos;
  while (i + 1 < text.length && text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF) i += 2;
  s.pos = i;
  if (i >= text.length || (i + 1 === text.length && text.charCodeAt(i) === CR)) return 'incomplete';
  if (text.charCodeAt(i) === CR) return bareCr();
  s.mark = i;
  s.part = METHOD;
  return null;
}

/** method = token, then SP (RFC 9112 §3.1). Judged byte by byte: a TLS handshake or binary junk is refused at once. */
function scanMethod(text: string, s: StartLineScan): Step | null {
  for (let i = s.pos; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (TOKEN[c] === 1) continue;
    if (c === SP && i > s.mark) {
      s.method = text.slice(s.mark, i);
      s.mark = s.pos = i + 1;
      s.part = TARGET;
      return null;
    }
    return methodError(text, s.mark, i);
  }
  s.pos = text.length;
  return 'incomplete';
}

function methodError(text: string, start: number, i: number): Refusal {
  const c = text.charCodeAt(i);
  if (c === 0x16 && i === start) {
    // 0x16 opens every TLS record that carries a handshake: a browser was given https:// for this port.
    return refuse(400, 'TLS_HANDSHAKE', 'This is a TLS handshake (https://), but this port speaks plain HTTP: use http:// instead.');
  }
  if (c === LF) return bareLf();
  if (c === SP || c === CR) return badRequestLine();
  return refuse(400, 'INVALID_METHOD', `"${printable(text.slice(start, i + 1))}" is not a valid method.`);
}

function badRequestLine(): Refusal {
  return refuse(400, 'INVALID_REQUEST_LINE', 'The request line must be "METHOD /path HTTP/1.1".');
}

/** request-target: visible ASCII up to the next SP (RFC 9112 §3.2); judged whole once that SP arrives. */
function scanTarget(text: string, s: StartLineScan): Step | null {
  for (let i = s.pos; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (VISIBLE_ASCII[c] === 1) continue;
    if (c === SP && i > s.mark) return endTarget(text, s, i);
    if (c === LF) return bareLf();
    if (c === CR) return badRequestLine();
    return refuse(400, 'INVALID_TARGET', 'The request target is empty or has spaces or control characters.');
  }
  s.pos = text.length;
  return 'incomplete';
}

function endTarget(text: string, s: StartLineScan, end: number): Refusal | null {
  const target = text.slice(s.mark, end);
  if (s.method === 'CONNECT') return endAuthorityTarget(target, s, end);
  // RFC 9112 §3.2.4: the asterisk-form asks about the server as a whole, which only OPTIONS does.
  if (target === '*' && s.method !== 'OPTIONS') return refuse(400, 'INVALID_TARGET', `"*" is a target for OPTIONS only, not ${s.method}.`);
  const split = splitTarget(target);
  if ('invalid' in split) return refuse(400, 'INVALID_TARGET', split.invalid);
  s.target = target;
  s.path = split.path;
  s.query = split.query;
  s.authority = split.authority;
  s.mark = s.pos = end + 1;
  s.part = VERSION;
  return null;
}

// RFC 9112 §3.2.3: CONNECT, and only CONNECT, names a `host:port` (authority-form), with no path.
const AUTHORITY_FORM = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+):[0-9]{1,5}$/;

/** A CONNECT's target: read it so the whole request can be judged; `requestHead` then answers it 501. */
function endAuthorityTarget(target: string, s: StartLineScan, end: number): Refusal | null {
  if (!AUTHORITY_FORM.test(target)) return refuse(400, 'INVALID_TARGET', `CONNECT takes "host:port", not "${printable(target)}".`);
  s.target = s.authority = target;
  s.path = '';
  s.query = {};
  s.mark = s.pos = end + 1;
  s.part = VERSION;
  return null;
}

/** HTTP-version, then CR (RFC 9112 §2.3, §3). HTTP/2.0 is answered 505 as soon as its "2" arrives. */
function scanVersion(text: string, s: StartLineScan): Step | null {
  for (let i = s.pos; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) return bareLf();
    const k = i - s.mark;
    const fault = k < 8 ? versionFault(c, k) : c === CR ? null : 'INVALID_VERSION';
    if (fault !== null) return versionRefusal(fault, text.slice(s.mark, i + 1));
    if (k === 8) {
      s.version = text.charCodeAt(i - 1) === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0';
      s.framing.version = s.version;
      s.pos = i + 1;
      s.part = START_LINE_LF;
      return null;
    }
  }
  s.pos = text.length;
  return 'incomplete';
}

const HTTP_SLASH = 'HTTP/';

/** Whether byte `k` (0 to 7) of an HTTP-version fits "HTTP/1.0" or "HTTP/1.1": null, or what is wrong (RFC 9112 §2.3). */
function versionFault(c: number, k: number): 'INVALID_VERSION' | 'UNSUPPORTED_VERSION' | null {
  if (k < 5) return c === HTTP_SLASH.charCodeAt(k) ? null : 'INVALID_VERSION';
  if (k === 6) return c === 0x2e ? null : 'INVALID_VERSION'; // "."
  if (c < 0x30 || c > 0x39) return 'INVALID_VERSION';
  if (k === 5) return c === 0x31 ? null : 'UNSUPPORTED_VERSION'; // major "1"
  return c === 0x30 || c === 0x31 ? null : 'UNSUPPORTED_VERSION'; // minor "0" or "1"
}

function versionRefusal(fault: 'INVALID_VERSION' | 'UNSUPPORTED_VERSION', seen: string): Refusal {
  if (fault === 'UNSUPPORTED_VERSION') return refuse(505, fault, `${seen} is not supported; use HTTP/1.1 or HTTP/1.0.`);
  return refuse(400, fault, `"${printable(seen)}" is not an HTTP version; expected HTTP/1.1 or HTTP/1.0.`);
}

/**
 * status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (RFC 9112 §4), status-code = 3DIGIT.
 * The fixed part has fixed positions: version at 0-7, SP at 8, digits at 9-11, SP (or the CR) at 12.
 */
function scanStatusLine(text: string, s: StartLineScan): Step | null {
  for (let i = s.pos; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) return bareLf();
    const k = i - s.mark;
    let fault: string | null = null;
    if (k < 8) fault = versionFault(c, k);
    else if (k === 8) fault = c === SP ? null : 'INVALID_STATUS';
    else if (k === 9)
      fault = c >= 0x31 && c <= 0x35 ? null : 'INVALID_STATUS'; // classes 1xx-5xx (RFC 9110 §15)
    else if (k < 12) fault = c >= 0x30 && c <= 0x39 ? null : 'INVALID_STATUS';
    else if (c === CR) return endStatusLine(text, s, i);
    else if (k === 12)
      fault = c === SP ? null : 'INVALID_STATUS'; // "HTTP/1.1 2000" has four digits
    else fault = c === 0x09 || (c >= 0x20 && c !== 0x7f) ? null : 'INVALID_STATUS'; // reason-phrase: HTAB, SP, VCHAR, obs-text
    if (fault !== null) return refuse(400, fault, `invalid status line "${printable(text.slice(s.mark, i + 1))}"`);
  }
  s.pos = text.length;
  return 'incomplete';
}

function endStatusLine(text: string, s: StartLineScan, cr: number): null {
  const at = s.mark;
  s.version = text.charCodeAt(at + 7) === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0';
  s.status = Number(text.slice(at + 9, at + 12));
  s.reason = cr > at + 13 ? text.slice(at + 13, cr) : '';
  s.pos = cr + 1;
  s.part = START_LINE_LF;
  return null;
}
