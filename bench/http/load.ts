/**
 * One measured run: a load generator sends `GET /` to a server in another process over a fixed number
 * of keep-alive connections, optionally pipelined, first for a warm-up that is thrown away, then for the
 * measured seconds. The generator is autocannon (JavaScript, driven here as a library) or wrk (C, a child
 * process, `bench/http/wrk.ts`). Benchmark tooling; no WeApRous twin.
 */

import autocannon from 'autocannon';
import { LatencyHistogram } from '../latency';
import type { ServerProcess } from './spawn';
import { fireWrk } from './wrk';

/** Which program generates the load: autocannon (JavaScript, in this process) or wrk (C, a child process). */
export type Generator = 'autocannon' | 'wrk';

export interface Scenario {
  name: string;
  connections: number;
  /** Requests each connection sends before waiting for an answer; 1 is plain keep-alive. */
  pipelining: number;
  /** The daemon's requests/s divided by node:http's that this scenario aims for; none for HTTPS. */
  target?: number;
  /** Served over TLS: the daemon with `run({ tls })` against node:https, the raw bound over node:tls. */
  https?: boolean;
}

export interface RunResult {
  requestsPerSecond: number;
  /** Latency percentiles of the 2xx responses, in microseconds. */
  p50Micros: number;
  p99Micros: number;
  /** Every answer that was not 2xx, every connection error and every timeout. */
  problems: { non2xx: number; errors: number; timeouts: number };
  /** CPU time used during the measured seconds, as a share of one core (1 = one core busy all the time). */
  serverCpu: number;
  generatorCpu: number;
  /** Server CPU microseconds per answered request: steadier than requests/s when other work shares the machine. */
  serverMicrosPerRequest: number;
}

interface Fired {
  total: number;
  durationSeconds: number;
  p50Micros: number;
  p99Micros: number;
  problems: RunResult['problems'];
  generatorMicros: number;
}

/** autocannon speaks TLS to an `https://` URL (node:tls, without checking the certificate: `fetchHello` did). */
async function fireAutocannon(url: string, scenario: Scenario, seconds: number): Promise<Fired> {
  const before = process.cpuUsage();
  const latencies = new LatencyHistogram();
  const options = {
    url,
    connections: scenario.connections,
    pipelining: scenario.pipelining,
    duration: seconds,
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)));
    // autocannon's own latency histogram has 1 ms steps; its 'response' event carries the exact time.
    instance.on('response', (_client, statusCode, _bytes, millis) => {
      if (statusCode >= 200 && statusCode < 300) latencies.record(millis);
    });
  });
  const used = process.cpuUsage(before);
  return {
    total: result.requests.total,
    durationSeconds: result.duration,
    p50Micros: latencies.percentile(50),
    p99Micros: latencies.percentile(99),
    problems: { non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts },
    generatorMicros: used.user + used.system,
  };
}

async function fire(generator: Generator, url: string, scenario: Scenario, seconds: number): Promise<Fired> {
  if (generator === 'autocannon') return fireAutocannon(url, scenario, seconds);
  const r = await fireWrk(url, scenario.connections, scenario.pipelining, seconds);
  return { ...r, problems: { non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts } };
}

/** Warms `server` up for `warmupSeconds`, then measures for `seconds`. */
export async function measure(
  server: ServerProcess,
  scenario: Scenario,
  seconds: number,
  warmupSeconds: number,
  generator: Generator = 'autocannon',
): Promise<RunResult> {
  if (warmupSeconds > 0) await fire(generator, server.url, scenario, warmupSeconds);
  const serverBefore = await server.cpuMicros();
  const started = process.hrtime.bigint();
  const result = await fire(generator, server.url, scenario, seconds);
  const wallMicros = Number(process.hrtime.bigint() - started) / 1000;
  const serverUsed = (await server.cpuMicros()) - serverBefore;
  return {
    requestsPerSecond: result.total / result.durationSeconds,
    p50Micros: result.p50Micros,
    p99Micros: result.p99Micros,
    problems: result.problems,
    serverCpu: serverUsed / wallMicros,
    generatorCpu: result.generatorMicros / wallMicros,
    serverMicrosPerRequest: serverUsed / Math.max(1, result.total),
  };
}

/** A short sentence when the run had failures, or '' when every answer was a 2xx. */
export function describeProblems(run: RunResult): string {
  const { non2xx, errors, timeouts } = run.problems;
  const parts: string[] = [];
  if (non2xx) parts.push(`${non2xx} non-2xx`);
  if (errors) parts.push(`${errors} errors`);
  if (timeouts) parts.push(`${timeouts} timeouts`);
  return parts.join(', ');
}
