/**
 * The backend server: a TCP listener that gives every accepted socket its own `HttpAdapter`.
 * Node's event loop replaces the thread-per-connection of the Python original; one timer per server
 * enforces every connection's timeouts, one budget bounds the request bodies all of them hold (and those of
 * one address), and caps bound how many there are, in all and from one address (admission.ts); with `tls`, the
 * same over TLS (tls.ts). Ports WeApRous `daemon/backend.py` (`create_backend(ip, port, routes)`).
 */

import type { AddressInfo, Server, Socket } from 'node:net';
import { DEFAULT_ADAPTER_OPTIONS, HttpAdapter, type AdapterOptions, type RequestHandler } from './httpadapter';
import type { Connection } from './connection';
import type { RequestHead } from './parser';
import { watchTimeouts } from './timeouts';
import { createListener, type TlsFiles } from './tls';
import {
  Admission,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_UNCAPPED_ADDRESSES,
  MemoryBudget,
  turnAway,
  type AdmissionOptions,
} from './admission';

export type BackendOptions = AdapterOptions &
  AdmissionOptions & {
    /** How long `close()` waits for in-flight requests before cutting connections. */
    closeGraceMs: number;
    /**
     * Request bodies in progress, across all connections, at most this many bytes (never less than
     * `maxBodyBytes`); a new body beyond it gets 503.
     */
    bodyBudgetBytes: number;
    /**
     * Of that, one capped address (admission.ts) holds at most this many bytes (never less than `maxBodyBytes`);
     * its next body gets 429, while other addresses' bodies are still taken.
     */
    bodyBudgetPerAddressBytes: number;
    /** With a certificate and key, the server speaks HTTPS (tls.ts); without, plain HTTP. */
    tls?: TlsFiles;
  };

export const DEFAULT_BACKEND_OPTIONS: BackendOptions = {
  ...DEFAULT_ADAPTER_OPTIONS,
  closeGraceMs: 5_000,
  bodyBudgetBytes: 64 * 1024 * 1024,
  bodyBudgetPerAddressBytes: 8 * 1024 * 1024, // an eighth: it takes eight machines to fill the budget
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  maxConnectionsPerAddress: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  uncappedAddresses: DEFAULT_UNCAPPED_ADDRESSES,
};

export interface Backend {
  server: Server;
  /** The bound address; with port 0 this tells which port the system chose. */
  address(): AddressInfo;
  /** Stops accepting, lets in-flight requests finish (up to `closeGraceMs`), then resolves. */
  close(): Promise<void>;
}

/** Listens on `ip:port` and answers every request with `handler`. Resolves once the socket is bound. */
export function createBackend(ip: string, port: number, handler: RequestHandler, options: Partial<BackendOptions> = {}): Promise<Backend> {
  const settings: BackendOptions = { ...DEFAULT_BACKEND_OPTIONS, ...options };
  const limit = Math.max(settings.bodyBudgetBytes, settings.maxBodyBytes);
  const budget = new MemoryBudget(limit, Math.min(limit, Math.max(settings.bodyBudgetPerAddressBytes, settings.maxBodyBytes)));
  const connections = new Set<Connection>();
  const admission = new Admission(settings);
  const watch = watchTimeouts(connections, settings, () => admission.crowded());
  // A connection from a capped address counts against its own share; one from this machine (our reverse proxy),
  // against the share of the client the proxy says it speaks for.
  const accountFor = (key: string | null) => (head: RequestHead) =>
    budget.account(key ?? admission.forwardedKey(head.headers.get('x-forwarded-for')));
  // With TLS the handshake comes first and must fit in the time a request head has (timeouts.ts).
  const { server, cutAll } = createListener(settings.tls, settings.headersTimeoutMs, (socket: Socket) => {
    // Live connections only: each adapter leaves `connections` and `admission` when its socket closes.
    const admitted = admission.admit(socket.remoteAddress);
    if (admitted.kind !== 'admitted') return turnAway(socket, admitted.kind);
    const left = (adapter: HttpAdapter): void => {
      connections.delete(adapter);
      admission.leave(admitted.key);
    };
    const clientOf = (head: RequestHead) => admission.clientOf(socket.remoteAddress, head.headers.get('x-forwarded-for'));
    watch.wake(); // the timeouts' tick runs while a connection is open (timeouts.ts)
    connections.add(new HttpAdapter(socket, handler, settings, accountFor(admitted.key), left, clientOf));
  });

  const close = (): Promise<void> =>
    new Promise((resolve) => {
      const force = setTimeout(() => {
        for (const connection of connections) connection.destroy();
        cutAll();
      }, settings.closeGraceMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        watch.stop(); // only now: lingering and half-read connections are still timed out meanwhile
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
