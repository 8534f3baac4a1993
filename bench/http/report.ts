/**
 * Turns the runs of `bench/http/hello.ts` into what it prints: a line per run as it finishes, then a Markdown
 * table with one row per server and scenario (median requests/s over rounds, the ratio to node:http or node:https,
 * latency, how busy each process was), the verdict against the targets, and caveats.
 * Benchmark tooling; no WeApRous twin.
 */

import type { ServerKind } from '../bundle';
import { fmtLatency, fmtMicros, fmtPercent, fmtRatio, fmtRps, median } from '../format';
import { describeProblems, type RunResult, type Scenario } from './load';

export interface ScenarioRuns {
  scenario: Scenario;
  runs: Record<ServerKind, RunResult[]>;
}

/** What each server is called in the output; `node` is the baseline every ratio divides by. */
export const LABELS: Record<ServerKind, string> = {
  raw: 'raw socket (bound)',
  node: 'node:http',
  daemon: 'WeApRous daemon',
};

/** The same servers given a certificate: each speaks HTTPS (`bench/http/servers/*.ts`). */
export const HTTPS_LABELS: Record<ServerKind, string> = {
  raw: 'raw TLS (bound)',
  node: 'node:https',
  daemon: 'WeApRous daemon TLS',
};

/** What `kind` is called in `scenario`: its HTTPS name when the scenario is served over TLS. */
export function labelOf(kind: ServerKind, scenario: Pick<Scenario, 'https'>): string {
  return (scenario.https ? HTTPS_LABELS : LABELS)[kind];
}

const KINDS: ServerKind[] = ['raw', 'node', 'daemon'];

/** The median over rounds, leaving out rounds where the generator could not give a value (NaN latency). */
function medianOf(runs: RunResult[], key: keyof Omit<RunResult, 'problems'>): number {
  return median(runs.map((r) => r[key]).filter(Number.isFinite));
}

/**
 * The ratio `kind` / node:http within each round (runs next to each other in time see the same machine
 * load), then the median over rounds, with the lowest and highest round to show how noisy it was.
 */
