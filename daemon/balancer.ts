/**
 * Load-balancing policies for one virtual host: which of its backends gets the next request.
 * State without I/O: the proxy tells it when a request starts and ends (`begin`/`end`), and a test can
 * pass its own random source. Ports the `dist_policy` idea of WeApRous `daemon/proxy.py`, which only
 * ever sent requests to the first `proxy_pass`.
 */

import type { PolicyName } from './proxyconf';

/** Returns a number in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

export class Balancer {
  /** Requests in flight per backend, for least-conn (and for anyone curious). */
  readonly inFlight: number[];
  /** Where round-robin continues; least-conn uses it to break ties fairly. */
  private cursor = 0;

  constructor(
    readonly policy: PolicyName,
    readonly size: number,
    private readonly random: RandomSource = Math.random,
  ) {
    this.inFlight = new Array<number>(size).fill(0);
  }

  /**
   * The index of the backend for the next attempt, skipping those already `tried` for this request
   * (they refused the connection); null when every backend has been tried.
   */
  pick(tried: ReadonlySet<number> = new Set()): number | null {
    const candidates = this.inRotationOrder().filter((i) => !tried.has(i));
    if (candidates.length === 0) return null;
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

  /** All indexes, starting at the cursor: round-robin takes the first, least-conn breaks ties by it. */
  private inRotationOrder(): number[] {
    const order: number[] = [];
    for (let k = 0; k < this.size; k++) order.push((this.cursor + k) % this.size);
    return order;
  }
}
