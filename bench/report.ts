/**
 * Turns the runs of `bench/hello.ts` into the table it prints: per scenario, the daemon's and Node's
 * requests/s (mean over rounds), their ratio against the target, latency, and how busy each process was.
 * Benchmark tooling; no WeApRous twin.
 */

import { describeProblems, type RunResult, type Scenario } from './load';
import type { ServerKind } from './spawn';

export interface ScenarioRuns {
  scenario: Scenario;
  runs: Record<ServerKind, RunResult[]>;
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
}

function fmtRps(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function fmtCpu(runs: RunResult[], key: 'serverCpu' | 'generatorCpu'): string {
  return `${Math.round(mean(runs.map((r) => r[key])) * 100)}%`;
}

/** One line per finished run, printed as the benchmark goes so a long run shows progress. */
export function runLine(scenario: Scenario, kind: ServerKind, round: number, run: RunResult): string {
  const problems = describeProblems(run);
  return `  ${scenario.name.padEnd(24)} round ${round} ${kind.padEnd(6)} ${fmtRps(run.requestsPerSecond).padStart(9)} req/s` +
    `  p50 ${run.p50} ms  p99 ${run.p99} ms  server CPU ${Math.round(run.serverCpu * 100)}%` +
    `  generator CPU ${Math.round(run.generatorCpu * 100)}%${problems ? `  FAILED: ${problems}` : ''}`;
}

function row(cells: string[], widths: number[]): string {
  return '| ' + cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ') + ' |';
}

/** A Markdown table, so the output can be pasted into docs/benchmarks.md as it is. */
export function summaryTable(all: ScenarioRuns[]): string {
  const header = ['scenario', 'daemon req/s', 'node req/s', 'ratio (target)', 'daemon p50/p99 ms', 'node p50/p99 ms', 'server CPU d/n', 'errors'];
  const rows = all.map(({ scenario, runs }) => {
    const daemon = mean(runs.daemon.map((r) => r.requestsPerSecond));
    const node = mean(runs.node.map((r) => r.requestsPerSecond));
    const ratio = daemon / node;
    const verdict = ratio >= scenario.target ? 'met' : 'below';
    const latency = (rs: RunResult[]) => `${mean(rs.map((r) => r.p50)).toFixed(1)} / ${mean(rs.map((r) => r.p99)).toFixed(1)}`;
    const problems = [...runs.daemon, ...runs.node].map(describeProblems).filter(Boolean);
    return [
      scenario.name, fmtRps(daemon), fmtRps(node), `${ratio.toFixed(2)}x (${scenario.target}x ${verdict})`,
      latency(runs.daemon), latency(runs.node),
      `${fmtCpu(runs.daemon, 'serverCpu')} / ${fmtCpu(runs.node, 'serverCpu')}`,
      problems.length ? problems.join('; ') : 'none',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const rule = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [row(header, widths), rule, ...rows.map((r) => row(r, widths))].join('\n');
}

/**
 * Warnings about how far to trust the numbers: the load generator shares the machine, so when it is
 * the busier process the server may not have been pushed to its limit, and the ratio shrinks toward 1.
 */
export function caveats(all: ScenarioRuns[]): string[] {
  const notes: string[] = [];
  for (const { scenario, runs } of all) {
    for (const kind of ['daemon', 'node'] as const) {
      const server = mean(runs[kind].map((r) => r.serverCpu));
      const generator = mean(runs[kind].map((r) => r.generatorCpu));
      if (server < 0.9 && generator > 0.9) {
        notes.push(`${scenario.name}, ${kind}: the generator used ${Math.round(generator * 100)}% of a core and the server ` +
          `${Math.round(server * 100)}%, so the generator may have been the limit, not the server.`);
      }
    }
  }
  return notes;
}