export function roundRatios(runs: Record<ServerKind, RunResult[]>, kind: ServerKind): { median: number; low: number; high: number } {
  const ratios = runs[kind].map((run, i) => run.requestsPerSecond / runs.node[i].requestsPerSecond);
  return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

/** One line per finished run, printed as the benchmark goes so a long run shows progress. */
export function runLine(scenario: Scenario, kind: ServerKind, round: number, run: RunResult): string {
  const problems = describeProblems(run);
  return (
    `  ${scenario.name.padEnd(22)} round ${round} ${labelOf(kind, scenario).padEnd(19)} ${fmtRps(run.requestsPerSecond).padStart(9)} req/s` +
    `  p50 ${fmtLatency(run.p50Micros)}  p99 ${fmtLatency(run.p99Micros)}` +
    `  server CPU ${fmtPercent(run.serverCpu)} (${fmtMicros(run.serverMicrosPerRequest)}/req)` +
    `  generator CPU ${fmtPercent(run.generatorCpu)}${problems ? `  FAILED: ${problems}` : ''}`
  );
}

function ratioCell(kind: ServerKind, runs: Record<ServerKind, RunResult[]>): [string, string] {
  if (kind === 'node') return ['1.00x (baseline)', '-'];
  const ratio = roundRatios(runs, kind);
  return [fmtRatio(ratio.median), `${ratio.low.toFixed(2)}-${fmtRatio(ratio.high)}`];
}

function tableRow(scenario: Scenario, kind: ServerKind, runs: Record<ServerKind, RunResult[]>): string[] {
  const own = runs[kind];
  const problems = own.map(describeProblems).filter(Boolean);
  return [
    scenario.name,
    labelOf(kind, scenario),
    fmtRps(medianOf(own, 'requestsPerSecond')),
    ...ratioCell(kind, runs),
    fmtLatency(medianOf(own, 'p50Micros')),
    fmtLatency(medianOf(own, 'p99Micros')),
    fmtPercent(medianOf(own, 'serverCpu')),
    fmtPercent(medianOf(own, 'generatorCpu')),
    fmtMicros(medianOf(own, 'serverMicrosPerRequest')),
    problems.length ? problems.join('; ') : 'none',
  ];
}

function row(cells: string[], widths: number[]): string {
  return '| ' + cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ') + ' |';
}

/** A Markdown table, so the output can be pasted into docs/benchmarks.md as it is. */
export function summaryTable(all: ScenarioRuns[]): string {
  const header = [
    'scenario',
    'server',
    'req/s',
    'vs node:http(s)',
    'per round',
    'p50',
    'p99',
    'server CPU',
    'generator CPU',
    'CPU/req',
    'errors',
  ];
  const rows = all.flatMap(({ scenario, runs }) => KINDS.map((kind) => tableRow(scenario, kind, runs)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const rule = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [row(header, widths), rule, ...rows.map((r) => row(r, widths))].join('\n');
}

/**
 * One sentence per scenario: the daemon's ratio against its target, the same ratio measured in server CPU
 * time per request (steadier when other work shares the machine), and how close it came to the bound.
 */
export function verdicts(all: ScenarioRuns[]): string[] {
  return all.map(({ scenario, runs }) => {
    const ratio = roundRatios(runs, 'daemon').median;
    const target = scenario.target;
    const met = target === undefined ? 'no target' : `target ${fmtRatio(target)} ${ratio >= target ? 'met' : 'NOT met'}`;
    const byCpu = medianOf(runs.node, 'serverMicrosPerRequest') / medianOf(runs.daemon, 'serverMicrosPerRequest');
    const ofBound = medianOf(runs.daemon, 'requestsPerSecond') / medianOf(runs.raw, 'requestsPerSecond');
    return (
      `${scenario.name}: daemon ${fmtRatio(ratio)} ${labelOf('node', scenario)}, ${met}` +
      ` (by server CPU per request: ${fmtRatio(byCpu)}); the daemon reached ${fmtPercent(ofBound)} of the ${scenario.https ? 'raw-TLS' : 'raw-socket'} bound.`
    );
  });
}

/**
 * The cost of encryption, one sentence per server: its keep-alive run over TLS against the same run over plain
 * HTTP (same connections, same generator), in requests/s and in server CPU per request. None without both runs.
 */
export function tlsCosts(all: ScenarioRuns[]): string[] {
  const tls = all.find(({ scenario }) => scenario.https);
  const plain = all.find(({ scenario }) => !scenario.https && scenario.pipelining === 1);
  if (!tls || !plain || tls.scenario.connections !== plain.scenario.connections) return [];
  return KINDS.map((kind) => {
    const [rps, rpsTls] = [plain, tls].map(({ runs }) => medianOf(runs[kind], 'requestsPerSecond'));
    const [cpu, cpuTls] = [plain, tls].map(({ runs }) => medianOf(runs[kind], 'serverMicrosPerRequest'));
    return (
      `TLS cost, ${LABELS[kind]}: ${fmtRps(rps)} → ${fmtRps(rpsTls)} req/s (${fmtPercent(rpsTls / rps)} of plain HTTP), ` +
      `server CPU ${fmtMicros(cpu)} → ${fmtMicros(cpuTls)} per request`
    );
  });
}

/**
 * Warnings about how far to trust the numbers, one per scenario and kind of trouble. The load generator
 * shares the machine: when it is the busier process the server may not have been pushed to its limit,
 * and the ratio shrinks toward 1. When neither process had a whole core, something else was running.
 */
export function caveats(all: ScenarioRuns[]): string[] {
  const notes: string[] = [];
  for (const { scenario, runs } of all) {
    const generatorBound: string[] = [];
    const starved: string[] = [];
    for (const kind of KINDS) {
      const server = medianOf(runs[kind], 'serverCpu');
      const generator = medianOf(runs[kind], 'generatorCpu');
      const shares = `${labelOf(kind, scenario)} ${fmtPercent(server)} / ${fmtPercent(generator)}`;
      if (server < 0.9 && generator > 0.9) generatorBound.push(shares);
      else if (server < 0.85 && generator < 0.85) starved.push(shares);
    }
    if (generatorBound.length) {
      notes.push(
        `${scenario.name}: the generator was busier than the server (server / generator CPU: ` +
          `${generatorBound.join(', ')}), so it may have been the limit, not the server.`,
      );
    }
    if (starved.length) {
      notes.push(
        `${scenario.name}: neither server nor generator used a whole core (server / generator CPU: ` +
          `${starved.join(', ')}), so other work on the machine took CPU time; CPU/req is steadier than req/s then.`,
      );
    }
  }
  return notes;
}
