/**
 * Load-balancing policies for one virtual host: which of its backends gets the next request, and passive
 * health (nginx `max_fails`/`fail_timeout`): a backend that keeps failing is left out for a while.
 * State without I/O: the proxy tells it when a request starts, ends or fails, with the time (`now`), and a
 * test can pass its own random source and clock. Ports the `dist_policy` idea of WeApRous `daemon/proxy.py`,
 * which only ever sent requests to the first `proxy_pass`.
 */

import type { PolicyName } from './proxyconf';

/** Returns a number in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** nginx's `max_fails` and `fail_timeout`: this many failures within the window mark a backend down that long. */
export interface HealthRule {
  /** 0: never mark a backend down. */
  maxFails: number;
  failTimeoutMs: number;
}

export const DEFAULT_HEALTH: HealthRule = { maxFails: 1, failTimeoutMs: 10_000 };

export class Balancer {
  /** Requests in flight per backend, for least-conn (and for anyone curious). */
  readonly inFlight: number[];
  /** Where round-robin continues; least-conn uses it to break ties fairly. */
  private cursor = 0;
  /** Failures counted in the current window, and when that window started. */
  private readonly failures: number[];
  private readonly windowStart: number[];
  /** A backend is left out until this time (0: it is up). */
  private readonly downUntil: number[];

  constructor(
    readonly policy: PolicyName,
    readonly size: number,
    private readonly random: RandomSource = Math.random,
    private readonly health: HealthRule = DEFAULT_HEALTH,
  ) {
    this.inFlight = new Array<number>(size).fill(0);
    this.failures = new Array<number>(size).fill(0);
    this.windowStart = new Array<number>(size).fill(0);
    this.downUntil = new Array<number>(size).fill(0);
  }

  /**
   * The index of the backend for the next attempt, skipping those already `tried` for this request
   * and those marked down at `now`; null when every backend has been tried. When every untried backend
   * is down they are tried anyway, as nginx does: a guess beats a 502 without trying.
   */
  pick(tried: ReadonlySet<number> = new Set(), now = 0): number | null {
    const untried = this.inRotationOrder().filter((i) => !tried.has(i));
    if (untried.length === 0) return null;
    const up = untried.filter((i) => !this.isDown(i, now));
    const candidates = up.length > 0 ? up : untried;
    let chosen: number;
    if (this.policy === 'random') {
      candidates.sort((a, b) => a - b); // the random number alone decides: 0 → the first backend
      chosen = candidates[Math.min(candidates.length - 1, Math.floor(this.random() * candidates.length))];
    } else if (this.policy === 'least-conn') {
      chosen = candidates.reduce((best, i) => (this.inFlight[i] < this.inFlight[best] ? i : best));
    } else {
      chosen = candidates[0];
    }
    this.cursor = (chosen + 1) % this.size;
    return chosen;
  }

  /** A request has been sent to backend `index`. */
  begin(index: number): void {
    this.inFlight[index]++;
  }

  /** That request is over (answered, failed or aborted). */
  end(index: number): void {
    if (this.inFlight[index] > 0) this.inFlight[index]--;
  }

  /** Backend `index` refused, timed out or answered garbage; returns true if that marks it down. */
  failed(index: number, now: number): boolean {
    const { maxFails, failTimeoutMs } = this.health;
    if (maxFails === 0) return false;
    if (now - this.windowStart[index] >= failTimeoutMs) {
      this.failures[index] = 0; // failures older than fail_timeout do not count (nginx)
      this.windowStart[index] = now;
    }
    if (++this.failures[index] < maxFails) return false;
    this.failures[index] = 0;
    this.downUntil[index] = now + failTimeoutMs;
    return true;
  }

  /** Backend `index` answered: it is up, and its earlier failures are forgiven. */
  succeeded(index: number): void {
    this.failures[index] = 0;
    this.downUntil[index] = 0;
  }

  isDown(index: number, now: number): boolean {
    return now < this.downUntil[index];
  }

  /** All indexes, starting at the cursor: round-robin takes the first, least-conn breaks ties by it. */
  private inRotationOrder(): number[] {
    const order: number[] = [];
    for (let k = 0; k < this.size; k++) order.push((this.cursor + k) % this.size);
    return order;
  }
}
