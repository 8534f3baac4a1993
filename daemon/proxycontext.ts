/**
 * What the reverse proxy's client connections share: its options, the virtual hosts, their balancers and the
 * pool of backend connections. Types only: proxy.ts fills them in, proxyadapter.ts reads them. New; no
 * WeApRous twin.
 */

import type { ParserLimits } from './parser';
import type { ConnectionOptions } from './timeouts';
import type { VirtualHost } from './proxyconf';
import type { Balancer, RandomSource } from './balancer';
import type { ConnectionPool } from './pool';

export interface ProxyOptions extends ParserLimits, ConnectionOptions {
  /** A backend that sends nothing for this long: 504 (or a cut connection if its response had started). */
  upstreamTimeoutMs: number;
  connectTimeoutMs: number;
  /** Idle pooled backend connections close after this long: below the backends' keep-alive timeout (5 s). */
  upstreamIdleMs: number;
  random: RandomSource;
  /** The clock for passive health (`max_fails`/`fail_timeout`); tests pass their own. */
  now: () => number;
  /** Called with one line per request, e.g. for the console; null for silence. */
  onLog: ((line: string) => void) | null;
  /** How long `close()` lets in-flight requests finish before cutting connections. */
  closeGraceMs: number;
}

/** What every client connection shares: the virtual hosts, their balancers and the backend pool. */
export interface ProxyContext {
  hosts: readonly VirtualHost[];
  balancers: Map<VirtualHost, Balancer>;
  pool: ConnectionPool;
  options: ProxyOptions;
  /** What clients speak to the proxy: `https` when it terminates TLS (tls.ts), for `X-Forwarded-Proto`. */
  scheme: 'http' | 'https';
}
