/**
 * The HTTP/1.1 request parser: bytes in, a request (or "need more bytes", or a reason to refuse) out.
 * Pure: no sockets, no timers, no I/O, so every rule here can be tested with a Buffer. It is strict in the
 * way RFC 9112 and llhttp's strict mode are: ambiguous framing is refused, never guessed.
 * Ports WeApRous `daemon/request.py`, which read one 1024-byte chunk and split it on "\r\n".
 */

import { CaseInsensitiveDict } from './dictionary';
import { readChunkedBody, newChunkedState, type ChunkedState } from './chunked';
import { parseFieldLines, type FieldError } from './fields';
import { parseCookies, parseQueryString, printable, splitTarget } from './utils';
import { checkHost, parseFraming, wantsKeepAlive } from './framing';

// Re-exported: they were born here, and the API docs list them with the parser.
export { parseCookies, parseQueryString };

/** How the body of a request is delimited (RFC 9112 §6.3). */
export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' };

/** Everything up to the blank line: request line and header fields. */
export interface RequestHead {
  method: string;
  /** The request-target exactly as sent: `/get-list/?x=1`. */
  target: string;
  /** The target's path, percent-decoded: `/channels/general chat/`. */
  path: string;
  /** Query parameters, decoded (`+` is a space); a repeated name keeps the last value. */
  query: Record<string, string>;
  version: 'HTTP/1.0' | 'HTTP/1.1';
  headers: CaseInsensitiveDict<string>;
  cookies: Record<string, string>;
  framing: Framing;
  /** Whether the client wants the connection kept open after this exchange (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** The client sent `Expect: 100-continue` and waits before sending the body (RFC 9110 §10.1.1). */
  expectContinue: boolean;
}

/** A whole request, as a handler receives it. */
export interface Request extends RequestHead {
  body: Buffer;
  /** Path parameters filled in by the router: `/channels/:name/` gives `{ name: 'general' }`. */
  params: Record<string, string>;
  /** The parsed body when `Content-Type` is JSON (set by the app, not the parser). */
  json?: unknown;
  /** The decoded fields when `Content-Type` is `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
  /** The client's IP address, when the request came from a socket. */
  remoteAddress?: string;
}

/** Why a request was refused: the status to answer, a stable code for tests and logs, and a sentence. */
export interface ParseError {
  status: 400 | 408 | 413 | 417 | 431 | 501 | 505;
  code: string;
  reason: string;
}

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

export type HeadResult =
  | { kind: 'incomplete' }
  | { kind: 'error'; error: ParseError }
  | { kind: 'head'; head: RequestHead; headLength: number };

export type RequestResult =
  | { kind: 'incomplete' }
  | { kind: 'error'; error: ParseError }
  | { kind: 'request'; request: Request; bytesConsumed: number };

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// request-target: visible ASCII only (RFC 9112 §3.2); spaces and controls make the line invalid.
const TARGET = /^[\x21-\x7e]+$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;

function fail(status: ParseError['status'], code: string, reason: string): { kind: 'error'; error: ParseError } {
  return { kind: 'error', error: { status, code, reason } };
}

/**
 * Parses the request line and header block that start at `offset`.
 * Returns `incomplete` until the blank line has arrived, e.g.
 * `parseHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))` → `{ kind: 'head', headLength: 27, ... }`.
 */
