/**
 * How a request's body is delimited and whether its connection stays open: the header rules of
 * RFC 9112 §6 (Content-Length, Transfer-Encoding), §3.2 (Host) and §9.3 (Connection). These rules are where
 * request smuggling lives, so every ambiguous combination is refused. Pure; part of the WeApRous
 * `daemon/request.py` port, split out so each file teaches one thing.
 */

import type { CaseInsensitiveDict } from './dictionary';
import type { Framing, ParseError, ParserLimits, RequestHead } from './request';
import { printable } from './utils';

function fail(status: ParseError['status'], code: string, reason: string): { kind: 'error'; error: ParseError } {
  return { kind: 'error', error: { status, code, reason } };
}

export type FramingResult = { kind: 'error'; error: ParseError } | { kind: 'framing'; framing: Framing };

/** Decides how the body is delimited, refusing every ambiguous combination (RFC 9112 §6.1, §6.3). */
export function parseFraming(
  headers: CaseInsensitiveDict<string>,
  version: RequestHead['version'],
  contentLengthCount: number,
  limits: ParserLimits,
): FramingResult {
  const te = headers.get('transfer-encoding');
  const cl = headers.get('content-length');
  if (te !== undefined && cl !== undefined) {
    return fail(400, 'UNEXPECTED_CONTENT_LENGTH', 'Content-Length and Transfer-Encoding must not both be sent.');
  }
  if (te !== undefined) {
    if (version === 'HTTP/1.0') return fail(400, 'INVALID_TRANSFER_ENCODING', 'Transfer-Encoding is not allowed in HTTP/1.0.');
    const codings = te.split(',').map((c) => c.trim().toLowerCase());
    if (codings[codings.length - 1] !== 'chunked') {
      return fail(400, 'INVALID_TRANSFER_ENCODING', 'The last transfer coding must be "chunked".');
    }
    if (codings.indexOf('chunked') !== codings.length - 1) {
      return fail(400, 'INVALID_TRANSFER_ENCODING', '"chunked" must be applied once only (RFC 9112 §6.1).');
    }
    if (codings.length > 1) {
      return fail(501, 'UNSUPPORTED_TRANSFER_ENCODING', `Only "Transfer-Encoding: chunked" is supported, not "${te}".`);
    }
    return { kind: 'framing', framing: { kind: 'chunked' } };
  }
  if (cl !== undefined) {
    if (contentLengthCount > 1) return fail(400, 'DUPLICATE_CONTENT_LENGTH', 'Content-Length must be sent once.');
    if (!/^\d{1,15}$/.test(cl)) return fail(400, 'INVALID_CONTENT_LENGTH', `"${printable(cl)}" is not a valid Content-Length.`);
    const length = Number(cl);
    if (length > limits.maxBodyBytes) {
      return fail(413, 'BODY_TOO_LARGE', `The body is ${length} bytes; the limit is ${limits.maxBodyBytes}.`);
    }
    return { kind: 'framing', framing: length === 0 ? { kind: 'none' } : { kind: 'length', length } };
  }
  return { kind: 'framing', framing: { kind: 'none' } };
}

/** HTTP/1.1 requests carry exactly one Host (RFC 9112 §3.2). */
export function checkHost(headers: CaseInsensitiveDict<string>, version: RequestHead['version'], count: number) {
  if (count > 1) return fail(400, 'DUPLICATE_HOST', 'The Host header must be sent once.');
  const host = headers.get('host');
  if (host === undefined) {
    return version === 'HTTP/1.1' ? fail(400, 'MISSING_HOST', 'HTTP/1.1 requests must carry a Host header.') : null;
  }
  if (!/^[\x21-\x7e]*$/.test(host) || /[/?#@]/.test(host)) return fail(400, 'INVALID_HOST', 'The Host header is not a valid host[:port].');
  return null;
}

/** Whether the connection stays open after this exchange (RFC 9112 §9.3). */
export function wantsKeepAlive(connection: string | undefined, version: RequestHead['version']): boolean {
  if (connection === undefined) return version === 'HTTP/1.1';
  const value = connection.toLowerCase();
  if (value === 'keep-alive') return true; // what nearly every client sends: skip splitting the list
  if (value === 'close') return false;
  const options = value.split(',').map((s) => s.trim());
  if (options.includes('close')) return false;
  return version === 'HTTP/1.1' || options.includes('keep-alive');
}
