/**
 * The second load generator: wrk, written in C, run as a child process. On a two-core machine autocannon
 * (JavaScript) needs most of a core for itself, which squeezes the ratio between two fast servers toward 1;
 * wrk needs a fraction of that. `bench/http/pipeline.lua` makes it pipeline. Benchmark tooling; no WeApRous twin.
 */

import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

/** What one wrk run reports, in the same units as autocannon's result. */
export interface WrkResult {
  total: number;
  durationSeconds: number;
  /** Latency percentiles in whole microseconds (wrk prints two decimals of us, ms or s). */
  p50Micros: number;
  p99Micros: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** wrk's own CPU time (user + system), in microseconds, measured by /usr/bin/time. */
  generatorMicros: number;
}

/** Throws a sentence saying what to install when wrk or /usr/bin/time is missing. */
export function checkWrk(): void {
  for (const [program, pkg] of [
    ['wrk', 'wrk'],
    ['/usr/bin/time', 'time'],
  ]) {
    try {
      execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`--generator wrk needs ${program}; install it with: apt-get install ${pkg}`);
    }
  }
}

/** Runs wrk with one thread against `url` (`https://` needs a wrk built with OpenSSL, as distributions ship it). */
export function fireWrk(url: string, connections: number, pipelining: number, seconds: number): Promise<WrkResult> {
  const script = join(__dirname, 'pipeline.lua');
  const args = [
    '-f',
    'WRK_CPU %U %S',
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    '-s',
    script,
    url,
    '--',
    String(pipelining),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${out.trim().split('\n').pop()}`));
      try {
        resolve(parseWrk(out));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** `toMicros('2.01', 'ms')` → 2010; rounded, since 2.01 * 1000 is 2009.9999999999998 in floating point. */
export function toMicros(value: string, unit: string): number {
  const scale = unit === 's' ? 1e6 : unit === 'ms' ? 1e3 : 1;
  return Math.round(Number(value) * scale);
}

/**
 * wrk 4.1 now and then prints `99%    0.00us` in a pipelined run, when its percentile loop misses counts
 * that its latency correction added; no answer over loopback takes 0 µs, so 0 reads as unknown (NaN).
 */
function percentileMicros(value: string, unit: string): number {
  const micros = toMicros(value, unit);
  return micros > 0 ? micros : NaN;
}

/** Parses wrk's `--latency` report plus the `WRK_CPU user system` line from /usr/bin/time. */
export function parseWrk(out: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(out);
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const cpu = /WRK_CPU ([\d.]+) ([\d.]+)/.exec(out);
  if (!total || !p50 || !p99 || !cpu) throw new Error(`Could not read wrk's report:\n${out}`);
  const duration = Number(total[2]) * (total[3] === 'ms' ? 0.001 : total[3] === 'm' ? 60 : 1);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    total: Number(total[1]),
    durationSeconds: duration,
    p50Micros: percentileMicros(p50[1], p50[2]),
    p99Micros: percentileMicros(p99[1], p99[2]),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0,
    timeouts: socket ? Number(socket[4]) : 0,
    generatorMicros: Math.round((Number(cpu[1]) + Number(cpu[2])) * 1e6),
  };
}
