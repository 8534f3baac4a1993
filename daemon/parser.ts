/**
 * The head parser: the start line (`startline.ts`) and header fields of a request (RFC 9112 §3) or of a response
 * (§4), read left to right, so a message is refused at the first byte that makes it invalid and the answer never
 * depends on how the bytes arrive. One parser for both, as in llhttp and http-parser-js. Pure: no sockets, no timers.
 * New; WeApRous `daemon/request.py` split the head on "\r\n", and `apps/peer.py` let urllib2 read responses.
 */

import { CaseInsensitiveDict } from './dictionary';
import { CR, LF, type HttpVersion } from './grammar';
import { refuse, type Refusal } from './status';
import { addField, bareCr, fieldName, fieldValue, scanFieldLine, startFieldLine, type FieldScan } from './fields';
import { checkFramingField, finishFraming, newFramingCheck, wantsKeepAlive, type Framing, type FramingCheck } from './framing';
import { parseCookies, printable } from './utils';
import {
  DONE,
  EMPTY_LINES,
  END_LF,
  FIELDS,
  METHOD,
  START,
  START_LINE_LF,
  STATUS_LINE,
  scanStartLine,
  type StartLineScan,
  type Step,
} from './startline';

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

export type HeadResult = { kind: 'incomplete' } | Refusal | { kind: 'head'; head: RequestHead; headLength: number };

export type ResponseHeadResult =
  | { kind: 'incomplete' }
  | { kind: 'error'; code: string; reason: string }
  | { kind: 'head'; status: number; reason: string; version: HttpVersion; headers: CaseInsensitiveDict<string>; headLength: number };

/**
 * Where a head scan stopped, and what it has read so far. Pass the same one to each call while the buffer
 * grows (a head trickling in is then read once, not again from its start on every call), or none.
 */
export interface HeadScan extends FieldScan, StartLineScan {
  /** Where the text scanned starts, counted from the `offset` of the call; every other index counts from here. */
  base: number;
  fieldCount: number;
  maxFields: number;
  headers: CaseInsensitiveDict<string>;
  framing: FramingCheck;
}

export function newHeadScan(): HeadScan {
  return {
    lineStart: 0,
    pos: 0,
    colon: -1,
    valueStart: -1,
    valueEnd: -1,
    base: 0,
    part: START,
    mark: 0,
    fieldCount: 0,
    maxFields: 0,
    headers: new CaseInsensitiveDict<string>(),
    method: '',
    target: '',
    path: '',
    query: {},
    authority: null,
    version: 'HTTP/1.1',
    status: 0,
    reason: '',
    framing: newFramingCheck(0),
  };
}

/** Judges the field line just read, once its CRLF is in: null, or the refusal. */
type FieldCheck = (text: string, s: HeadScan) => Refusal | null;

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
  const step = scanHead(buf, offset, limits.maxHeaderBytes, scan, requestField);
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
  const step = scanHead(buf, offset, maxBytes, scan, responseField);
  if (step === 'done') {
    const { status, reason, version, headers } = scan;
    return { kind: 'head', status, reason, version, headers, headLength: scan.base + scan.pos };
  }
  if (step === 'incomplete') return INCOMPLETE;
  if (step === 'overflow') return { kind: 'error', code: 'HEADER_OVERFLOW', reason: `response head larger than ${maxBytes} bytes` };
  return { kind: 'error', code: step.error.code, reason: step.error.reason };
}

/**
 * Runs `scanParts` over the head as a latin1 string (one character per byte). The string ends at the first
 * CRLFCRLF when there is one, so a body that came in the same read is not copied, and never runs past `maxBytes`:
 * a head is refused at the byte that takes it over the limit, whether it arrives whole or in pieces.
 */
function scanHead(buf: Buffer, offset: number, maxBytes: number, s: HeadScan, onField: FieldCheck): Step | 'overflow' {
  rebase(s);
  const start = offset + s.base;
  const available = Math.min(buf.length, offset + maxBytes);
  const region = buf.length > available ? buf.subarray(0, available) : buf; // never search a body that follows
  const blank = region.indexOf(CRLF_CRLF, start + Math.max(0, s.pos - 3));
  const upTo = blank !== -1 ? blank + 4 : available;
  let step = scanParts(buf.toString('latin1', start, upTo), s, onField);
  // That CRLFCRLF was empty lines before the request line, not the end of the head: read on.
  if (step === 'incomplete' && upTo < available) step = scanParts(buf.toString('latin1', start, available), s, onField);
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

/**
 * Reads the head part by part, each part moving `s.part` on once it is read, until one needs more bytes or refuses,
 * or the blank line is in. A request starts at EMPTY_LINES, a response at STATUS_LINE; `onField` judges field lines.
 */
function scanParts(text: string, s: HeadScan, onField: FieldCheck): Step {
  for (;;) {
    let step: Step | null;
    if (s.part < START_LINE_LF) step = scanStartLine(text, s);
    else if (s.part === START_LINE_LF) step = expectLf(text, s, FIELDS);
    else if (s.part === FIELDS) step = scanFields(text, s, onField);
    else if (s.part === END_LF) step = expectLf(text, s, DONE);
    else return 'done';
    if (step !== null) return step;
  }
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
function scanFields(text: string, s: HeadScan, onField: FieldCheck): Step | null {
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

const CONNECT_REASON = 'CONNECT (a tunnel, RFC 9110 §9.3.6) is not implemented: this server is not a forward proxy.';

/** The blank line is in: the rules that need the whole head, then the head itself. */
function requestHead(s: HeadScan, headLength: number): HeadResult {
  const framing = finishFraming(s.framing);
  if (framing.kind === 'error') return framing;
  // RFC 9110 §9.3.6, §9.1: CONNECT asks for a tunnel, which an origin server (or a reverse proxy) does not open.
  if (s.method === 'CONNECT') return refuse(501, 'CONNECT_NOT_IMPLEMENTED', CONNECT_REASON);
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
