/**
 * The chunked transfer coding (RFC 9112 §7.1): decoding a request body that arrives as
 * `size CRLF data CRLF ... 0 CRLF trailers CRLF`, and encoding one chunk of a streamed response.
 * Pure and resumable: the state remembers where the last call stopped, so bytes are scanned once.
 * WeApRous's Python original did not support chunked bodies at all.
 */

import type { ParseError } from './request';
import { parseFieldLines } from './fields';

export interface ChunkedState {
  /** Index in the buffer of the next unread byte. */
  pos: number;
  /**
   * Where the data read so far lies in the buffer, flat: `[start0, end0, start1, end1, ...]`. Flat on purpose:
   * a body of a million one-byte chunks then costs a few MB of numbers, not a million small arrays.
   */
  pieces: number[];
  size: number;
  /** 'size' before a chunk-size line, 'data' inside a chunk's data, 'trailer' after the last chunk. */
  phase: 'size' | 'data' | 'trailer';
  /** Bytes left in the current chunk (phase 'data'). */
  remaining: number;
  /** Keep the data (a server reading a body) or only find where the body ends (a proxy streaming it). */
  collect: boolean;
  /** Bytes of chunk extensions and trailer fields so far: they count against no body limit, so cap them. */
  metaBytes: number;
}

export function newChunkedState(offset: number, collect = true): ChunkedState {
  return { pos: offset, pieces: [], size: 0, phase: 'size', remaining: 0, collect, metaBytes: 0 };
}

type Result =
  | { kind: 'incomplete' }
  | { kind: 'error'; error: ParseError }
  | { kind: 'body'; body: Buffer; end: number };

const MAX_LINE = 4096;
// Extensions and trailers are read and thrown away; without a cap, 1-byte chunks carrying 4 KiB of
// extensions each would make a 1 MiB body cost 4 GiB of buffer (the attack behind CVE-2024-22019).
const MAX_METADATA = 16 * 1024;
// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), values token or quoted-string.
const CHUNK_EXT = /^(?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))?)*$/;

function fail(code: string, reason: string, status: ParseError['status'] = 400): Result {
  return { kind: 'error', error: { status, code, reason } };
}

/**
 * Continues decoding a chunked body in `buf` from `state.pos`. Returns the body once the last chunk
 * and trailer section have arrived; `end` is the index just past the final CRLF.
 */
export function readChunkedBody(buf: Buffer, state: ChunkedState, maxBodyBytes: number): Result {
  for (;;) {
    if (state.phase === 'data') {
      const available = Math.min(state.remaining, buf.length - state.pos);
      if (available > 0 && state.collect) state.pieces.push(state.pos, state.pos + available);
      state.pos += available;
      state.remaining -= available;
      if (state.remaining > 0 || buf.length < state.pos + 2) return { kind: 'incomplete' };
      if (buf[state.pos] !== 13 || buf[state.pos + 1] !== 10) return fail('INVALID_CHUNK', 'Chunk data must be followed by CRLF.');
      state.pos += 2;
      state.phase = 'size';
    }
    if (state.phase === 'size') {
      const plain = plainSizeLine(buf, state.pos);
      if (plain) {
        const refused = startChunk(state, plain.size, plain.next, maxBodyBytes);
        if (refused) return refused;
        continue;
      }
    }
    const line = readLine(buf, state.pos);
    if (line.kind !== 'line') return line;
    if (state.phase === 'trailer') {
      state.pos = line.next;
      if (line.text === '') return finish(buf, state);
      state.metaBytes += line.text.length + 2;
      if (state.metaBytes > MAX_METADATA) return fail('TRAILERS_TOO_LARGE', `The trailer fields exceed ${MAX_METADATA} bytes.`, 431);
      const trailer = parseFieldLines([line.text], 0, 1);
      if ('status' in trailer) return { kind: 'error', error: { status: 400, code: trailer.code, reason: trailer.reason } };
      continue;
    }
    const size = parseChunkSize(line.text);
    if (size === null) return fail('INVALID_CHUNK_SIZE', 'A chunk size must be hexadecimal, optionally followed by ";extensions".');
    const extension = line.text.indexOf(';');
    if (extension !== -1) state.metaBytes += line.text.length - extension;
    if (state.metaBytes > MAX_METADATA) return fail('CHUNK_EXTENSIONS_TOO_LARGE', `The chunk extensions exceed ${MAX_METADATA} bytes.`, 413);
    const refused = startChunk(state, size, line.next, maxBodyBytes);
    if (refused) return refused;
  }
}

