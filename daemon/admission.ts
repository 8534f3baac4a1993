/**
 * Who may open a connection: a server keeps at most `maxConnections`, and one remote address at most
 * `maxConnectionsPerAddress` of them, so a machine that opens a thousand slow connections fills its own share
 * and not the server. It also says when the server is crowded (three quarters full), which shortens the time
 * a request head may take (connection.ts). Pure counting, no sockets: backend.ts asks it on every accept.
 * New: WeApRous's Python server had no cap.
 */

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
