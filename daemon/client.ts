/**
 * A small HTTP/1.1 client on `node:net`, so a peer can be a client as well as a server: it writes a
 * request, parses the response with the same field rules as the server, and keeps connections open for
 * the next request to the same host. WeApRous's Python peers used `urllib2.urlopen`, one connection per
 * message; this has no Python twin.
 */

import { connect, type Socket } from 'node:net';
import { ConnectionPool, discard, isIdempotent } from './pool';
import { GrowableBuffer } from './buffer';
import type { CaseInsensitiveDict } from './dictionary';
import { newChunkedState, readChunkedBody, type ChunkedState } from './chunked';
import { MAX_INTERIM_RESPONSES, newHeadScan, parseResponseHead, type ResponseHeadResult } from './parser';
import { responseFraming, wantsKeepAlive, type ResponseFraming } from './framing';

// Re-exported: the response head parser and the response framing rule lived here before parser.ts and framing.ts.
export { parseResponseHead, responseFraming, type ResponseFraming, type ResponseHeadResult };

export interface ClientResponse {
  status: number;
  headers: CaseInsensitiveDict<string>;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  timeoutMs?: number;
  /** Largest response body accepted for this request (the client's `maxBodyBytes` if not given). */
  maxBodyBytes?: number;
}

export interface ClientOptions {
  /** Default time allowed for connecting plus the whole response. */
  timeoutMs?: number;
  /** Idle pooled connections are closed after this long (below the server's keep-alive timeout). */
  idleMs?: number;
  /** Largest response body accepted. */
  maxBodyBytes?: number;
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

export class HttpClient {
  private readonly pool: ConnectionPool;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;

  constructor(options: ClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.pool = new ConnectionPool(options.idleMs ?? 4_000);
    this.maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  }

  /** `await client.request('http://127.0.0.1:8000/get-list/')` */
  async request(url: string, options: RequestOptions = {}): Promise<ClientResponse> {
    const target = parseUrl(url);
    const method = (options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET')).toUpperCase();
    const payload = encodeRequest(target, method, options);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const maxBodyBytes = options.maxBodyBytes ?? this.maxBodyBytes;
    const pooled = this.pool.take(target);
    if (pooled) {
      try {
        return await this.exchange(pooled, target, method, payload, { timeoutMs, maxBodyBytes }, true);
      } catch (error) {
        if (!(error instanceof ClientError) || error.code !== 'STALE') throw error;
        // The server closed the kept-alive connection just as we reused it, before answering. RFC 9110 §9.2.2:
        // only an idempotent request may be sent again automatically; a POST (a chat message) may have been
        // received, and sending it twice could show it twice, so the caller is told instead.
        if (!isIdempotent(method)) {
          throw new ClientError('ECONNRESET', `Connection to ${target.key} closed before it answered; the ${method} was not sent again`);
        }
      }
    }
    const socket = connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    return this.exchange(socket, target, method, payload, { timeoutMs, maxBodyBytes }, false);
  }

  /** Closes every pooled connection. */
  close(): void {
    this.pool.close();
  }

  /** Writes one request on `socket` and reads its response; the socket goes back to the pool if it can. */
  private exchange(
    socket: Socket,
    target: Target,
    method: string,
    payload: Buffer,
    { timeoutMs, maxBodyBytes }: { timeoutMs: number; maxBodyBytes: number },
    reused: boolean,
  ): Promise<ClientResponse> {
    const key = target.key;
    return new Promise((resolve, reject) => {
      const reader = new ResponseReader(method, maxBodyBytes);
      let settled = false;
      const finish = (error: ClientError | null, response?: ClientResponse, keep = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.off('data', onData);
        if (error) {
          discard(socket);
          reject(error);
        } else {
          if (keep) this.pool.release(target, socket);
          else discard(socket);
          resolve(response!);
        }
      };
      const onError = (error: NodeJS.ErrnoException) => finish(reused && reader.empty ? stale() : describe(error, key));
      const onClose = () => {
        const done = reader.finishOnClose();
        if (done) finish(null, done);
        else
          finish(
            reused && reader.empty
              ? stale()
              : new ClientError('ECONNRESET', `Connection to ${key} closed before the response was complete`),
          );
      };
      const onData = (chunk: Buffer) => {
        const result = reader.push(chunk);
        if (result === null) return;
        if (result instanceof ClientError) finish(result);
        else finish(null, result.response, result.keepAlive);
      };
      const timer = setTimeout(() => finish(new ClientError('TIMEOUT', `No response from ${key} within ${timeoutMs} ms`)), timeoutMs);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.on('data', onData);
      socket.write(payload);
    });
  }
}

const MAX_RESPONSE_HEAD = 64 * 1024;

/**
 * Reads one response from a connection's bytes, however they are split. The bytes collect in a
 * `GrowableBuffer` (buffer.ts, the server's own): a packet is copied into spare room that doubles when full,
 * so a 16 MiB answer read in 1 KiB packets costs a few copies of 16 MiB, not one copy of all it has so far per
 * packet (8,000 times 16 MiB). Exported for its tests.
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

interface Target {
  host: string;
  port: number;
  key: string;
  path: string;
}

function parseUrl(url: string): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ClientError('BAD_URL', `"${url}" is not a URL; expected something like http://127.0.0.1:8000`);
  }
  if (parsed.protocol !== 'http:') throw new ClientError('BAD_URL', `Only http:// URLs are supported, not ${parsed.protocol}`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = Number(parsed.port || 80);
  return { host, port, key: `${parsed.hostname}:${port}`, path: (parsed.pathname || '/') + parsed.search };
}

function encodeRequest(target: Target, method: string, options: RequestOptions): Buffer {
  const headers: Record<string, string> = { Host: target.key, ...options.headers };
  let body: Buffer | null = null;
  if (options.json !== undefined) {
    body = Buffer.from(JSON.stringify(options.json), 'utf8');
    headers['Content-Type'] ??= 'application/json';
  } else if (options.body !== undefined) {
    body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  }
  if (body !== null || method === 'POST' || method === 'PUT') headers['Content-Length'] = String(body?.length ?? 0);
  let head = `${method} ${target.path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name + value)) throw new ClientError('BAD_HEADER', `Header ${name} contains a line break`);
    head += `${name}: ${value}\r\n`;
  }
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

function stale(): ClientError {
  return new ClientError('STALE', 'pooled connection was closed by the server');
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'Connection refused by',
  ECONNRESET: 'Connection reset by',
  EHOSTUNREACH: 'No route to',
  ENETUNREACH: 'Network unreachable for',
  ETIMEDOUT: 'Timed out connecting to',
  ENOTFOUND: 'Unknown host',
  EPIPE: 'Connection closed by',
};

function describe(error: NodeJS.ErrnoException, key: string): ClientError {
  const code = error.code ?? 'ERROR';
  return new ClientError(code, REASONS[code] ? `${REASONS[code]} ${key}` : `${error.message} (${key})`);
}
