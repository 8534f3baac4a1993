/**
 * The reverse proxy server: listens, gives every accepted client connection a `ProxyAdapter`, and shares
 * the virtual hosts, their balancers and the pool of backend connections between them. The data path:
 * client socket → proxyadapter.ts (parse, route) → upstream.ts (backend socket) → back to the client.
 * Ports WeApRous `daemon/proxy.py` (`create_proxy(ip, port, routes)`); the config is read by proxyconf.ts.
 */

import type { AddressInfo, Server } from 'node:net';
import { DEFAULT_LIMITS } from './parser';
import type { VirtualHost } from './proxyconf';
import { Balancer } from './balancer';
import { ConnectionPool } from './pool';
import type { Connection } from './connection';
import { DEFAULT_CONNECTION_OPTIONS, watchTimeouts } from './timeouts';
import {
  Admission,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_UNCAPPED_ADDRESSES,
  turnAway,
  type AdmissionOptions,
} from './admission';
import { ProxyAdapter } from './proxyadapter';
import { createListener, type TlsFiles } from './tls';
import type { ProxyContext, ProxyOptions } from './proxycontext';

// Declared in proxycontext.ts, which the adapter reads, so that the adapter does not import this file back.
export type { ProxyContext, ProxyOptions };

/** The adapter's options, and the ones only the listener reads: how many connections, in all and per address. */
export type ProxyServerOptions = ProxyOptions &
  AdmissionOptions & {
    /** With a certificate and key, clients speak HTTPS to the proxy, which speaks plain HTTP to its backends (tls.ts). */
    tls?: TlsFiles;
  };

export const DEFAULT_PROXY_OPTIONS: ProxyServerOptions = {
  ...DEFAULT_LIMITS,
  ...DEFAULT_CONNECTION_OPTIONS,
  maxBodyBytes: Number.MAX_SAFE_INTEGER, // bodies are streamed through, never held: any size passes
  upstreamTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
  upstreamIdleMs: 2_000,
  lingerMs: 1_000,
  random: Math.random,
  now: Date.now,
  onLog: null,
  closeGraceMs: 5_000,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  maxConnectionsPerAddress: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  uncappedAddresses: DEFAULT_UNCAPPED_ADDRESSES,
};

export interface Proxy {
  server: Server;
  address(): AddressInfo;
  /** Stops accepting, lets in-flight requests finish (up to `closeGraceMs`), then resolves. */
  close(): Promise<void>;
}

/** Listens on `ip:port` and forwards every request to a backend of its virtual host. */
export function createProxy(
  ip: string,
  port: number,
  hosts: readonly VirtualHost[],
  options: Partial<ProxyServerOptions> = {},
): Promise<Proxy> {
  const settings: ProxyServerOptions = { ...DEFAULT_PROXY_OPTIONS, ...options };
  const balancers = new Map(
    hosts.map((h) => {
      const health = { maxFails: h.maxFails, failTimeoutMs: h.failTimeoutMs };
      return [h, new Balancer(h.policy, h.backends.length, settings.random, health)] as const;
    }),
  );
  const context: ProxyContext = {
    hosts,
    balancers,
    pool: new ConnectionPool(settings.upstreamIdleMs),
    options: settings,
    scheme: settings.tls ? 'https' : 'http',
  };
  const connections = new Set<Connection>();
  // As the backend does (backend.ts): a cap in all and per remote address, and a short head time when crowded.
  const admission = new Admission(settings);
  const watch = watchTimeouts(connections, settings, () => admission.crowded());
  const { server, cutAll } = createListener(settings.tls, settings.headersTimeoutMs, (socket) => {
    const admitted = admission.admit(socket.remoteAddress);
    if (admitted.kind !== 'admitted') return turnAway(socket, admitted.kind);
    const left = (connection: Connection): void => {
      connections.delete(connection);
      admission.leave(admitted.key);
    };
    watch.wake(); // the timeouts' tick runs while a connection is open (timeouts.ts)
    connections.add(new ProxyAdapter(socket, context, left));
  });

  const close = (): Promise<void> =>
    new Promise((resolve) => {
      const force = setTimeout(() => {
        connections.forEach((c) => c.destroy());
        cutAll();
      }, settings.closeGraceMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        watch.stop(); // only now: lingering and half-read connections are still timed out meanwhile
        resolve();
      });
      connections.forEach((c) => c.drain());
      context.pool.close();
    });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, () => {
      server.off('error', reject);
      resolve({ server, address: () => server.address() as AddressInfo, close });
    });
  });
}
