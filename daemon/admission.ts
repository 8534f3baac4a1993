/**
 * Who may open a connection, and what it may hold: at most `maxConnections` per server and
 * `maxConnectionsPerAddress` per remote address (one machine's thousand slow connections fill its own share), a
 * `MemoryBudget` for bodies with a share per address, and the canned 503 that turns one away (`turnAway`). It also says when the server is
 * crowded (three quarters full; timeouts.ts). New: WeApRous's Python server had no cap.
 */

import type { Socket } from 'node:net';

export interface AdmissionOptions {
  /** Open connections at most; one more is answered 503 with `Retry-After` and closed, unread. */
  maxConnections: number;
  /** Open connections from one remote address at most; one more from it gets a 503 of its own. */
  maxConnectionsPerAddress: number;
  /**
   * Addresses that only the server-wide cap applies to. By default loopback's usual two: every process on
   * this machine connects from them (the demo's peers, tests, benchmarks, the project's reverse proxy
   * speaking for all of its clients), so counting them as one client would refuse the many as one.
   */
  uncappedAddresses: readonly string[];
}

export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 64;
export const DEFAULT_UNCAPPED_ADDRESSES: readonly string[] = ['127.0.0.1', '::1'];

/** From this share of `maxConnections` open, the server is crowded. */
export const CROWDED_SHARE = 0.75;

/** Admitted (with the address it counts against, null when uncapped), or why not. */
export type Admitted = { kind: 'admitted'; key: string | null } | { kind: 'server-full' } | { kind: 'address-full' };

export class Admission {
  private open = 0;
  /** Open connections per capped address; an address leaves the map when its last connection closes. */
  private readonly perAddress = new Map<string, number>();
  private readonly uncapped: ReadonlySet<string>;

  constructor(private readonly options: AdmissionOptions) {
    this.uncapped = new Set(options.uncappedAddresses.map(normalAddress));
  }

  /** Counts a new connection from `remoteAddress` in, or says which cap it is over (and counts nothing). */
  admit(remoteAddress: string | undefined): Admitted {
    if (this.open >= this.options.maxConnections) return { kind: 'server-full' };
    const address = remoteAddress === undefined ? null : normalAddress(remoteAddress);
    const key = address !== null && !this.uncapped.has(address) ? address : null;
    if (key !== null) {
      const held = this.perAddress.get(key) ?? 0;
      if (held >= this.options.maxConnectionsPerAddress) return { kind: 'address-full' };
      this.perAddress.set(key, held + 1);
    }
    this.open += 1;
    return { kind: 'admitted', key };
  }

  /**
   * Whose share a request from an uncapped address counts against: the last `X-Forwarded-For` entry, the one a
   * local proxy (proxy.ts, forwarding.ts) added for the client it speaks for; null when there is none, or it
   * is uncapped too. Only a local process can set it, and only to put itself in some share.
   */
  forwardedKey(forwardedFor: string | undefined): string | null {
    const last = forwardedFor?.slice(forwardedFor.lastIndexOf(',') + 1).trim();
    if (!last) return null;
    const address = normalAddress(last);
    return this.uncapped.has(address) ? null : address;
  }

  /**
   * The address a request speaks for, as handlers see it (`request.remoteAddress`) and count their own shares
   * against: the socket's, or, on a connection from this machine (our reverse proxy), the client the proxy named
   * last in `X-Forwarded-For`. One rule for every share, so a client behind the proxy is still itself.
   */
  clientOf(socketAddress: string | undefined, forwardedFor: string | undefined): string | undefined {
    if (socketAddress === undefined || !this.uncapped.has(normalAddress(socketAddress))) return socketAddress;
    return this.forwardedKey(forwardedFor) ?? socketAddress;
  }

  /** A connection `admit` let in has closed; `key` is what `admit` returned for it. */
  leave(key: string | null): void {
    this.open -= 1;
    if (key === null) return;
    const held = (this.perAddress.get(key) ?? 1) - 1;
    if (held > 0) this.perAddress.set(key, held);
    else this.perAddress.delete(key);
  }

  /** Connections open now. */
  get size(): number {
    return this.open;
  }

  /** Three quarters full or more: a head still arriving gets `crowdedHeadersTimeoutMs` instead of the usual time. */
  crowded(): boolean {
    return this.open >= this.options.maxConnections * CROWDED_SHARE;
  }
}

/**
 * `::ffff:10.0.0.7` → `10.0.0.7`: a server listening on `::` sees IPv4 clients in the IPv6 mapped form, and one
 * machine must count as one whichever way it came. Lower case, so `::FFFF:...` and `FE80::1` count once too.
 */
export function normalAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice('::ffff:'.length) : lower;
}

