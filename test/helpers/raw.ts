/**
 * Raw TCP (or TLS) helpers for socket tests: connect to a port, write exact bytes, read back whole HTTP responses.
 * Tests use these instead of an HTTP client so that what goes in the stream is byte for byte the fixture,
 * and the response reader here is deliberately separate from the daemon's own parser and client.
 * No WeApRous twin: the Python course tested its server with curl and a browser.
 */

import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

export interface RawResponse {
  version: string;
  status: number;
  reason: string;
  /** Lower-case names; a repeated field is joined with ", ". */
  headers: Record<string, string>;
  /** Every field line as sent, in order: `[['Set-Cookie', 'a=1'], ...]`. */
  fields: Array<[string, string]>;
  body: Buffer;
  framing: 'none' | 'length' | 'chunked' | 'close';
}

export interface CollectOptions {
  /** Give up after this long (default 10 s): rejects, saying what did arrive. */
  timeoutMs?: number;
  /** The request methods being answered, in order; a HEAD answer has no body. 1xx answers take no slot. */
  methods?: string[];
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** `need`, when known, is how many bytes must be buffered before parsing again can succeed. */
type Parsed = { kind: 'incomplete'; need?: number } | { kind: 'response'; response: RawResponse; consumed: number };
const EMPTY = Buffer.alloc(0);

/** One client connection that keeps every byte it receives until a test reads it. */
export class RawConnection {
  /** Bytes received and not yet parsed into a response; joined only when parsed, so large bodies stay linear. */
  private pieces: Buffer[] = [];
  private pendingLength = 0;
  /** Don't try to parse again before this many bytes are pending (the rest of a known-length body). */
  private wanted = 0;
  /** Every byte received. */
  received = 0;
  closed = false;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      this.pieces.push(chunk);
      this.pendingLength += chunk.length;
      if (this.pendingLength >= this.wanted) this.notify();
    });
    socket.on('error', () => {}); // a reset shows up as 'close'; tests assert on what arrived
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  /**
   * Connects to `127.0.0.1:port`; rejects with the socket error (e.g. ECONNREFUSED). With `tls`, a TLS connection
   * that trusts that CA, resolved once the handshake is done: what `write` sends and 'data' gives are the same
   * plain HTTP bytes, the TLSSocket encrypts them underneath (RFC 9110 §4.2.2).
   */
  static open(port: number, host = '127.0.0.1', tls?: { ca: string | Buffer }): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls ? connectTls({ port, host, ca: tls.ca }) : connect(port, host);
      socket.once('error', reject);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  /** Writes bytes exactly as given (strings as latin1, so "\r\n" is two bytes). */
  write(data: string | Buffer): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    return new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(error) : resolve())));
  }

  /** Half-closes: no more bytes from us, but we keep reading. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * Waits until `count` complete responses have arrived or the connection closed, whichever is first.
   * Interim 1xx responses are included in the list. Rejects on timeout.
   */
  collect(count: number, options: CollectOptions = {}): Promise<{ responses: RawResponse[]; closed: boolean }> {
    const methods = [...(options.methods ?? [])];
    const responses: RawResponse[] = [];
    return this.waitFor(
      options.timeoutMs,
      () => {
        while (responses.length < count) {
          const noBody = methods[0] === 'HEAD';
          const parsed = parseResponse(this.unparsed(), noBody, this.closed);
          this.wanted = parsed.kind === 'incomplete' ? (parsed.need ?? 0) : 0;
          if (parsed.kind === 'incomplete') break;
          this.consume(parsed.consumed);
          responses.push(parsed.response);
          if (parsed.response.status >= 200) methods.shift();
        }
        if (responses.length < count && !this.closed) return null;
        return { responses, closed: this.closed };
      },
      () => `${responses.length} of ${count} responses (${this.received} bytes received, closed: ${this.closed})`,
    );
  }

  /** Exactly `count` responses, or a rejection that says how many came. */
  async read(count: number, options: CollectOptions = {}): Promise<RawResponse[]> {
    const { responses } = await this.collect(count, options);
    if (responses.length < count) {
      const unparsed = this.unparsed().toString('latin1', 0, 200);
      throw new Error(`Connection closed after ${responses.length} of ${count} responses; unparsed: ${JSON.stringify(unparsed)}`);
    }
    return responses;
  }

  /** One response. */
  async readOne(options: CollectOptions = {}): Promise<RawResponse> {
    return (await this.read(1, options))[0];
  }

  /** Resolves once the server has closed the connection (and every byte before that has arrived). */
  waitForClose(timeoutMs?: number): Promise<void> {
    return this.waitFor(
      timeoutMs,
      () => (this.closed ? true : null),
      () => 'the connection to close',
    ).then(() => undefined);
  }

  /** Bytes received but not parsed as a response yet. */
  unparsed(): Buffer {
    if (this.pieces.length > 1) this.pieces = [Buffer.concat(this.pieces)];
    return this.pieces[0] ?? EMPTY;
  }

  private consume(length: number): void {
    const rest = this.unparsed().subarray(length);
    this.pieces = rest.length > 0 ? [rest] : [];
    this.pendingLength = rest.length;
  }

  private waitFor<T>(timeoutMs = DEFAULT_TIMEOUT_MS, check: () => T | null, describe: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const listener = () => {
        let value: T | null;
        try {
          value = check();
        } catch (error) {
          finish();
          return reject(error);
        }
        if (value === null) return;
        finish();
        resolve(value);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
      listener();
    });
  }
}

