/**
 * An HTTP/1.1 request: bytes in, a `Request` (or "need more bytes", or a reason to refuse) out. The head
 * (request line and header fields) is read by `parser.ts`; this file reads the body that follows, framed as
 * the head says, and puts the two together. Pure: no sockets, no timers, no I/O. Strict in the way RFC 9112
 * and llhttp's strict mode are. Ports WeApRous `daemon/request.py`, which read one 1024-byte chunk.
 */

import { readChunkedBody, newChunkedState, type ChunkedState } from './chunked';
import { DEFAULT_LIMITS, parseRequestHead, type ParserLimits, type RequestHead } from './parser';
import type { Framing } from './framing';
import type { Refusal } from './status';
import { parseCookies, parseQueryString } from './utils';

// Re-exported for the API (docs/framework.md): a student finds the whole request side here. The daemon's own
// files import them from where they are defined.
export { parseCookies, parseQueryString };
export { DEFAULT_LIMITS, newHeadScan, type HeadResult, type HeadScan, type ParserLimits, type RequestHead } from './parser';
export type { Framing } from './framing';
export type { ParseError } from './status';

/**
 * Parses the request line and header block at `offset`: `incomplete`, the refusal, or the head and its length.
 * The head parser itself lives in `parser.ts`, which reads responses too; this is its request half.
 */
export const parseHead = parseRequestHead;

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
  /** The pattern of the route that answered (`/channels/:name/`), set by the app; `--trace` prints it. */
  route?: string;
}

export type RequestResult = { kind: 'incomplete' } | Refusal | { kind: 'request'; request: Request; bytesConsumed: number };

export type BodyResult = { kind: 'incomplete' } | Refusal | { kind: 'body'; body: Buffer; end: number };

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
    route: undefined,
  };
}
