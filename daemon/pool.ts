/**
 * Idle keep-alive connections to other servers, kept for the next request to the same `host:port`: one
 * pool for the HTTP client (client.ts: peers talking to the tracker and to each other) and for the reverse
 * proxy's backends (upstream.ts). An idle connection is dropped when the server closes it, sends bytes
 * nobody asked for, or stays unused past `idleMs`. New: WeApRous opened a connection per request.
 */

import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/**
 * Methods that have the same effect sent twice as once (RFC 9110 §9.2.2). Only these may be sent again by
 * themselves when a pooled connection turns out to have been closed under them, or go on a pooled connection at all
 * where sending again is the plan (the proxy): a POST (a chat message, a login) must never run twice.
 */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** Where a pooled connection goes; `key` is `host:port` (`https://host:port` for TLS, so the two never mix). */
export interface Endpoint {
  host: string;
  port: number;
  key: string;
  /** Over TLS, the server's certificate checked against `ca` (else the system's CAs) before the socket is handed out. */
  secure?: boolean;
  ca?: string | Buffer;
}

// 'data' too: bytes from an idle connection answer nothing we asked, so the stream is out of step.
const IDLE_EVENTS = ['end', 'close', 'error', 'data'] as const;

export class ConnectionPool {
  private readonly idle = new Map<string, Socket[]>();
  /** How each idle socket is dropped; also how its listeners are found again to take them off. */
  private readonly dropping = new Map<Socket, () => void>();
  private closed = false;

  /** `idleMs` should be below the servers' keep-alive timeout, so we drop a connection before they do. */
  constructor(
    private readonly idleMs: number,
    private readonly maxIdlePerHost = 32,
  ) {}

  /** An idle connection to `endpoint`, or null. */
  take(endpoint: Endpoint): Socket | null {
    const socket = this.idle.get(endpoint.key)?.pop();
    if (!socket) return null;
    this.forget(socket);
    socket.ref();
    return socket;
  }

  /** Opens a connection; `done(null, socket)` once connected, `done(error)` if it could not be in time. */
  open(endpoint: Endpoint, timeoutMs: number, done: (error: Error | null, socket?: Socket) => void): void {
    const socket = endpoint.secure
      ? connectTls({
          host: endpoint.host,
          port: endpoint.port,
          ca: endpoint.ca,
          servername: isIP(endpoint.host) ? undefined : endpoint.host,
        })
      : connect({ host: endpoint.host, port: endpoint.port });
    const onError = (error: Error) => finish(error);
    const onTimeout = () => finish(Object.assign(new Error('connect timeout'), { code: 'CONNECT_TIMEOUT' }));
    const finish = (error: Error | null) => {
      socket.off('error', onError);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
      if (error) {
        discard(socket);
        done(error);
      } else {
        socket.setNoDelay(true);
        done(null, socket);
      }
    };
    socket.once(endpoint.secure ? 'secureConnect' : 'connect', () => finish(null));
    socket.on('error', onError);
    socket.setTimeout(timeoutMs, onTimeout);
  }

  /** Puts back a connection whose last response was complete, for the next request to `endpoint`. */
  release(endpoint: Endpoint, socket: Socket): void {
    const list = this.idle.get(endpoint.key) ?? [];
    if (this.closed || socket.destroyed || list.length >= this.maxIdlePerHost) return discard(socket);
    this.idle.set(endpoint.key, list);
    list.push(socket);
    const drop = () => {
      const i = list.indexOf(socket);
      if (i !== -1) list.splice(i, 1);
      this.forget(socket);
      discard(socket);
    };
    this.dropping.set(socket, drop);
    for (const event of IDLE_EVENTS) socket.on(event, drop);
    socket.setTimeout(this.idleMs, drop);
    socket.unref(); // an idle pooled connection must not keep the process alive
  }

  /** How many idle connections wait for `endpoint` (for tests and logs). */
  idleCount(endpoint: Endpoint): number {
    return this.idle.get(endpoint.key)?.length ?? 0;
  }

  /** Takes the pool's own listeners off a socket (not removeAllListeners: net.Socket has internal ones). */
  private forget(socket: Socket): void {
    const drop = this.dropping.get(socket);
    if (!drop) return;
    this.dropping.delete(socket);
    for (const event of IDLE_EVENTS) socket.off(event, drop);
    socket.off('timeout', drop);
    socket.setTimeout(0);
  }

  /** Closes every idle connection, and every connection released from now on. */
  close(): void {
    this.closed = true;
    for (const drop of [...this.dropping.values()]) drop();
    this.idle.clear();
  }
}

/** Closes a connection nobody listens to any more; a late error from it must not crash the process. */
export function discard(socket: Socket): void {
  socket.on('error', () => {});
  socket.destroy();
}
