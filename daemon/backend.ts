/**
 * The backend server: a TCP listener that gives every accepted socket its own `HttpAdapter`.
 * Node's event loop replaces the thread-per-connection of the Python original; one timer per server
 * enforces every connection's timeouts. Ports WeApRous `daemon/backend.py` (`create_backend(ip, port, routes)`).
 */

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DEFAULT_ADAPTER_OPTIONS, HttpAdapter, type AdapterOptions, type RequestHandler } from './httpadapter';

export type BackendOptions = AdapterOptions & {
  /** How long `close()` waits for in-flight requests before cutting connections. */
  closeGraceMs: number;
};

export interface Backend {
  server: Server;
  /** The bound address; with port 0 this tells which port the system chose. */
  address(): AddressInfo;
  /** Stops accepting, lets in-flight requests finish (up to `closeGraceMs`), then resolves. */
  close(): Promise<void>;
}

/** Listens on `ip:port` and answers every request with `handler`. Resolves once the socket is bound. */
export function createBackend(
  ip: string,
  port: number,
  handler: RequestHandler,
  options: Partial<BackendOptions> = {},
): Promise<Backend> {
  const settings: BackendOptions = { ...DEFAULT_ADAPTER_OPTIONS, closeGraceMs: 5_000, ...options };
  const connections = new Set<HttpAdapter>();
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    connections.add(new HttpAdapter(socket, handler, settings, (adapter) => connections.delete(adapter)));
  });

  const tickMs = Math.max(10, Math.min(1000, settings.headersTimeoutMs / 4, settings.keepAliveTimeoutMs / 4, settings.lingerMs / 4));
  const timer = setInterval(() => {
    const now = Date.now();
    for (const connection of connections) connection.checkTimeouts(now);
  }, tickMs);
  timer.unref();

  const close = (): Promise<void> =>
    new Promise((resolve) => {
      clearInterval(timer);
      const force = setTimeout(() => {
        for (const connection of connections) connection.destroy();
      }, settings.closeGraceMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const connection of connections) connection.drain();
    });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, () => {
      server.off('error', reject);
      resolve({ server, address: () => server.address() as AddressInfo, close });
    });
  });
}