export function parseHead(buf: Buffer, offset = 0, limits: ParserLimits = DEFAULT_LIMITS): HeadResult {
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the request line.
  let start = offset;
  while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;

  const end = buf.indexOf(CRLF_CRLF, start);
  if (end === -1) return incompleteHead(buf, offset, start, limits);
  // Count from `offset`, empty lines included, so endless CRLFs cannot grow the buffer without limit.
  if (end + 4 - offset > limits.maxHeaderBytes) {
    return fail(431, 'HEADER_OVERFLOW', `The request line and headers exceed ${limits.maxHeaderBytes} bytes.`);
  }

  const lines = buf.toString('latin1', start, end).split('\r\n');
  const line = parseRequestLine(lines[0]);
  if (line.kind === 'error') return line;

  const fields = parseFieldLines(lines, 1, limits.maxHeaderCount);
  if ('status' in fields) return { kind: 'error', error: fieldError(fields) };

  const headers = fields.headers;
  const framing = parseFraming(headers, line.version, fields.contentLengthCount, limits);
  if (framing.kind === 'error') return framing;

  const host = checkHost(headers, line.version, fields.hostCount);
  if (host) return host;
  // RFC 9112 §3.2.2: with an absolute-form target, the target's host wins over the Host header.
  if (line.authority !== null) headers.set('host', line.authority);

  const expect = headers.get('expect');
  if (expect !== undefined && expect.toLowerCase() !== '100-continue') {
    return fail(417, 'EXPECTATION_FAILED', `Only "Expect: 100-continue" is supported, not "${expect}".`);
  }

  const head: RequestHead = {
    method: line.method,
    target: line.target,
    path: line.path,
    query: line.query,
    version: line.version,
    headers,
    cookies: parseCookies(headers.get('cookie')),
    framing: framing.framing,
    keepAlive: wantsKeepAlive(headers.get('connection'), line.version),
    expectContinue: expect !== undefined && line.version === 'HTTP/1.1' && framing.framing.kind !== 'none',
  };
  return { kind: 'head', head, headLength: end + 4 - offset };
}

/** The blank line is not here yet: decide between "wait" and "this can never become valid". */
function incompleteHead(buf: Buffer, offset: number, start: number, limits: ParserLimits): HeadResult {
  if (buf.length - offset > limits.maxHeaderBytes) {
    return fail(431, 'HEADER_OVERFLOW', `The request line and headers exceed ${limits.maxHeaderBytes} bytes.`);
  }
  const method = checkMethodSoFar(buf, start);
  if (method) return method;
  // A bare LF or CR will never be followed by a valid CRLFCRLF: refuse now instead of waiting for a timeout.
  for (let i = buf.indexOf(10, start); i !== -1; i = buf.indexOf(10, i + 1)) {
    if (i === start || buf[i - 1] !== 13) return fail(400, 'LF_EXPECTED', 'Lines must end with CRLF, not a bare LF.');
  }
  for (let i = buf.indexOf(13, start); i !== -1 && i + 1 < buf.length; i = buf.indexOf(13, i + 1)) {
    if (buf[i + 1] !== 10) return fail(400, 'CR_EXPECTED', 'A CR must be followed by LF.');
  }
  return { kind: 'incomplete' };
}

/**
 * The method comes first and is a token, so a byte outside a token before the first space can be refused
 * before the line ends: binary bytes (a TLS handshake, say) get an answer now, not after the headers timeout.
 */
function checkMethodSoFar(buf: Buffer, start: number): { kind: 'error'; error: ParseError } | null {
  if (buf[start] === 0x16) {
    // 0x16 opens every TLS record that carries a handshake: a browser was given https:// for this port.
    return fail(400, 'TLS_HANDSHAKE', 'This is a TLS handshake (https://), but this port speaks plain HTTP: use http:// instead.');
  }
  for (let i = start; i < buf.length; i++) {
    const c = buf[i];
    if (c === 32 || c === 13 || c === 10) break; // the end of the method, or line endings checked below
    if (c > 127 || TOKEN_BYTE[c] === 0) {
      return fail(400, 'INVALID_METHOD', `"${printable(buf.toString('latin1', start, i + 1))}" is not the start of a valid method.`);
    }
  }
  return null;
}

const TOKEN_BYTE = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_BYTE[c.charCodeAt(0)] = 1;

type RequestLine =
  | { kind: 'error'; error: ParseError }
  | {
    kind: 'line'; method: string; target: string; path: string; query: Record<string, string>;
    /** The `host[:port]` of an absolute-form target, or null for origin-form and `*`. */
    authority: string | null;
    version: RequestHead['version'];
  };

