/**
 * One request on its way through the reverse proxy, as a record: the virtual host and balancer it goes to,
 * its head rewritten for the backend, the body read so far, and the backends tried and why they failed. No
 * socket: proxyadapter.ts drives it. Part of what WeApRous `daemon/proxy.py` does inline; no file of its own there.
 */

import type { RequestHead } from './parser';
import type { VirtualHost } from './proxyconf';
import type { Balancer } from './balancer';
import { BodyTracker, upstreamRequestHead } from './forwarding';
import type { Exchange } from './upstream';
import type { ProxyContext } from './proxycontext';

/** The request being forwarded on a client connection. */
export interface Forwarding {
  head: RequestHead;
  vhost: VirtualHost;
  balancer: Balancer;
  upstreamHead: Buffer;
  body: BodyTracker;
  /** Body bytes read before a backend connection was ready; all of them, when the body is complete. */
  received: Buffer[];
  /** The whole request is in `received`, so it can be sent again to another backend. */
  resendable: boolean;
  tried: Set<number>;
  failures: string[];
  /** Index of the backend being tried, -1 between attempts. */
  backend: number;
  exchange: Exchange | null;
}

/** The record for a request whose head `raw` was just read, bound for `vhost`; no backend tried yet. */
export function newForwarding(
  head: RequestHead,
  raw: string,
  vhost: VirtualHost,
  context: ProxyContext,
  remoteAddress: string,
): Forwarding {
  return {
    head,
    vhost,
    balancer: context.balancers.get(vhost)!,
    upstreamHead: upstreamRequestHead(raw, head, vhost, remoteAddress, context.scheme),
    body: new BodyTracker(head.framing, context.options.maxBodyBytes),
    received: [],
    resendable: false,
    tried: new Set(),
    failures: [],
    backend: -1,
    exchange: null,
  };
}

/** The balancer's in-flight count for the backend being tried goes down, exactly once per attempt. */
export function endAttempt(current: Forwarding): void {
  if (current.backend === -1) return;
  current.balancer.end(current.backend);
  current.backend = -1;
}
