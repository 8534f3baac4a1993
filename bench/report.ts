/**
 * Turns the runs of `bench/hello.ts` into the table it prints: per scenario, the daemon's and Node's
 * requests/s (median over rounds), their ratio against the target, latency, and how busy each process was.
 * Benchmark tooling; no WeApRous twin.
 */

import { describeProblems, type RunResult, type Scenario } from './load';
import type { ServerKind } from './spawn';

export interface ScenarioRuns {
  scenario: Scenario;
  runs: Record<ServerKind, RunResult[]>;
}

/** The median, not the mean: one run disturbed by another process on the machine should not move the result. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function medianOf(runs: RunResult[], key: keyof Omit<RunResult, 'problems'>): number {
  return median(runs.map((r) => r[key]));
}

function fmtRps(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function fmtCpu(runs: RunResult[], key: 'serverCpu' | 'generatorCpu'): string {
  return `${Math.round(medianOf(runs, key) * 100)}%`;
}

/**
 * The ratio daemon/node within each round (two runs next to each other in time see the same machine
 * load), then the median over rounds, with the lowest and highest round to show how noisy it was.
 */
function roundRatios(runs: Record<ServerKind, RunResult[]>): { median: number; low: number; high: number } {
  const ratios = runs.daemon.map((d, i) => d.requestsPerSecond / runs.node[i].requestsPerSecond);
  return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

/** One line per finished run, printed as the benchmark goes so a long run shows progress. */
export function runLine(scenario: Scenario, kind: ServerKind, round: number, run: RunResult): string {
  const problems = describeProblems(run);
  return `  ${scenario.name.padEnd(24)} round ${round} ${kind.padEnd(6)} ${fmtRps(run.requestsPerSecond).padStart(9)} req/s` +
    `  p50 ${run.p50} ms  p99 ${run.p99} ms  server CPU ${Math.round(run.serverCpu * 100)}%` +
    ` (${run.serverMicrosPerRequest.toFixed(1)} µs/req)` +
    `  generator CPU ${Math.round(run.generatorCpu * 100)}%${problems ? `  FAILED: ${problems}` : ''}`;
}

function row(cells: string[], widths: number[]): string {
  return '| ' + cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ') + ' |';
}

/** A Markdown table, so the output can be pasted into docs/benchmarks.md as it is. */
export function summaryTable(all: ScenarioRuns[]): string {
  const header = ['scenario', 'daemon req/s', 'node req/s', 'ratio (target)', 'ratio per round',
    'daemon p50/p99 ms', 'node p50/p99 ms', 'server CPU d/n', 'generator CPU d/n', 'CPU µs/req d/n', 'errors'];
  const rows = all.map(({ scenario, runs }) => {
    const ratio = roundRatios(runs);
    const verdict = ratio.median >= scenario.target ? 'met' : 'below';
    const latency = (rs: RunResult[]) => `${medianOf(rs, 'p50')} / ${medianOf(rs, 'p99')}`;
    const micros = (rs: RunResult[]) => medianOf(rs, 'serverMicrosPerRequest').toFixed(1);
    const problems = [...runs.daemon, ...runs.node].map(describeProblems).filter(Boolean);
    return [
      scenario.name, fmtRps(medianOf(runs.daemon, 'requestsPerSecond')), fmtRps(medianOf(runs.node, 'requestsPerSecond')),
      `${ratio.median.toFixed(2)}x (${scenario.target}x ${verdict})`, `${ratio.low.toFixed(2)}-${ratio.high.toFixed(2)}x`,
      latency(runs.daemon), latency(runs.node), `${fmtCpu(runs.daemon, 'serverCpu')} / ${fmtCpu(runs.node, 'serverCpu')}`,
      `${fmtCpu(runs.daemon, 'generatorCpu')} / ${fmtCpu(runs.node, 'generatorCpu')}`,
      `${micros(runs.daemon)} / ${micros(runs.node)}`, problems.length ? problems.join('; ') : 'none',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const rule = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [row(header, widths), rule, ...rows.map((r) => row(r, widths))].join('\n');
}

/**
 * Warnings about how far to trust the numbers. The load generator shares the machine: when it is the
 * busier process the server may not have been pushed to its limit, and the ratio shrinks toward 1.
 * When neither process had a whole core, something else on the machine was running.
 */
export function caveats(all: ScenarioRuns[]): string[] {
  const notes: string[] = [];
  for (const { scenario, runs } of all) {
    for (const kind of ['daemon', 'node'] as const) {
      const server = medianOf(runs[kind], 'serverCpu');
      const generator = medianOf(runs[kind], 'generatorCpu');
      if (server < 0.9 && generator > 0.9) {
        notes.push(`${scenario.name}, ${kind}: the generator used ${Math.round(generator * 100)}% of a core and the server ` +
          `${Math.round(server * 100)}%, so the generator may have been the limit, not the server.`);
      } else if (server < 0.85 && generator < 0.85) {
        notes.push(`${scenario.name}, ${kind}: neither the server (${Math.round(server * 100)}%) nor the generator ` +
          `(${Math.round(generator * 100)}%) used a whole core, so other work on the machine took CPU time; ` +
          'CPU µs/req is steadier than req/s then, and more rounds (--rounds 6 --seconds 5) help.');
      }
    }
  }
  return notes;
}
