/**
 * A small HTTP/1.1 client on `node:net`, so a peer can be a client as well as a server: it writes a request,
 * reads the response with the server's own field rules (responsereader.ts), and keeps connections open for the
 * next request to the same host; `https://` URLs go over TLS (tls.ts), checked against a CA or a pinned fingerprint.
 * WeApRous's Python peers used `urllib2.urlopen`, one connection per message; this has no Python twin.
 */

import { connect, type Socket } from 'node:net';
import { ConnectionPool, discard, isIdempotent, type Endpoint } from './pool';
import { ClientError, ResponseReader, type ClientResponse } from './responsereader';
import { openSecure, type TlsTrust } from './tls';

// Re-exported: the response head parser and the response framing rule lived here before parser.ts and framing.ts,
// and what a request comes back as, before responsereader.ts.
export { parseResponseHead, type ResponseHeadResult } from './parser';
export { responseFraming, type ResponseFraming } from './framing';
export { ClientError, ResponseReader, type ClientResponse };

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

export interface ClientOptions extends TlsTrust {
  /** Default time allowed for connecting plus the whole response. */
  timeoutMs?: number;
  /** Idle pooled connections are closed after this long (below the server's keep-alive timeout). */
  idleMs?: number;
  /** Largest response body accepted. */
  maxBodyBytes?: number;
  /** The address plain http:// connections come from (`127.0.0.2`: a test's second machine on loopback). */
  localAddress?: string;
}

export class HttpClient {
  private readonly pool: ConnectionPool;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly localAddress: string | undefined;
  /** How an https:// server is checked: `ca` (else the system's CAs) or a pinned `fingerprint`; never not at all. */
  private readonly trust: TlsTrust;

  constructor(options: ClientOptions = {}) {
    this.trust = { ca: options.ca, fingerprint: options.fingerprint };
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.pool = new ConnectionPool(options.idleMs ?? 4_000);
    this.maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
    this.localAddress = options.localAddress;
  }

  /** `await client.request('http://127.0.0.1:8000/get-list/')` */
  async request(url: string, options: RequestOptions = {}): Promise<ClientResponse> {
    const target = parseUrl(url);
    const method = (options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET')).toUpperCase();
    const payload = encodeRequest(target, method, options);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const maxBodyBytes = options.maxBodyBytes ?? this.maxBodyBytes;
    const pooled = this.pool.take(endpointOf(target));
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
    const socket = target.secure
      ? await this.openSecure(target, timeoutMs)
      : connect({ host: target.host, port: target.port, localAddress: this.localAddress });
    socket.setNoDelay(true);
    return this.exchange(socket, target, method, payload, { timeoutMs, maxBodyBytes }, false);
  }

  /** A TLS connection whose server passed the check (tls.ts); a ClientError saying why not. */
  private async openSecure(target: Target, timeoutMs: number): Promise<Socket> {
    try {
      return await openSecure(target.host, target.port, this.trust, timeoutMs);
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      if (code !== undefined && REASONS[code]) throw describe(error as NodeJS.ErrnoException, target.key);
      throw new ClientError(code ?? 'TLS', `TLS with ${target.key} failed: ${message}`);
    }
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
          if (keep) this.pool.release(endpointOf(target), socket);
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

interface Target {
  host: string;
  port: number;
  /** `host:port`, as the Host header says it; the pool tells http and https apart by `https://` in front. */
  key: string;
  path: string;
  secure: boolean;
}

function parseUrl(url: string): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ClientError('BAD_URL', `"${url}" is not a URL; expected something like http://127.0.0.1:8000`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ClientError('BAD_URL', `Only http:// and https:// URLs are supported, not ${parsed.protocol}`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const secure = parsed.protocol === 'https:';
  const port = Number(parsed.port || (secure ? 443 : 80));
  return { host, port, key: `${parsed.hostname}:${port}`, path: (parsed.pathname || '/') + parsed.search, secure };
}

/** The pool's key: an https connection is never handed to an http request, nor the other way round. */
function endpointOf(target: Target): Endpoint {
  return { host: target.host, port: target.port, key: target.secure ? `https://${target.key}` : target.key };
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
