/**
 * Responses as values, and the one serializer that turns a response into bytes.
 * A handler returns a string, a Buffer, a plain object or array (JSON), or a `Response`; `toResponse`
 * turns any of those into a `Response`, and `serializeHead` writes the status line and headers.
 * Pure: no sockets. Ports WeApRous `daemon/response.py` (static files live in `static.ts`).
 */

import { CaseInsensitiveDict } from './dictionary';
import { statusText } from './status';

/** A response body: bytes, a stream of chunks (sent chunked, e.g. server-sent events), or nothing. */
export type Body = Buffer | AsyncIterable<Buffer | string> | null;

export interface Response {
  status: number;
  /** `Set-Cookie` may hold several values; every other field holds one. */
  headers: CaseInsensitiveDict<string | string[]>;
  body: Body;
}

/** What a route handler may return. `undefined`/`null` means 204 No Content. */
export type HandlerResult = Response | string | Buffer | object | null | undefined | void;

/** The class behind every `Response` the helpers build, so `toResponse` can tell one from a JSON object with a `status` field. */
class ResponseValue implements Response {
  constructor(
    public status: number,
    public headers: CaseInsensitiveDict<string | string[]>,
    public body: Body,
  ) {}
}

/** `response(200, 'hello', { 'Content-Type': 'text/plain; charset=utf-8' })` */
export function response(status: number, body: Body | string = null, headers: Record<string, string | string[]> = {}): Response {
  return new ResponseValue(status, new CaseInsensitiveDict(headers), typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
}

export function isResponse(value: unknown): value is Response {
  return value instanceof ResponseValue;
}

/** `json({ status: 'ok' })` → 200 with `Content-Type: application/json; charset=utf-8` and `Cache-Control: no-store`. */
export function json(data: unknown, status = 200): Response {
  const body: string | undefined = JSON.stringify(data);
  // JSON.stringify gives undefined for a function, a symbol or undefined: say so rather than send an empty 200.
  if (body === undefined) throw new TypeError(`A ${typeof data} cannot be sent as JSON`);
  return jsonText(body, status);
}

/**
 * A JSON answer already serialized: `jsonText('{"status":"ok"}')`. Every JSON answer is an API's view of state that
 * changes from one request to the next and has no validator to revalidate it with, so none is stored by a browser
 * or a shared cache (RFC 9111 §5.2.2.5): an address book or a history page read from a cache would be stale,
 * and another user's.
 */
export function jsonText(body: string | Buffer, status = 200): Response {
  return response(status, body, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
}

export function html(text: string, status = 200): Response {
  return response(status, text, { 'Content-Type': 'text/html; charset=utf-8' });
}

export function text(body: string, status = 200): Response {
  return response(status, body, { 'Content-Type': 'text/plain; charset=utf-8' });
}

/** `redirect('/login')` → 302 with `Location: /login`. */
export function redirect(location: string, status: 301 | 302 | 303 | 307 | 308 = 302): Response {
  return response(status, null, { Location: location });
}

/**
 * A streamed response: each chunk is written as it comes, with chunked framing on HTTP/1.1.
 * `stream(events(), { 'Content-Type': 'text/event-stream' })`
 */
export function stream(chunks: AsyncIterable<Buffer | string>, headers: Record<string, string> = {}, status = 200): Response {
  return response(status, chunks, headers);
}

export interface CookieOptions {
  path?: string;
  domain?: string;
  /** Seconds until the cookie expires; 0 deletes it. */
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
}

// cookie-name is a token; cookie-octet excludes CTLs, whitespace, DQUOTE, comma, semicolon and backslash (RFC 6265 §4.1.1).
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
// path-value and domain: any CHAR but controls and ";", which would start an attribute of its own.
const COOKIE_ATTRIBUTE = /^[^\x00-\x1f\x7f;]*$/;

/** Formats one `Set-Cookie` value: `auth=true; Path=/; HttpOnly; SameSite=Lax`. */
export function formatCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`Invalid cookie name: ${name}`);
  for (const attribute of [options.path, options.domain]) {
    if (attribute !== undefined && !COOKIE_ATTRIBUTE.test(attribute)) throw new TypeError(`Invalid cookie path or domain: ${attribute}`);
  }
  const encoded = COOKIE_VALUE.test(value) ? value : encodeURIComponent(value);
  const parts = [`${name}=${encoded}`];
  if (options.path) parts.push(`Path=${options.path}`);
  if (options.domain) parts.push(`Domain=${options.domain}`);
  if (options.maxAge !== undefined) parts.push(`Max-Age=${Math.floor(options.maxAge)}`);
  if (options.httpOnly) parts.push('HttpOnly');
  if (options.secure || options.sameSite === 'None') parts.push('Secure');
  if (options.sameSite) parts.push(`SameSite=${options.sameSite}`);
  return parts.join('; ');
}

