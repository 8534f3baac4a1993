/**
 * Properties of the request parser, checked on requests that fast-check makes up: any bytes at all are answered
 * (never a throw), a valid request parses to the same result however its bytes are split, and a request written
 * out by the serializer below parses back to itself. A failure prints the seed and the smallest counterexample.
 * Tests for `daemon/parser.ts` and `daemon/request.ts` (new; WeApRous had no tests).
 */

import { expect } from 'chai';
import fc from 'fast-check';
import { parseResponseHead } from '../../daemon/parser';
import {
  DEFAULT_LIMITS,
  newBodyState,
  newHeadScan,
  parseHead,
  parseRequest,
  readBody,
  type HeadResult,
  type Request,
  type RequestResult,
} from '../../daemon/request';

// Enough runs to reach the corners, few enough that the file takes seconds.
const RUNS = { numRuns: 300 };

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Visible ASCII and obs-text (RFC 9110 §5.5), as latin1 characters. */
const VCHAR = Array.from({ length: 0xff - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== '\x7f');

/** Names the framing rules judge (they get their own generators), and Expect, which is answered 417 unless 100-continue. */
const FRAMING_NAMES = new Set(['host', 'content-length', 'transfer-encoding', 'expect']);

/** What a client wants sent: the serializer below turns it into bytes. */
interface RequestSpec {
  method: string;
  segments: string[];
  query: [string, string][];
  version: 'HTTP/1.0' | 'HTTP/1.1';
  host: string;
  fields: [string, string][];
  body: Buffer;
  /** Chunk sizes that add up to the body, or null for Content-Length framing. */
  chunks: number[] | null;
  /** Each chunk's extension (`;name=value`) or '' */
  extensions: string[];
}

const token = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength });

/** A field value: visible characters with single spaces or tabs inside, never at either end (the parser trims those). */
const fieldValue = fc
  .array(fc.string({ unit: fc.constantFrom(...VCHAR), minLength: 1, maxLength: 12 }), { maxLength: 4 })
  .chain((words) => fc.tuple(fc.constant(words), fc.array(fc.constantFrom(' ', '\t', ' \t '), { minLength: words.length })))
  .map(([words, gaps]) => words.map((w, i) => (i === 0 ? w : gaps[i] + w)).join(''));

const field = fc.tuple(
  token(16).filter((name) => !FRAMING_NAMES.has(name.toLowerCase())),
  fieldValue,
);

const requestSpec: fc.Arbitrary<RequestSpec> = fc
  .record({
    method: token(10),
    segments: fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { maxLength: 4 }),
    query: fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 6 })), {
      maxLength: 3,
    }),
    version: fc.constantFrom('HTTP/1.0' as const, 'HTTP/1.1' as const),
    host: fc.constantFrom('localhost', 'localhost:8000', '127.0.0.1:9', 'example.com'),
    fields: fc.array(field, { maxLength: 8 }),
    body: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    chunked: fc.boolean(),
    cuts: fc.array(fc.nat(), { maxLength: 5 }),
    extensions: fc.array(fc.constantFrom('', ';a', ';name=value', ' ; q="x;y"'), { minLength: 7, maxLength: 7 }),
  })
  .map(({ chunked, cuts, ...rest }) => ({
    ...rest,
    chunks: chunked && rest.version === 'HTTP/1.1' ? chunkSizes(rest.body.length, cuts) : null,
  }));

/** Splits `length` bytes into chunks at the given (wrapped) offsets; the last-chunk (size 0) is added by the serializer. */
function chunkSizes(length: number, cuts: number[]): number[] {
  const points = [...new Set(cuts.map((c) => c % (length + 1)))].filter((p) => p > 0 && p < length).sort((a, b) => a - b);
  const edges = [0, ...points, length];
  return edges
    .slice(1)
    .map((end, i) => end - edges[i])
    .filter((size) => size > 0);
}