/** Connects, writes `data`, and collects `count` responses (or until close). Closes the socket afterwards. */
export async function exchange(port: number, data: string | Buffer, count = 1, options: CollectOptions = {}) {
  const connection = await RawConnection.open(port);
  try {
    await connection.write(data);
    return await connection.collect(count, options);
  } finally {
    connection.destroy();
  }
}

/**
 * Parses one response at the start of `buf`. Throws on bytes that are not a response: a test should
 * fail loudly if the server ever writes garbage.
 */
export function parseResponse(buf: Buffer, noBody = false, atEof = false): Parsed {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return { kind: 'incomplete' };
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const match = /^(HTTP\/\d\.\d) (\d{3}) (.*)$/.exec(lines[0]);
  if (!match) throw new Error(`Not a status line: ${JSON.stringify(lines[0])}`);
  const fields: Array<[string, string]> = [];
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`Not a header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    fields.push([name, value]);
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  const status = Number(match[2]);
  const head = { version: match[1], status, reason: match[3], headers, fields };
  const start = end + 4;
  if (noBody || status < 200 || status === 204 || status === 304) {
    return { kind: 'response', response: { ...head, body: Buffer.alloc(0), framing: 'none' }, consumed: start };
  }
  if (headers['transfer-encoding'] !== undefined) return parseChunked(buf, start, head);
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (buf.length < start + length) return { kind: 'incomplete', need: start + length };
    return {
      kind: 'response',
      response: { ...head, body: buf.subarray(start, start + length), framing: 'length' },
      consumed: start + length,
    };
  }
  if (!atEof) return { kind: 'incomplete' };
  return { kind: 'response', response: { ...head, body: buf.subarray(start), framing: 'close' }, consumed: buf.length };
}

/** A deliberately plain chunked decoder (no extensions expected from our server). */
function parseChunked(buf: Buffer, start: number, head: Omit<RawResponse, 'body' | 'framing'>): Parsed {
  const pieces: Buffer[] = [];
  let pos = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', pos);
    if (lineEnd === -1) return { kind: 'incomplete' };
    const size = parseInt(buf.toString('latin1', pos, lineEnd), 16);
    if (Number.isNaN(size)) throw new Error(`Bad chunk size line: ${JSON.stringify(buf.toString('latin1', pos, lineEnd))}`);
    pos = lineEnd + 2;
    if (size === 0) break;
    if (buf.length < pos + size + 2) return { kind: 'incomplete', need: pos + size + 2 };
    pieces.push(buf.subarray(pos, pos + size));
    if (buf.toString('latin1', pos + size, pos + size + 2) !== '\r\n') throw new Error('Chunk data not followed by CRLF');
    pos += size + 2;
  }
  const trailerEnd = buf.indexOf('\r\n', pos);
  if (trailerEnd === -1) return { kind: 'incomplete' };
  if (trailerEnd !== pos) throw new Error('Unexpected trailer fields in a response');
  return { kind: 'response', response: { ...head, body: Buffer.concat(pieces), framing: 'chunked' }, consumed: trailerEnd + 2 };
}

/** A promise with its resolve function outside, so a test decides when a handler finishes. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A raw TCP server whose every connection is handed to `onSocket`; `stop()` closes it and its sockets. */
export function rawServer(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, stop })),
  );
}
