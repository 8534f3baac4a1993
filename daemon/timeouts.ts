/**
 * The timers of a connection: how long each part of a request may take (`ConnectionOptions`), and the one tick
 * per server that checks every connection against them (`watchTimeouts`). The checks themselves are
 * `Connection.checkTimeouts` (connection.ts). New: WeApRous's Python server had no timeouts.
 */

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

/**
 * What the tick checks: a connection (connection.ts), or anything with timers of its own. It may return when it
 * next has work, if it only waits; undefined (or nothing) asks for the next tick.
 */
export interface Timed {
  checkTimeouts(now: number, crowded: boolean): number | undefined | void;
}

/**
 * The time as of the last tick. A connection's clocks are read by that tick alone, so they need no finer grain
 * than it has, and starting one costs a request no system call.
 */
let tick = Date.now();
/** Servers whose tick sleeps past its period (every connection only waits): `lastTick` reads the clock meanwhile. */
let sleepingLong = 0;

/** `Date.now()` as of the last tick (`watchTimeouts`): what a connection starts its clocks from. */
export function lastTick(): number {
  return sleepingLong > 0 ? Date.now() : tick;
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
 * enough (a tick is a quarter of the shortest timeout, at most 1 s). It runs only while a connection is open, and
 * while every open one only waits (an idle keep-alive after a heartbeat) it sleeps until the first of them has
 * work, not a tick at a time: a server nobody talks to wakes for nothing. A waiting connection that gets a new
 * request meanwhile is checked at that time at the latest (a keep-alive timeout, 5 s); a new connection wakes the
 * tick at once. `crowded` is asked once a tick (backend.ts: `Admission.crowded`).
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
  const period = Math.max(10, Math.min(1000, shortest / 4));
  let timer: NodeJS.Timeout | null = null;
  let due = 0;
  let long = false;
  const settle = (at: number | null, now: number): void => {
    if (timer) clearTimeout(timer);
    // One millisecond more: a timer may fire when Date.now() is still a millisecond short of `at` (libuv keeps its
    // own coarse clock), and a sweep that early finds the deadline not yet passed and wakes once more for nothing.
    timer = at === null ? null : setTimeout(sweep, at - now + 1);
    timer?.unref(); // a tick never keeps a process alive
    due = at ?? 0;
    const sleepsLong = at !== null && at > now + period;
    if (sleepsLong !== long) sleepingLong += sleepsLong ? 1 : -1;
    long = sleepsLong;
  };
  const sweep = (): void => {
    const now = (tick = Date.now());
    const busy = crowded();
    let next = Infinity;
    for (const connection of connections) next = Math.min(next, connection.checkTimeouts(now, busy) ?? now + period);
    // None left: the next connection wakes it. Never sooner than a tick from now, so wake-ups stay coalesced.
    settle(connections.size === 0 ? null : Math.max(next, now + period), now);
  };
  const wake = (): void => {
    const now = Date.now();
    if (timer && due <= now + period) return;
    tick = now; // a connection must not start its clocks at a time long gone
    settle(now + period, now);
  };
  return { wake, stop: () => settle(null, Date.now()) };
}

/** `5000` → `5 s`, `250` → `250 ms`: a limit as a refusal sentence says it. */
export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