/** Adds a `Set-Cookie` header to `res` (keeping any already there) and returns `res`. */
export function setCookie(res: Response, name: string, value: string, options: CookieOptions = {}): Response {
  const previous = res.headers.get('set-cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [previous];
  res.headers.set('Set-Cookie', [...list, formatCookie(name, value, options)]);
  return res;
}

/** Turns whatever a handler returned into a `Response`. */
export function toResponse(result: HandlerResult): Response {
  if (result === undefined || result === null) return response(204);
  if (isResponse(result)) return result;
  if (typeof result === 'string') {
    const looksLikeHtml = /^\s*</.test(result);
    return response(200, result, { 'Content-Type': looksLikeHtml ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8' });
  }
  if (Buffer.isBuffer(result)) return response(200, result, { 'Content-Type': 'application/octet-stream' });
  return json(result);
}

/** Errors are answered in JSON unless the client is plainly a browser asking for a page (`Accept: text/html`). */
export function wantsJson(accept: string | undefined): boolean {
  return !(accept ?? '').includes('text/html');
}

/** A short error body in the format the client asked for: JSON for APIs, text otherwise. */
export function errorResponse(status: number, message: string, wantsJson = true): Response {
  return wantsJson ? json({ status: 'error', error: message }, status) : text(message + '\n', status);
}

export interface HeadOptions {
  /** Close the connection after this response (`Connection: close`). */
  close: boolean;
  /** The request was HEAD: send the headers GET would, without a body. */
  headRequest?: boolean;
  /** The client speaks HTTP/1.0: it cannot read chunked bodies, so a stream ends with the connection. */
  http10?: boolean;
}

// RFC 9110 §6.6.1: an origin server with a clock MUST send Date. Formatting it is costly, so cache it per second.
let dateSecond = 0;
let dateText = '';
export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/** Whether this status can carry a body (RFC 9110 §15.2, §15.3.5, §15.4.5). */
export function bodyAllowed(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304;
}

// A CR or LF in a header value would let a handler's input start a new header (response splitting).
const UNSAFE_VALUE = /[\r\n\0]/;
// field-name = token (RFC 9110 §5.1): a space or a colon in a name would make the whole block unreadable.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
function headerLine(name: string, value: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`Header name ${JSON.stringify(name)} is not a token`);
  if (UNSAFE_VALUE.test(value)) throw new TypeError(`Header ${name} contains CR, LF or NUL`);
  return `${name}: ${value}\r\n`;
}

/**
 * A handler's mistakes that would otherwise put broken bytes on the wire: a status line must carry a final
 * three-digit code (RFC 9110 §15; a 1xx is interim and would leave the client waiting for the real answer),
 * and a body must be bytes, a stream or nothing. Throws, so the adapter answers 500 instead.
 */
function checkResponse(res: Response): void {
  if (!Number.isInteger(res.status) || res.status < 200 || res.status > 599) {
    throw new TypeError(`Status ${JSON.stringify(res.status)} is not a final status code (200-599)`);
  }
  const body = res.body as unknown;
  if (body !== null && !Buffer.isBuffer(body) && typeof (body as AsyncIterable<unknown>)?.[Symbol.asyncIterator] !== 'function') {
    throw new TypeError(
      `A response body must be a Buffer, an AsyncIterable or null, not ${Array.isArray(body) ? 'an array' : typeof body}`,
    );
  }
}

/**
 * Writes the status line and header block of `res`, ending with the blank line.
 * It alone decides `Date`, `Content-Length` or `Transfer-Encoding`, and `Connection`.
 * Returns the head and whether the body is sent chunked.
 */
export function serializeHead(res: Response, options: HeadOptions): { head: string; chunked: boolean; close: boolean } {
  checkResponse(res);
  let close = options.close;
  let head = `HTTP/1.1 ${res.status} ${statusText(res.status)}\r\nDate: ${httpDate()}\r\n`;
  res.headers.forEach((value, name) => {
    const key = name.toLowerCase();
    if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection' || key === 'date') return;
    if (Array.isArray(value)) for (const v of value) head += headerLine(name, v);
    else head += headerLine(name, value);
  });
  let chunked = false;
  const body = res.body;
  if (!bodyAllowed(res.status)) {
    // 204 carries no Content-Length; a 304 may repeat the one GET would have sent.
  } else if (body === null) {
    head += 'Content-Length: 0\r\n';
  } else if (Buffer.isBuffer(body)) {
    head += `Content-Length: ${body.length}\r\n`;
  } else if (options.http10) {
    close = true; // an HTTP/1.0 client reads a streamed body until the connection closes
  } else {
    head += 'Transfer-Encoding: chunked\r\n';
    chunked = !options.headRequest;
  }
  head += close ? 'Connection: close\r\n\r\n' : 'Connection: keep-alive\r\n\r\n';
  return { head, chunked, close };
}
