/**
 * The timers of a connection: how long each part of a request may take (`ConnectionOptions`), and the one tick
 * per server that checks every connection against them (`watchTimeouts`). The checks themselves are
 * `Connection.checkTimeouts` (connection.ts). New: WeApRous's Python server had no timeouts.
 */

import { Tick } from './tick';
import type { Tracer } from './trace';

export interface ConnectionOptions {
  /** The request line and headers must arrive within this long of their first byte (408). */
  headersTimeoutMs: number;
  /**
   * The same, while the server is crowded (three quarters of its connections open, admission.ts): slow heads
   * holding the last slots are let go after this long, so strangers' trickling heads cannot keep others out.
   */
  crowdedHeadersTimeoutMs: number;
  /** The whole request, body included, must arrive within this long of its first byte (408). */
  requestTimeoutMs: number;
  /** A body must bring at least this many bytes in every `bodyRateWindowMs`: less is a stall (408). */
  minBodyBytes: number;
  bodyRateWindowMs: number;
  /** An idle keep-alive connection closes after this long. */
  keepAliveTimeoutMs: number;
  /** Output that has not moved for this long (a client that does not read) gets the connection cut. */
  writeTimeoutMs: number;
  /**
   * While more than this many bytes of our output wait unsent (the client reads slowly or not at all), no further
   * request is read or answered. Not Node's `writableHighWaterMark` (16 KiB), after which `write()` says false.
   */
  maxUnsentBytes: number;
  /** After the last answer we read and discard this long, so the client is not reset before it reads it. */
  lingerMs: number;
  /** `--trace`: every request and response head of every connection, written as it crosses the socket (trace.ts). */
  trace?: Tracer | null;
}

export const DEFAULT_CONNECTION_OPTIONS: ConnectionOptions = {
  headersTimeoutMs: 30_000,
  crowdedHeadersTimeoutMs: 5_000, // an honest client's head takes milliseconds, a slow link's well under a second
  requestTimeoutMs: 300_000, // Node's default: an upload of 1 MB at 4 KB/s still fits
  minBodyBytes: 64, // per 5 s, about 13 bytes/s: a stalled upload, not a slow one
  bodyRateWindowMs: 5_000,
  keepAliveTimeoutMs: 5_000,
  writeTimeoutMs: 30_000,
  maxUnsentBytes: 64 * 1024,
  lingerMs: 2_000,
};

/** What the tick checks: a connection (connection.ts), or anything with timers of its own. */
export interface Timed {
  checkTimeouts(now: number, crowded: boolean): void;
}

/**
 * The time as of the last tick. A connection's clocks are read by that tick alone, so they need no finer grain
 * than it has, and starting one costs a request no system call.
 */
let tick = Date.now();

/** `Date.now()` as of the last tick (`watchTimeouts`): what a connection starts its clocks from. */
export function lastTick(): number {
  return tick;
}

/** A server's timeout tick (`watchTimeouts`): `wake` it as a connection comes; `stop` it when the server closes. */
export interface TimeoutWatch {
  /** Call before making a connection: starts the tick if it sleeps, and brings `lastTick` up to now. */
  wake(): void;
  stop(): void;
}

/**
 * One timer per server checks every connection's timeouts, instead of a timer per connection (or
 * `socket.setTimeout`, re-armed on every read and write): cheaper with thousands of connections, and precise
 * enough (a tick is a quarter of the shortest timeout, at most 1 s). It runs only while a connection is open:
 * a server nobody talks to wakes for nothing. `crowded` is asked once a tick (backend.ts: `Admission.crowded`).
 */
export function watchTimeouts(connections: ReadonlySet<Timed>, options: ConnectionOptions, crowded = (): boolean => false): TimeoutWatch {
  const shortest = Math.min(
    options.headersTimeoutMs,
    options.crowdedHeadersTimeoutMs,
    options.keepAliveTimeoutMs,
    options.lingerMs,
    options.bodyRateWindowMs,
    options.writeTimeoutMs,
  );
  const sweep = new Tick(
    () => {
      const now = (tick = Date.now());
      const busy = crowded();
      for (const connection of connections) connection.checkTimeouts(now, busy);
      if (connections.size === 0) sweep.sleep(); // the next connection wakes it
    },
    Math.max(10, Math.min(1000, shortest / 4)),
  );
  const wake = (): void => {
    if (sweep.running) return;
    tick = Date.now(); // a connection must not start its clocks at a time long gone
    sweep.wake();
  };
  return { wake, stop: () => sweep.sleep() };
}

/** `5000` → `5 s`, `250` → `250 ms`: a limit as a refusal sentence says it. */
export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
