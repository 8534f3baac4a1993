/**
 * The head parser: the start line and header fields of a request (RFC 9112 §3) or of a response (§4), read
 * left to right, so a message is refused at the first byte that makes it invalid and the answer never depends
 * on how the bytes arrive. One parser for both, as in llhttp and http-parser-js. Pure: no sockets, no timers.
 * New; WeApRous `daemon/request.py` split the head on "\r\n", and `apps/peer.py` let urllib2 read responses.
 */

import { CaseInsensitiveDict } from './dictionary';
import { CR, LF, SP, TOKEN, VISIBLE_ASCII, type HttpVersion } from './grammar';
import { refuse, type Refusal } from './status';
import { addField, bareCr, bareLf, fieldName, fieldValue, scanFieldLine, startFieldLine, type FieldScan } from './fields';
import { checkFramingField, finishFraming, newFramingCheck, wantsKeepAlive, type Framing, type FramingCheck } from './framing';
import { parseCookies, printable, splitTarget } from './utils';

export interface ParserLimits {
  /** Largest request line plus header block, in bytes (431 beyond it). */
  maxHeaderBytes: number;
  /** Most header fields in one request (431 beyond it). */
  maxHeaderCount: number;
  /** Largest body, in bytes (413 beyond it, refused before the body is read). */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: ParserLimits = {
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxBodyBytes: 1024 * 1024,
};

/** Everything up to the blank line: request line and header fields. */
export interface RequestHead {
  method: string;
  /** The request-target exactly as sent: `/get-list/?x=1`. */
  target: string;
  /** The target's path, percent-decoded: `/channels/general chat/`. */
  path: string;
  /** Query parameters, decoded (`+` is a space); a repeated name keeps the last value. */
  query: Record<string, string>;
  version: HttpVersion;
  headers: CaseInsensitiveDict<string>;
  cookies: Record<string, string>;
  framing: Framing;
  /** Whether the client wants the connection kept open after this exchange (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** The client sent `Expect: 100-continue` and waits before sending the body (RFC 9110 §10.1.1). */
  expectContinue: boolean;
}

export type HeadResult =
  | { kind: 'incomplete' }
  | Refusal
  | { kind: 'head'; head: RequestHead; headLength: number };

export type ResponseHeadResult =
  | { kind: 'incomplete' }
  | { kind: 'error'; code: string; reason: string }
  | { kind: 'head'; status: number; reason: string; version: HttpVersion; headers: CaseInsensitiveDict<string>; headLength: number };

// Where in the head a scan is (HeadScan.part).
const START = 0;
const EMPTY_LINES = 1; // a server ignores empty lines before a request line (RFC 9112 §2.2)
const METHOD = 2;
const TARGET = 3;
const VERSION = 4;
const STATUS_LINE = 5;
const START_LINE_LF = 6; // the start line's CR is read, its LF is due
const FIELDS = 7;
const END_LF = 8; // the empty line's CR is read
const DONE = 9;

/**
 * Where a head scan stopped, and what it has read so far. Pass the same one to each call while the buffer
 * grows (a head trickling in is then read once, not again from its start on every call), or none.
 */
export interface HeadScan extends FieldScan {
  /** Where the text scanned starts, counted from the `offset` of the call; every other index counts from here. */
  base: number;
  part: number;
  /** Where the piece of the start line being read begins: the method, the target, the version. */
  mark: number;
  fieldCount: number;
  maxFields: number;
  headers: CaseInsensitiveDict<string>;
  method: string;
  target: string;
  path: string;
  query: Record<string, string>;
  /** The `host[:port]` of an absolute-form target, or null for origin-form and `*`. */
  authority: string | null;
  version: HttpVersion;
  status: number;
  reason: string;
  framing: FramingCheck;
}

export function newHeadScan(): HeadScan {
  return {
    lineStart: 0, pos: 0, colon: -1, valueStart: -1, valueEnd: -1,
    base: 0, part: START, mark: 0, fieldCount: 0, maxFields: 0, headers: new CaseInsensitiveDict<string>(),
    method: '', target: '', path: '', query: {}, authority: null, version: 'HTTP/1.1', status: 0, reason: '',
    framing: newFramingCheck(0),
  };
}

type Step = 'incomplete' | 'done' | Refusal;

const INCOMPLETE = { kind: 'incomplete' } as const;
const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Parses the request line and header block that start at `offset`. Returns `incomplete` until the blank line
 * has arrived, or the refusal as soon as a byte makes the request invalid, e.g.
 * `parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))` → `{ kind: 'head', headLength: 27, ... }`.
 */
export function parseRequestHead(buf: Buffer, offset = 0, limits: ParserLimits = DEFAULT_LIMITS, scan = newHeadScan()): HeadResult {
  if (scan.part === START) {
    scan.part = EMPTY_LINES;
    scan.maxFields = limits.maxHeaderCount;
    scan.framing.maxBodyBytes = limits.maxBodyBytes;
  }
  const step = scanHead(buf, offset, limits.maxHeaderBytes, scan, scanRequest);
  if (step === 'done') return requestHead(scan, scan.base + scan.pos);
  if (step === 'incomplete') return INCOMPLETE;
  if (step === 'overflow') return refuse(431, 'HEADER_OVERFLOW', `The request line and headers exceed ${limits.maxHeaderBytes} bytes.`);
  return step;
}

// A backend is trusted more than a client, but not with unbounded memory.
const MAX_RESPONSE_FIELDS = 200;

/**
 * Interim (1xx) responses a client or proxy reads before the final one. RFC 9110 §15.2 puts no number on
 * them, but a server that sends thousands is broken or hostile: past this, the response is refused.
 */
export const MAX_INTERIM_RESPONSES = 10;

/** Parses `HTTP/1.1 200 OK\r\n...\r\n\r\n` at `offset` (RFC 9112 §4); `maxBytes` bounds the whole head. */
export function parseResponseHead(buf: Buffer, offset = 0, maxBytes = 64 * 1024, scan = newHeadScan()): ResponseHeadResult {
  if (scan.part === START) {
    scan.part = STATUS_LINE;
    scan.maxFields = MAX_RESPONSE_FIELDS;
  }
  const step = scanHead(buf, offset, maxBytes, scan, scanResponse);
  if (step === 'done') {
    const { status, reason, version, headers } = scan;
    return { kind: 'head', status, reason, version, headers, headLength: scan.base + scan.pos };
  }
  if (step === 'incomplete') return INCOMPLETE;
  if (step === 'overflow') return { kind: 'error', code: 'HEADER_OVERFLOW', reason: `response head larger than ${maxBytes} bytes` };
  return { kind: 'error', code: step.error.code, reason: step.error.reason };
}

/**
 * Runs `scanText` over the head as a latin1 string (one character per byte). The string ends at the first
 * CRLFCRLF when there is one, so a body that came in the same read is not copied, and never runs past `maxBytes`:
 * a head is refused at the byte that takes it over the limit, whether it arrives whole or in pieces.
 */
function scanHead(
  buf: Buffer, offset: number, maxBytes: number, s: HeadScan, scanText: (text: string, s: HeadScan) => Step,
): Step | 'overflow' {
  rebase(s);
  const start = offset + s.base;
  const available = Math.min(buf.length, offset + maxBytes);
  const region = buf.length > available ? buf.subarray(0, available) : buf; // never search a body that follows
  const blank = region.indexOf(CRLF_CRLF, start + Math.max(0, s.pos - 3));
  const upTo = blank !== -1 ? blank + 4 : available;
  let step = scanText(buf.toString('latin1', start, upTo), s);
  // That CRLFCRLF was empty lines before the request line, not the end of the head: read on.
  if (step === 'incomplete' && upTo < available) step = scanText(buf.toString('latin1', start, available), s);
  if (step === 'incomplete' && buf.length - offset > maxBytes) return 'overflow';
  return step;
}

/**
 * Moves the start of the text to the first byte the scan still needs (the line or the piece of the start line
 * being read), so a scan resumed with more bytes copies that much again, not the whole head.
 */
function rebase(s: HeadScan): void {
  const keep = s.part === FIELDS ? s.lineStart : s.part >= METHOD && s.part <= STATUS_LINE ? s.mark : s.pos;
  if (keep === 0) return;
  s.base += keep;
  s.pos -= keep;
  s.mark -= keep;
  s.lineStart -= keep;
  if (s.colon !== -1) s.colon -= keep;
  if (s.valueStart !== -1) {
    s.valueStart -= keep;
    s.valueEnd -= keep;
  }
}

function scanRequest(text: string, s: HeadScan): Step {
  for (;;) {
    let step: Step | null;
    switch (s.part) {
      case EMPTY_LINES: step = skipEmptyLines(text, s); break;
      case METHOD: step = scanMethod(text, s); break;
      case TARGET: step = scanTarget(text, s); break;
      case VERSION: step = scanVersion(text, s); break;
      case START_LINE_LF: step = expectLf(text, s, FIELDS); break;
      case FIELDS: step = scanFields(text, s, requestField); break;
      case END_LF: step = expectLf(text, s, DONE); break;
      default: return 'done';
    }
    if (step !== null) return step;
  }
}

function scanResponse(text: string, s: HeadScan): Step {
  for (;;) {
    let step: Step | null;
    switch (s.part) {
      case STATUS_LINE: step = scanStatusLine(text, s); break;
      case START_LINE_LF: step = expectLf(text, s, FIELDS); break;
      case FIELDS: step = scanFields(text, s, responseField); break;
      case END_LF: step = expectLf(text, s, DONE); break;
      default: return 'done';
    }
    if (step !== null) return step;
  }
}

/** RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) received before the request line. */
function skipEmptyLines(text: string, s: HeadScan): Step | null {
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
function scanMethod(text: string, s: HeadScan): Step | null {
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
function scanTarget(text: string, s: HeadScan): Step | null {
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

function endTarget(text: string, s: HeadScan, end: number): Refusal | null {
  const target = text.slice(s.mark, end);
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

/** HTTP-version, then CR (RFC 9112 §2.3, §3). HTTP/2.0 is answered 505 as soon as its "2" arrives. */
function scanVersion(text: string, s: HeadScan): Step | null {
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
function scanStatusLine(text: string, s: HeadScan): Step | null {
  for (let i = s.pos; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) return bareLf();
    const k = i - s.mark;
    let fault: string | null = null;
    if (k < 8) fault = versionFault(c, k);
    else if (k === 8) fault = c === SP ? null : 'INVALID_STATUS';
    else if (k === 9) fault = c >= 0x31 && c <= 0x35 ? null : 'INVALID_STATUS'; // classes 1xx-5xx (RFC 9110 §15)
    else if (k < 12) fault = c >= 0x30 && c <= 0x39 ? null : 'INVALID_STATUS';
    else if (c === CR) return endStatusLine(text, s, i);
    else if (k === 12) fault = c === SP ? null : 'INVALID_STATUS'; // "HTTP/1.1 2000" has four digits
    else fault = c === 0x09 || (c >= 0x20 && c !== 0x7f) ? null : 'INVALID_STATUS'; // reason-phrase: HTAB, SP, VCHAR, obs-text
    if (fault !== null) return refuse(400, fault, `invalid status line "${printable(text.slice(s.mark, i + 1))}"`);
  }
  s.pos = text.length;
  return 'incomplete';
}

function endStatusLine(text: string, s: HeadScan, cr: number): null {
  const at = s.mark;
  s.version = text.charCodeAt(at + 7) === 0x31 ? 'HTTP/1.1' : 'HTTP/1.0';
  s.status = Number(text.slice(at + 9, at + 12));
  s.reason = cr > at + 13 ? text.slice(at + 13, cr) : '';
  s.pos = cr + 1;
  s.part = START_LINE_LF;
  return null;
}

function expectLf(text: string, s: HeadScan, next: number): Step | null {
  if (s.pos >= text.length) return 'incomplete';
  if (text.charCodeAt(s.pos) !== LF) return bareCr();
  s.pos++;
  s.part = next;
  if (next === FIELDS) startFieldLine(s, s.pos);
  return null;
}

/**
 * *( field-line CRLF ) CRLF (RFC 9112 §2.1). `onField` judges each line once its CRLF is in; the field count is
 * checked as each line starts, so the 101st field is refused at its first byte.
 */
function scanFields(text: string, s: HeadScan, onField: (text: string, s: HeadScan) => Refusal | null): Step | null {
  for (;;) {
    if (s.pos === s.lineStart) {
      if (s.pos >= text.length) return 'incomplete';
      if (text.charCodeAt(s.pos) === CR) {
        s.pos++;
        s.part = END_LF;
        return null;
      }
      if (++s.fieldCount > s.maxFields) return refuse(431, 'TOO_MANY_HEADERS', `More than ${s.maxFields} header fields.`);
    }
    const line = scanFieldLine(text, s);
    if (line !== 'line') return line;
    const refused = onField(text, s);
    if (refused !== null) return refused;
    startFieldLine(s, s.pos);
  }
}

/** A request's field line: stored, then judged by the framing rules and the Expect rule. */
function requestField(text: string, s: HeadScan): Refusal | null {
  const name = fieldName(text, s);
  const value = fieldValue(text, s);
  const key = name.toLowerCase();
  addField(s.headers, key, name, value);
  if (key === 'expect') return checkExpect(s.headers.get(key)!);
  return checkFramingField(s.framing, key, value);
}

/** RFC 9110 §10.1.1: 100-continue is the only expectation defined; any other is answered 417. */
function checkExpect(value: string): Refusal | null {
  if (value.toLowerCase() === '100-continue') return null;
  return refuse(417, 'EXPECTATION_FAILED', `Only "Expect: 100-continue" is supported, not "${printable(value)}".`);
}

function responseField(text: string, s: HeadScan): null {
  const name = fieldName(text, s);
  addField(s.headers, name.toLowerCase(), name, fieldValue(text, s));
  return null;
}

/** The blank line is in: the rules that need the whole head, then the head itself. */
function requestHead(s: HeadScan, headLength: number): HeadResult {
  const framing = finishFraming(s.framing);
  if (framing.kind === 'error') return framing;
  const headers = s.headers;
  // RFC 9112 §3.2.2: with an absolute-form target, the target's host wins over the Host header.
  if (s.authority !== null) headers.set('host', s.authority);
  const expect = headers.get('expect');
  const head: RequestHead = {
    method: s.method,
    target: s.target,
    path: s.path,
    query: s.query,
    version: s.version,
    headers,
    cookies: parseCookies(headers.get('cookie')),
    framing,
    keepAlive: wantsKeepAlive(headers.get('connection'), s.version),
    expectContinue: expect !== undefined && s.version === 'HTTP/1.1' && framing.kind !== 'none',
  };
  return { kind: 'head', head, headLength };
}