/** request-line = method SP request-target SP HTTP-version (RFC 9112 §3). */
export function parseRequestLine(line: string): RequestLine {
  const first = line.indexOf(' ');
  const last = line.lastIndexOf(' ');
  if (first <= 0 || last === first) return fail(400, 'INVALID_REQUEST_LINE', 'The request line must be "METHOD /path HTTP/1.1".');
  const method = line.slice(0, first);
  const target = line.slice(first + 1, last);
  const versionText = line.slice(last + 1);
  if (!TOKEN.test(method)) return fail(400, 'INVALID_METHOD', `"${printable(method)}" is not a valid method.`);
  if (!TARGET.test(target)) return fail(400, 'INVALID_TARGET', 'The request target is empty or has spaces or control characters.');
  // RFC 9112 §3.2.4: the asterisk-form asks about the server as a whole, which only OPTIONS does.
  if (target === '*' && method !== 'OPTIONS') return fail(400, 'INVALID_TARGET', `"*" is a target for OPTIONS only, not ${method}.`);

  const match = VERSION.exec(versionText);
  if (!match) return fail(400, 'INVALID_VERSION', `"${printable(versionText)}" is not an HTTP version.`);
  if (match[1] !== '1' || (match[2] !== '0' && match[2] !== '1')) {
    return fail(505, 'UNSUPPORTED_VERSION', `${versionText} is not supported; use HTTP/1.1 or HTTP/1.0.`);
  }
  const split = splitTarget(target);
  if ('invalid' in split) return fail(400, 'INVALID_TARGET', split.invalid);
  return { kind: 'line', method, target, version: versionText as RequestHead['version'], ...split };
}

function fieldError(error: FieldError): ParseError {
  return { status: error.status, code: error.code, reason: error.reason };
}

export type BodyResult =
  | { kind: 'incomplete' }
  | { kind: 'error'; error: ParseError }
  | { kind: 'body'; body: Buffer; end: number };

/** Where a body read is up to; keep it between calls so a chunked body is never re-scanned. */
export interface BodyState {
  chunked: ChunkedState | null;
}

export function newBodyState(): BodyState {
  return { chunked: null };
}

/**
 * Reads the body that starts at `offset`, framed as `framing` says. `end` is the index just past it.
 * For a chunked body, pass the same `state` on every call as more bytes arrive.
 */
export function readBody(
  buf: Buffer,
  offset: number,
  framing: Framing,
  state: BodyState = newBodyState(),
  limits: ParserLimits = DEFAULT_LIMITS,
): BodyResult {
  if (framing.kind === 'none') return { kind: 'body', body: EMPTY, end: offset };
  if (framing.kind === 'length') {
    const end = offset + framing.length;
    if (buf.length < end) return { kind: 'incomplete' };
    return { kind: 'body', body: buf.subarray(offset, end), end };
  }
  state.chunked ??= newChunkedState(offset);
  return readChunkedBody(buf, state.chunked, limits.maxBodyBytes);
}

const EMPTY = Buffer.alloc(0);

/**
 * Parses one whole request from the start of `buf`: head and body.
 * `parseRequest(Buffer.from('GET / HTTP/1.0\r\n\r\n'))` → `{ kind: 'request', bytesConsumed: 18, ... }`.
 * Whatever follows `bytesConsumed` is the next pipelined request.
 */
export function parseRequest(buf: Buffer, limits: ParserLimits = DEFAULT_LIMITS): RequestResult {
  const head = parseHead(buf, 0, limits);
  if (head.kind !== 'head') return head;
  const body = readBody(buf, head.headLength, head.head.framing, newBodyState(), limits);
  if (body.kind !== 'body') return body;
  return { kind: 'request', request: toRequest(head.head, body.body), bytesConsumed: body.end };
}

/**
 * A whole request from its head and body. The fields are copied one by one on purpose: on Node 20,
 * `{ ...head, body }` takes a slow path that cost several microseconds per request (see docs/benchmarks.md).
 */
export function toRequest(head: RequestHead, body: Buffer, remoteAddress?: string): Request {
  return {
    method: head.method,
    target: head.target,
    path: head.path,
    query: head.query,
    version: head.version,
    headers: head.headers,
    cookies: head.cookies,
    framing: head.framing,
    keepAlive: head.keepAlive,
    expectContinue: head.expectContinue,
    body,
    params: {},
    remoteAddress,
  };
}
