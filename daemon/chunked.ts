/**
 * The chunked transfer coding (RFC 9112 §7.1): decoding a body that arrives as
 * `size CRLF data CRLF ... 0 CRLF trailers CRLF`, and encoding one chunk of a streamed response.
 * Pure and resumable: the state remembers where the last call stopped, so bytes are scanned once, and a bad
 * byte is refused where it stands. WeApRous's Python original did not support chunked bodies at all.
 */

import { CR, FIELD_VCHAR, hexValue, HTAB, isOws, LF, QDTEXT, SP, TOKEN } from './grammar';
import { refuse, type Refusal } from './status';
import { bareCr, bareLf, fieldName, newFieldScan, scanFieldLine, startFieldLine, type FieldScan } from './fields';

export interface ChunkedState {
  /** Index in the buffer of the first byte not consumed: the start of a size or trailer line, or chunk data. */
  pos: number;
  /**
   * Where the data read so far lies in the buffer, flat: `[start0, end0, start1, end1, ...]`. Flat on purpose:
   * a body of a million one-byte chunks then costs a few MB of numbers, not a million small arrays.
   */
  pieces: number[];
  size: number;
  /** 'size' before a chunk-size line, 'data' inside a chunk's data and its CRLF, 'trailer' after the last chunk. */
  phase: 'size' | 'data' | 'trailer';
  /** Bytes left in the current chunk (phase 'data'). */
  remaining: number;
  /** Keep the data (a server reading a body) or only find where the body ends (a proxy streaming it). */
  collect: boolean;
  /** Bytes of chunk extensions and trailer fields so far: they count against no body limit, so cap them. */
  metaBytes: number;
  /** How much of the size line at `pos` has been read, what it says so far, and where in its grammar it is. */
  lineRead: number;
  lineSize: number;
  ext: number;
  /** How far the trailer line at `pos` has been read (indices count from `pos`). */
  trailer: FieldScan;
}

export function newChunkedState(offset: number, collect = true): ChunkedState {
  return {
    pos: offset,
    pieces: [],
    size: 0,
    phase: 'size',
    remaining: 0,
    collect,
    metaBytes: 0,
    lineRead: 0,
    lineSize: 0,
    ext: SIZE,
    trailer: newFieldScan(),
  };
}

type Result = { kind: 'incomplete' } | Refusal | { kind: 'body'; body: Buffer; end: number };

const INCOMPLETE = { kind: 'incomplete' } as const;
// Extensions and trailers are read and thrown away; without a cap, 1-byte chunks carrying 4 KiB of
// extensions each would make a 1 MiB body cost 4 GiB of buffer (the attack behind CVE-2024-22019).
const MAX_METADATA = 16 * 1024;

/**
 * Continues decoding a chunked body in `buf` from `state.pos`. Returns the body once the last chunk
 * and trailer section have arrived; `end` is the index just past the final CRLF.
 */
export function readChunkedBody(buf: Buffer, state: ChunkedState, maxBodyBytes: number): Result {
  for (;;) {
    if (state.phase === 'data') {
      const next = readData(buf, state);
      if (next !== null) return next;
    }
    if (state.phase === 'trailer') return readTrailers(buf, state);
    const line = readSizeLine(buf, state);
    if (line !== null) return line;
    state.size += state.lineSize;
    if (state.size > maxBodyBytes) return refuse(413, 'BODY_TOO_LARGE', `The body exceeds the limit of ${maxBodyBytes} bytes.`);
    state.phase = state.lineSize === 0 ? 'trailer' : 'data';
    state.remaining = state.lineSize;
    state.lineSize = 0;
  }
}

/** chunk-data CRLF: the data is taken as it comes; the byte after it must be CR, then LF. */
function readData(buf: Buffer, state: ChunkedState): Result | null {
  const available = Math.min(state.remaining, buf.length - state.pos);
  if (available > 0 && state.collect) state.pieces.push(state.pos, state.pos + available);
  state.pos += available;
  state.remaining -= available;
  if (state.remaining > 0 || state.pos >= buf.length) return INCOMPLETE;
  const cr = buf[state.pos] === CR;
  if (!cr || (state.pos + 1 < buf.length && buf[state.pos + 1] !== LF)) {
    return refuse(400, 'INVALID_CHUNK', 'Chunk data must be followed by CRLF.');
  }
  if (state.pos + 1 >= buf.length) return INCOMPLETE;
  state.pos += 2;
  state.phase = 'size';
  return null;
}

// Where a size line's scan is (ChunkedState.ext): chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ).
const SIZE = 0; // hex digits
const AFTER_ITEM = 1; // after the size or a quoted value: ";", whitespace, or the end of the line
const SPACE = 2; // whitespace after an item: only ";" may follow
const BEFORE_NAME = 3;
const NAME = 4;
const SPACE_AFTER_NAME = 5; // "=" or ";" may follow
const BEFORE_VALUE = 6;
const VALUE = 7; // a token value
const QUOTED = 8;
const ESCAPE = 9; // after "\" in a quoted value

/**
 * chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1, §7.1.1), read byte by byte from where the last call stopped.
 * Null once the line is in (its size is `state.lineSize` and `state.pos` has moved past it).
 */
