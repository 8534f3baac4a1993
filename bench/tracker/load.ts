/**
 * The load a tracker benchmark puts on the tracker besides the queries: the fake peers, bursts of
 * registrations and joins, and heartbeats held at a steady rate. New: no WeApRous twin.
 */

import type { Pool, Answer } from './client';

/**
 * The i-th fake peer: `10.0.0.1:5001`, `10.0.0.2:5001`, ... (private addresses: the tracker takes them, nobody
 * dials them). It registers without a key, the reference document's way: a key would make the tracker call it
 * back (`GET /identity/`), and a fake peer has no server.
 */
export function peer(i: number): { id: string; register: string; heartbeat: string } {
  const n = i + 1;
  const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  const id = `${ip}:5001`;
  return { id, register: `{"ip":"${ip}","port":5001,"peer_id":"${id}"}`, heartbeat: `{"peer_id":"${id}"}` };
}

/** Sends `count` requests through the pool as fast as it answers; resolves with how long that took (s). */
export async function burst(pool: Pool, count: number, request: (i: number) => [string, string], what: string): Promise<number> {
  const started = performance.now();
  let bad = 0;
  let example = '';
  for (let i = 0; i < count; i++) {
    const [path, body] = request(i);
    pool.send('POST', path, body, (answer) => {
      if (answer.status === 200) return;
      bad++;
      example ||= `${answer.status} ${answer.body.toString('utf8', 0, 200)}`;
    });
  }
  await pool.drain();
  if (bad > 0 || pool.failures > 0)
    throw new Error(`${what}: ${bad} answers not 200 (${example}), ${pool.failures} failed (${pool.lastFailure})`);
  return (performance.now() - started) / 1000;
}

/** Sends heartbeats at `perSecond`, cycling through the peers, until stopped; counts what was answered. */
export class Heartbeats {
  answered = 0;
  refused = 0;
  maxBacklog = 0;
  latencies: number[] = [];
  private sent = 0;
  private timer?: NodeJS.Timeout;
  private readonly started = performance.now();

  constructor(
    private readonly pool: Pool,
    private readonly peers: number,
    readonly perSecond: number,
  ) {
    // Every 10 ms, whatever the schedule says is due; a tracker that falls behind shows as a growing backlog.
    this.timer = setInterval(() => this.tick(), 10);
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.started) / 1000) * this.perSecond) - this.sent;
    for (let k = 0; k < due; k++) {
      const { heartbeat } = peer(this.sent++ % this.peers);
      this.pool.send('POST', '/heartbeat/', heartbeat, (answer) => this.onAnswer(answer));
    }
    this.maxBacklog = Math.max(this.maxBacklog, this.pool.backlog);
  }

  private onAnswer(answer: Answer): void {
    if (answer.status === 200) this.answered++;
    else this.refused++;
    this.latencies.push(answer.micros);
  }

  /** Waits (up to `maxMs`) until no heartbeat is waiting for a connection: what a window leaves behind is not the next one's. */
  async caughtUp(maxMs: number): Promise<void> {
    const until = performance.now() + maxMs;
    while (this.pool.backlog > 0 && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Counts from zero again (a new window); the schedule goes on. */
  window(): void {
    this.answered = 0;
    this.refused = 0;
    this.maxBacklog = 0;
    this.latencies = [];
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