function targetOf(spec: RequestSpec): string {
  const path = '/' + spec.segments.map(encodeURIComponent).join('/');
  if (spec.query.length === 0) return path;
  return path + '?' + spec.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** The request as a client writes it: request line, fields, blank line, body framed by Content-Length or chunked. */
function serialize(spec: RequestSpec): Buffer {
  const lines = [`${spec.method} ${targetOf(spec)} ${spec.version}`, `Host: ${spec.host}`];
  for (const [name, value] of spec.fields) lines.push(`${name}: ${value}`);
  if (spec.chunks === null) {
    lines.push(`Content-Length: ${spec.body.length}`);
    return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), spec.body]);
  }
  lines.push('Transfer-Encoding: chunked');
  const parts: Buffer[] = [Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1')];
  let at = 0;
  spec.chunks.forEach((size, i) => {
    const hex = i % 2 === 0 ? size.toString(16) : size.toString(16).toUpperCase();
    parts.push(Buffer.from(`${hex}${spec.extensions[i % spec.extensions.length]}\r\n`, 'latin1'));
    parts.push(spec.body.subarray(at, at + size), Buffer.from('\r\n'));
    at += size;
  });
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** The header fields a parser should give back: lower-case names, repeated fields joined as `addField` joins them. */
function expectedHeaders(spec: RequestSpec): Record<string, string> {
  const all: [string, string][] = [['Host', spec.host], ...spec.fields];
  all.push(spec.chunks === null ? ['Content-Length', String(spec.body.length)] : ['Transfer-Encoding', 'chunked']);
  const out: Record<string, string> = Object.create(null); // a field named "constructor" is data, not a prototype's
  for (const [name, value] of all) {
    const key = name.toLowerCase();
    out[key] = key in out ? out[key] + (key === 'cookie' ? '; ' : ', ') + value : value;
  }
  return { ...out };
}

/** The decoded query: a repeated name keeps the last value (as `parseQueryString` does). */
function expectedQuery(spec: RequestSpec): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of spec.query) out[k] = v;
  return { ...out };
}

/** Everything a handler can see of a request, as plain data that `deep.equal` compares. */
function summary(result: RequestResult | HeadResult): unknown {
  if (result.kind !== 'request') return result.kind === 'error' ? { error: result.error.code } : { kind: result.kind };
  return { ...view(result.request), bytesConsumed: result.bytesConsumed };
}

function view(r: Request): Record<string, unknown> {
  return {
    method: r.method,
    target: r.target,
    path: r.path,
    query: { ...r.query },
    version: r.version,
    headers: { ...r.headers.toJSON() },
    names: [...r.headers].map(([name]) => name),
    framing: r.framing,
    keepAlive: r.keepAlive,
    body: r.body.toString('hex'),
  };
}

/** Feeds growing prefixes of `bytes`, ending at each of `cuts` and then the whole, to parseRequest without state. */
function parseInPieces(bytes: Buffer, cuts: number[]): RequestResult {
  for (const cut of cuts) {
    const result = parseRequest(bytes.subarray(0, cut));
    if (result.kind !== 'incomplete') return result;
  }
  return parseRequest(bytes);
}

/** The same, but as the adapter reads: one HeadScan across the head's prefixes, then one BodyState across the body's. */
function parseResuming(bytes: Buffer, cuts: number[]): RequestResult {
  const scan = newHeadScan();
  let head: HeadResult = { kind: 'incomplete' };
  const body = newBodyState();
  for (const cut of [...cuts, bytes.length]) {
    const prefix = bytes.subarray(0, cut);
    if (head.kind === 'incomplete') head = parseHead(prefix, 0, DEFAULT_LIMITS, scan);
    if (head.kind === 'error') return head;
    if (head.kind === 'incomplete') continue;
    const read = readBody(prefix, head.headLength, head.head.framing, body);
    if (read.kind === 'error') return read;
    if (read.kind === 'body') {
      const request = { ...head.head, body: read.body, params: {} };
      return { kind: 'request', request, bytesConsumed: read.end };
    }
  }
  return { kind: 'incomplete' };
}

/** Sorted cut points inside `length`, from any numbers. */
function cutsFrom(numbers: number[], length: number): number[] {
  return [...new Set(numbers.map((n) => n % (length + 1)))].sort((a, b) => a - b);
}

const everyOffset = (length: number): number[] => Array.from({ length }, (_, i) => i + 1);

/** Names an object literal already has: fast-check found "constructor", which once tripped this file's own helpers. */
const PROTOTYPE_NAMES: RequestSpec = {
  method: 'GET',
  segments: ['__proto__'],
  query: [
    ['__proto__', 'x'],
    ['constructor', 'y'],
  ],
  version: 'HTTP/1.0',
  host: 'localhost',
  fields: [
    ['constructor', ''],
    ['__proto__', 'a'],
    ['__PROTO__', 'b'],
  ],
  body: Buffer.alloc(0),
  chunks: null,
  extensions: [],
};