function readSizeLine(buf: Buffer, state: ChunkedState): Result | null {
  const start = state.pos;
  for (let i = start + state.lineRead; i < buf.length; i++) {
    const c = buf[i];
    if (state.ext === SIZE) {
      const digit = hexValue(c);
      // 12 hex digits is 256 TiB: far past any limit, and still exact in a double.
      if (digit !== -1 && i - start < 12) {
        state.lineSize = state.lineSize * 16 + digit;
        continue;
      }
      if (i === start || digit !== -1) return c === LF ? bareLf() : badSize();
      state.ext = AFTER_ITEM;
    }
    if (c === CR) return endSizeLine(buf, state, i);
    if (c === LF) return bareLf();
    state.ext = extensionStep(state.ext, c);
    if (state.ext === -1) return badSize();
    if (++state.metaBytes > MAX_METADATA)
      return refuse(413, 'CHUNK_EXTENSIONS_TOO_LARGE', `The chunk extensions exceed ${MAX_METADATA} bytes.`);
  }
  state.lineRead = buf.length - start;
  return INCOMPLETE;
}

function endSizeLine(buf: Buffer, state: ChunkedState, cr: number): Result | null {
  if (state.ext !== AFTER_ITEM && state.ext !== NAME && state.ext !== VALUE) return badSize();
  if (cr + 1 >= buf.length) {
    state.lineRead = cr - state.pos; // read the CR again with its LF
    return INCOMPLETE;
  }
  if (buf[cr + 1] !== LF) return bareCr();
  state.pos = cr + 2;
  state.lineRead = 0;
  state.ext = SIZE;
  return null;
}

/** The next state of a chunk extension after byte `c`, or -1 if `c` cannot come here. */
function extensionStep(state: number, c: number): number {
  switch (state) {
    case BEFORE_NAME:
      return isOws(c) ? state : TOKEN[c] === 1 ? NAME : -1;
    case BEFORE_VALUE:
      return isOws(c) ? state : c === 0x22 ? QUOTED : TOKEN[c] === 1 ? VALUE : -1;
    case QUOTED:
      return c === 0x22 ? AFTER_ITEM : c === 0x5c ? ESCAPE : QDTEXT[c] === 1 ? QUOTED : -1; // '"', '\'
    case ESCAPE:
      return c === HTAB || c === SP || FIELD_VCHAR[c] === 1 ? QUOTED : -1; // quoted-pair (RFC 9110 §5.6.4)
    case SPACE:
      return isOws(c) ? state : c === 0x3b ? BEFORE_NAME : -1;
    case SPACE_AFTER_NAME:
      return isOws(c) ? state : c === 0x3d ? BEFORE_VALUE : c === 0x3b ? BEFORE_NAME : -1;
    case NAME:
      if (TOKEN[c] === 1) return NAME;
      if (c === 0x3d) return BEFORE_VALUE; // "="
      return isOws(c) ? SPACE_AFTER_NAME : c === 0x3b ? BEFORE_NAME : -1;
    case VALUE:
      if (TOKEN[c] === 1) return VALUE;
  }
  // AFTER_ITEM, and the end of a token value
  return c === 0x3b ? BEFORE_NAME : isOws(c) ? SPACE : -1;
}

function badSize(): Result {
  return refuse(400, 'INVALID_CHUNK_SIZE', 'A chunk size must be hexadecimal, optionally followed by ";extensions".');
}

// RFC 9110 §6.5.1: fields that frame or route the message mean nothing after the body; Node refuses them too.
const FORBIDDEN_TRAILERS = new Set(['content-length', 'transfer-encoding', 'host']);

/** trailer-section = *( field-line CRLF ), then CRLF (RFC 9112 §7.1.2). The fields are checked, then dropped. */
function readTrailers(buf: Buffer, state: ChunkedState): Result {
  const line = state.trailer;
  for (;;) {
    if (line.pos === 0) {
      if (state.pos >= buf.length) return INCOMPLETE;
      if (buf[state.pos] === CR) return endTrailers(buf, state);
    }
    // Scan no further than the cap, so the answer is the same however the bytes arrive.
    const end = Math.min(buf.length, state.pos + MAX_METADATA - state.metaBytes);
    const text = buf.toString('latin1', state.pos, end);
    const step = scanFieldLine(text, line);
    if (step === 'incomplete') {
      return buf.length > end ? refuse(431, 'TRAILERS_TOO_LARGE', `The trailer fields exceed ${MAX_METADATA} bytes.`) : INCOMPLETE;
    }
    if (step !== 'line') return step;
    const name = fieldName(text, line);
    if (FORBIDDEN_TRAILERS.has(name.toLowerCase())) {
      return refuse(400, 'FORBIDDEN_TRAILER', `"${name}" cannot be sent as a trailer field, after the body (RFC 9110 §6.5.1).`);
    }
    state.metaBytes += line.pos;
    state.pos += line.pos;
    startFieldLine(line, 0);
  }
}

function endTrailers(buf: Buffer, state: ChunkedState): Result {
  if (state.pos + 1 >= buf.length) return INCOMPLETE;
  if (buf[state.pos + 1] !== LF) return bareCr();
  state.pos += 2;
  return finish(buf, state);
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

/** Frames `data` as one chunk of a chunked response body. An empty chunk would end the body, so skip those. */
export function encodeChunk(data: Buffer): Buffer[] {
  return [Buffer.from(data.length.toString(16) + '\r\n', 'latin1'), data, CRLF];
}

export const CRLF = Buffer.from('\r\n', 'latin1');
export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