/** A chunk-size line has been read: the data (or, after size 0, the trailer section) starts at `next`. */
function startChunk(state: ChunkedState, size: number, next: number, maxBodyBytes: number): Result | null {
  state.size += size;
  if (state.size > maxBodyBytes) return fail('BODY_TOO_LARGE', `The body exceeds the limit of ${maxBodyBytes} bytes.`, 413);
  state.pos = next;
  state.phase = size === 0 ? 'trailer' : 'data';
  state.remaining = size;
  return null;
}

/**
 * The usual size line, hex digits then CRLF (`1a\r\n`), read straight from the bytes: without a string per
 * chunk, a body sent as a million one-byte chunks costs milliseconds, not a second. Null for anything
 * else (extensions, errors, not all here yet), which `readLine` and `parseChunkSize` then handle.
 */
function plainSizeLine(buf: Buffer, from: number): { size: number; next: number } | null {
  let size = 0;
  let i = from;
  for (; i < buf.length && i - from < 12; i++) {
    const c = buf[i];
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit === -1) break;
    size = size * 16 + digit;
  }
  if (i === from || i + 1 >= buf.length || buf[i] !== 13 || buf[i + 1] !== 10) return null;
  return { size, next: i + 2 };
}

function finish(buf: Buffer, state: ChunkedState): Result {
  const pieces = state.pieces;
  if (pieces.length === 2) return { kind: 'body', body: buf.subarray(pieces[0], pieces[1]), end: state.pos };
  // Copy each piece into one buffer: no intermediate Buffer object per chunk.
  const body = Buffer.allocUnsafe(state.size);
  let at = 0;
  for (let i = 0; i < pieces.length; i += 2) {
    const start = pieces[i];
    const end = pieces[i + 1];
    if (end - start > 32) at += buf.copy(body, at, start, end);
    else for (let j = start; j < end; j++) body[at++] = buf[j]; // tiny pieces: a native call each costs more
  }
  return { kind: 'body', body: body.subarray(0, at), end: state.pos };
}

/** One CRLF-terminated line; bare LF or CR anywhere in it is an error. */
function readLine(buf: Buffer, from: number): { kind: 'line'; text: string; next: number } | Result {
  const lf = buf.indexOf(10, from);
  if (lf === -1) {
    if (buf.length - from > MAX_LINE) return fail('INVALID_CHUNK', 'A chunk line is too long.');
    const cr = buf.indexOf(13, from);
    if (cr !== -1 && cr + 1 < buf.length) return fail('CR_EXPECTED', 'A CR must be followed by LF.');
    return { kind: 'incomplete' };
  }
  if (lf === from || buf[lf - 1] !== 13) return fail('LF_EXPECTED', 'Lines must end with CRLF, not a bare LF.');
  const text = buf.toString('latin1', from, lf - 1);
  if (text.indexOf('\r') !== -1) return fail('CR_EXPECTED', 'A CR must be followed by LF.');
  return { kind: 'line', text, next: lf + 1 };
}

/** chunk-size [ chunk-ext ]: `1a;name=value` → 26. */
function parseChunkSize(text: string): number | null {
  let i = 0;
  while (i < text.length && isHex(text.charCodeAt(i))) i++;
  if (i === 0 || i > 12) return null; // 12 hex digits is 256 TiB: far past any limit, and still exact.
  if (i < text.length && !CHUNK_EXT.test(text.slice(i))) return null;
  return parseInt(text.slice(0, i), 16);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Frames `data` as one chunk of a chunked response body. An empty chunk would end the body, so skip those. */
export function encodeChunk(data: Buffer): Buffer[] {
  return [Buffer.from(data.length.toString(16) + '\r\n', 'latin1'), data, CRLF];
}

export const CRLF = Buffer.from('\r\n', 'latin1');
export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