/**
 * The address a per-address share counts against (`::ffff:10.0.0.2` → `10.0.0.2`), or null for this machine's
 * own (loopback: the owner, the demo, the curl examples), which has no share: the one rule the apps' shares use.
 */
export function shareOf(remoteAddress: string | undefined): string | null {
  if (remoteAddress === undefined) return null;
  const address = normalAddress(remoteAddress);
  return OWN_MACHINE.has(address) ? null : address;
}

const OWN_MACHINE: ReadonlySet<string> = new Set(DEFAULT_UNCAPPED_ADDRESSES.map(normalAddress));

/** What taking from a `MemoryBudget` gave: the bytes, or which limit they are over (and nothing was taken). */
export type Taken = 'taken' | 'address-full' | 'server-full';

/**
 * The bytes of request bodies a server is holding, across all its connections, and from each capped address. A
 * stranger can open many connections and start a large body on each: over its address's `share` its new bodies
 * are refused (429), so one address never holds more than its share and everyone else finds the rest; over the
 * whole `limit` (many addresses at once), new bodies are refused with 503.
 */
export class MemoryBudget {
  used = 0;
  /** Bytes held per capped address; an address leaves the map when it holds nothing. */
  private readonly perAddress = new Map<string, number>();

  /** `share` defaults to the whole `limit`: no address has a share of its own. */
  constructor(
    readonly limit: number,
    readonly share: number = limit,
  ) {}

  /** Takes `bytes` for `key` (an address as `Admission.admit` keyed it; null: uncapped), or says which limit is full. */
  take(bytes: number, key: string | null = null): Taken {
    const held = key === null ? 0 : (this.perAddress.get(key) ?? 0);
    if (key !== null && held + bytes > this.share) return 'address-full';
    if (this.used + bytes > this.limit) return 'server-full';
    this.used += bytes;
    if (key !== null) this.perAddress.set(key, held + bytes);
    return 'taken';
  }

  give(bytes: number, key: string | null = null): void {
    this.used -= bytes;
    if (key === null || bytes === 0) return;
    const held = (this.perAddress.get(key) ?? bytes) - bytes;
    if (held > 0) this.perAddress.set(key, held);
    else this.perAddress.delete(key);
  }

  /** Bytes `key` holds now. */
  heldBy(key: string): number {
    return this.perAddress.get(key) ?? 0;
  }

  /** The budget as one connection sees it: what it takes and gives counts against its own address. */
  account(key: string | null): BodyAccount {
    return { take: (bytes) => this.take(bytes, key), give: (bytes) => this.give(bytes, key) };
  }
}

/** One connection's view of the body budget (`MemoryBudget.account`). */
export interface BodyAccount {
  take(bytes: number): Taken;
  give(bytes: number): void;
}

/**
 * Open connections one server keeps, by default. Sized for two cores: one event loop answers some 20,000 small
 * requests a second (docs/benchmarks.md), so 1,000 clients sending at once are all answered within about 50 ms;
 * past that, a new client is better told "come back" at once than kept waiting in a queue it cannot see. Each
 * connection also holds a file descriptor: with a larger cap, raise the process's `ulimit -n` to match.
 */
export const DEFAULT_MAX_CONNECTIONS = 1_000;

/**
 * The whole answer to a connection over the cap, built once: a flood of them costs one write each, no parsing
 * and no serializer. No `Date`: RFC 9110 §6.6.1 lets a 5xx go without one.
 */
const OVER_CAPACITY_BODY = JSON.stringify({
  status: 'error',
  error: 'The server has too many open connections; try again in a few seconds.',
});
const OVER_CAPACITY = turnAwayAnswer(OVER_CAPACITY_BODY);
/** The same for one address over its own cap (admission.ts): it says whose connections to close. */
const OVER_ADDRESS_CAP = turnAwayAnswer(
  JSON.stringify({
    status: 'error',
    error: 'Too many connections are open from your address; close some, or try again in a few seconds.',
  }),
);

function turnAwayAnswer(body: string): Buffer {
  return Buffer.from(
    'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    'latin1',
  );
}

/** How long a turned-away client has to read the 503 and close before its socket is destroyed. */
const TURN_AWAY_MS = 2_000;

/**
 * A connection beyond the server's cap (or, with 'address-full', beyond its address's): 503 with `Retry-After` at
 * once, then our FIN. Nothing it sends is parsed; its bytes are read and dropped, because closing with unread
 * input would send a reset that can destroy the answer.
 */
export function turnAway(socket: Socket, why: 'server-full' | 'address-full' = 'server-full'): void {
  socket.on('error', () => socket.destroy());
  socket.resume();
  socket.end(why === 'address-full' ? OVER_ADDRESS_CAP : OVER_CAPACITY);
  const cut = setTimeout(() => socket.destroy(), TURN_AWAY_MS);
  cut.unref();
  socket.once('close', () => clearTimeout(cut));
}
