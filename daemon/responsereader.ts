/**
 * What a request comes back as, and the reader that makes it from a connection's bytes: a `ClientResponse`,
 * or a `ClientError` that says what went wrong. It parses; it opens no socket and keeps no time (client.ts
 * does both). New; WeApRous's peers had `urllib2` read their responses.
 */

import { GrowableBuffer } from './buffer';
import type { CaseInsensitiveDict } from './dictionary';
import { newChunkedState, readChunkedBody, type ChunkedState } from './chunked';
import { MAX_INTERIM_RESPONSES, newHeadScan, parseResponseHead, type ResponseHeadResult } from './parser';
import { responseFraming, wantsKeepAlive, type ResponseFraming } from './framing';

export interface ClientResponse {
  status: number;
  headers: CaseInsensitiveDict<string>;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

/** A failed request, with a sentence a person can act on: "Connection refused by 127.0.0.1:8000". */
export class ClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

function makeResponse(status: number, headers: CaseInsensitiveDict<string>, body: Buffer): ClientResponse {
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}

const MAX_RESPONSE_HEAD = 64 * 1024;

/**
 * Reads one response from a connection's bytes, however they are split. The bytes collect in a
 * `GrowableBuffer` (buffer.ts, the server's own): a packet is copied into spare room that doubles when full,
 * so a 16 MiB answer read in 1 KiB packets costs a few copies of 16 MiB, not one copy of all it has so far per
 * packet (8,000 times 16 MiB).
 */
export class ResponseReader {
  private readonly input = new GrowableBuffer();
  private head: Extract<ResponseHeadResult, { kind: 'head' }> | null = null;
  private framing: ResponseFraming | null = null;
  private chunked: ChunkedState | null = null;
  private interim = 0;
  /** Where the parser stopped in a head still arriving, so a head that trickles in is read once. */
  private headScan = newHeadScan();

  constructor(
    private readonly method: string,
    private readonly maxBodyBytes: number,
  ) {}

  /** Nothing of a response has arrived (a pooled connection closed under us had not answered). */
  get empty(): boolean {
    return this.input.length === 0 && this.head === null;
  }

  /** Adds a packet; returns the response once it is whole, an error, or null to wait for more. */
  push(chunk: Buffer): { response: ClientResponse; keepAlive: boolean } | ClientError | null {
    this.input.append(chunk);
    while (this.head === null) {
      const head = parseResponseHead(this.input.bytes, 0, MAX_RESPONSE_HEAD, this.headScan);
      if (head.kind === 'incomplete') return null;
      this.headScan = newHeadScan();
      if (head.kind === 'error') return new ClientError('BAD_RESPONSE', `Invalid response: ${head.reason}`);
      if (head.status >= 200) {
        this.head = head;
        this.framing = responseFraming(this.method, head.status, head.headers);
        if (!this.framing) return new ClientError('BAD_RESPONSE', 'Invalid Content-Length in response');
        if (this.framing.kind === 'length' && this.framing.length > this.maxBodyBytes) return tooLarge();
        break;
      }
      // A 1xx interim response: the real one follows. A server that sends them without end is broken or hostile.
      if (++this.interim > MAX_INTERIM_RESPONSES)
        return new ClientError('BAD_RESPONSE', `More than ${MAX_INTERIM_RESPONSES} interim (1xx) responses`);
      this.input.consume(head.headLength);
    }
    return this.readBody();
  }

  private readBody(): { response: ClientResponse; keepAlive: boolean } | ClientError | null {
    const head = this.head!;
    const start = head.headLength;
    const framing = this.framing!;
    const bytes = this.input.bytes;
    if (framing.kind === 'close') return bytes.length - start > this.maxBodyBytes ? tooLarge() : null;
    let body: Buffer;
    let end = start;
    if (framing.kind === 'length') {
      end = start + framing.length;
      if (bytes.length < end) return null;
      body = bytes.subarray(start, end);
    } else if (framing.kind === 'chunked') {
      this.chunked ??= newChunkedState(start);
      const result = readChunkedBody(bytes, this.chunked, this.maxBodyBytes);
      if (result.kind === 'incomplete') return null;
      if (result.kind === 'error') return new ClientError('BAD_RESPONSE', `Invalid chunked response: ${result.error.reason}`);
      body = result.body;
      end = result.end;
    } else {
      body = Buffer.alloc(0);
    }
    // Bytes after the response answer nothing we asked: the connection is out of step, so it is not reused.
    const keepAlive = wantsKeepAlive(head.headers.get('connection'), head.version) && bytes.length === end;
    return { response: makeResponse(head.status, head.headers, ownBytes(body)), keepAlive };
  }

  /** A close-delimited body ends when the connection does. */
  finishOnClose(): ClientResponse | null {
    if (this.head === null || this.framing?.kind !== 'close') return null;
    return makeResponse(this.head.status, this.head.headers, ownBytes(this.input.bytes.subarray(this.head.headLength)));
  }
}

function tooLarge(): ClientError {
  return new ClientError('BAD_RESPONSE', 'Response body too large');
}

/** The body in an allocation of its own size: a view into the reader's larger buffer would keep all of it alive. */
function ownBytes(body: Buffer): Buffer {
  if (body.byteLength === body.buffer.byteLength) return body;
  const own = Buffer.allocUnsafeSlow(body.length);
  body.copy(own);
  return own;
}