describe('parser properties (fast-check)', () => {
  describe('any bytes', () => {
    const junk = fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b));
    /** Bytes that start like a request, so the generator reaches the fields and the body, not just the method. */
    const plausible = fc
      .tuple(
        fc.constantFrom('GET / HTTP/1.1\r\n', 'POST /x HTTP/1.1\r\nHost: a\r\n', 'PUT /y HTTP/1.0\r\nTransfer-Encoding: chunked\r\n'),
        junk,
      )
      .map(([start, rest]) => Buffer.concat([Buffer.from(start, 'latin1'), rest]));

    it('parseHead and parseRequest answer without throwing, whole and one byte at a time with a HeadScan', () => {
      fc.assert(
        fc.property(fc.oneof(junk, plausible), (bytes) => {
          parseRequest(bytes);
          const scan = newHeadScan();
          for (let cut = 1; cut <= bytes.length; cut++) {
            if (parseHead(bytes.subarray(0, cut), 0, DEFAULT_LIMITS, scan).kind !== 'incomplete') break;
          }
        }),
        RUNS,
      );
    });

    it('parseResponseHead answers without throwing', () => {
      const response = fc
        .tuple(fc.constantFrom('', 'HTTP/1.1 ', 'HTTP/1.1 200 OK\r\n'), junk)
        .map(([start, rest]) => Buffer.concat([Buffer.from(start, 'latin1'), rest]));
      fc.assert(
        fc.property(response, (bytes) => {
          parseResponseHead(bytes);
          const scan = newHeadScan();
          for (let cut = 1; cut <= bytes.length; cut++) {
            if (parseResponseHead(bytes.subarray(0, cut), 0, undefined, scan).kind !== 'incomplete') break;
          }
        }),
        RUNS,
      );
    });

    it('a damaged request gets the same answer whole as byte by byte', () => {
      // One byte of a valid request replaced: accepted or refused, the verdict must not depend on the split.
      const damaged = fc.tuple(requestSpec, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([spec, at, byte]) => {
        const bytes = Buffer.from(serialize(spec));
        bytes[at % bytes.length] = byte;
        return bytes;
      });
      fc.assert(
        fc.property(damaged, (bytes) => {
          const whole = summary(parseRequest(bytes));
          expect(summary(parseInPieces(bytes, everyOffset(bytes.length)))).to.deep.equal(whole);
          expect(summary(parseResuming(bytes, everyOffset(bytes.length)))).to.deep.equal(whole);
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('any valid request', () => {
    it('parses to what was serialized: method, target, version, headers and body', () => {
      fc.assert(
        fc.property(requestSpec, (spec) => {
          const bytes = serialize(spec);
          const result = parseRequest(bytes);
          if (result.kind !== 'request') throw new Error(`refused: ${JSON.stringify(summary(result))}`);
          const r = result.request;
          expect(result.bytesConsumed).to.equal(bytes.length);
          expect({ method: r.method, target: r.target, version: r.version }).to.deep.equal({
            method: spec.method,
            target: targetOf(spec),
            version: spec.version,
          });
          expect(r.path).to.equal('/' + spec.segments.join('/'));
          expect({ ...r.query }).to.deep.equal(expectedQuery(spec));
          expect({ ...r.headers.toJSON() }).to.deep.equal(expectedHeaders(spec));
          expect(r.body.equals(spec.body)).to.equal(true);
        }),
        { ...RUNS, examples: [[PROTOTYPE_NAMES]] },
      );
    });

    it('parses the same split at random points, with and without a HeadScan', () => {
      fc.assert(
        fc.property(requestSpec, fc.array(fc.nat(), { maxLength: 8 }), (spec, numbers) => {
          const bytes = serialize(spec);
          const whole = summary(parseRequest(bytes));
          const cuts = cutsFrom(numbers, bytes.length);
          expect(summary(parseInPieces(bytes, cuts))).to.deep.equal(whole);
          expect(summary(parseResuming(bytes, cuts))).to.deep.equal(whole);
        }),
        RUNS,
      );
    });

    it('parses the same one byte at a time', () => {
      fc.assert(
        fc.property(requestSpec, (spec) => {
          const bytes = serialize(spec);
          const whole = summary(parseRequest(bytes));
          expect(summary(parseResuming(bytes, everyOffset(bytes.length)))).to.deep.equal(whole);
        }),
        { numRuns: 200 },
      );
    });

    it('leaves the bytes after it, a pipelined request, for the next parse', () => {
      fc.assert(
        fc.property(requestSpec, requestSpec, (first, second) => {
          const a = serialize(first);
          const both = Buffer.concat([a, serialize(second)]);
          const result = parseRequest(both);
          if (result.kind !== 'request') throw new Error(`refused: ${JSON.stringify(summary(result))}`);
          expect(result.bytesConsumed).to.equal(a.length);
          expect(summary(parseRequest(both.subarray(result.bytesConsumed)))).to.deep.equal(summary(parseRequest(serialize(second))));
        }),
        { numRuns: 200 },
      );
    });
  });
});
