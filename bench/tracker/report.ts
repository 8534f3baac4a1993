/**
 * How the tracker benchmark prints: a line per query as it finishes, then a Markdown table of every row
 * (pasted into docs/benchmarks.md as it is) and a verdict per target. Pure functions. New: no WeApRous twin.
 */

import { fmtLatency } from '../format';
import type { Row } from './measure';

export interface SizeResult {
  rows: Row[];
  peers: number;
  registerSeconds: number;
  joinSeconds: number;
  rssAfterSetup: number;
  peakRss: number;
  redisRss?: number;
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const kb = (bytes: number) => (bytes < 10_240 ? `${bytes} B` : bytes < 10 * 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : mb(bytes));
export const perSecond = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;

export function rowLine(row: Row): string {
  const lists =
    row.requests === 0 ? '' : `${row.requests} answers of ${kb(row.bytes)}, p50 ${fmtLatency(row.p50)} p99 ${fmtLatency(row.p99)}; `;
  return (
    `${row.query}: ${lists}heartbeats ${perSecond(row.heartbeatsPerSecond)} of ${perSecond(row.heartbeatTarget)} ` +
    `(${row.held ? 'held' : 'NOT held'}, p99 ${fmtLatency(row.heartbeatP99)}); tracker CPU ${Math.round(row.trackerCpu * 100)}%`
  );
}

/** A Markdown table, so the output can be pasted into docs/benchmarks.md as it is. */
export function table(results: SizeResult[]): string {
  const header = ['peers', 'query', 'answer', 'answers', 'p50', 'p99', 'max', 'heartbeats/s (target)', 'heartbeat p99', 'tracker CPU'];
  const rows = results.flatMap(({ rows }) =>
    rows.map((r) => [
      r.peers.toLocaleString('en-US'),
      r.query,
      r.requests === 0 ? '-' : kb(r.bytes),
      r.requests === 0 ? '-' : String(r.requests),
      r.requests === 0 ? '-' : fmtLatency(r.p50),
      r.requests === 0 ? '-' : fmtLatency(r.p99),
      r.requests === 0 ? '-' : fmtLatency(r.max),
      `${Math.round(r.heartbeatsPerSecond).toLocaleString('en-US')} (${Math.round(r.heartbeatTarget).toLocaleString('en-US')})${r.held ? '' : ' NOT held'}`,
      fmtLatency(r.heartbeatP99),
      `${Math.round(r.trackerCpu * 100)}%`,
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

/** The targets, each with what was measured. */
export function verdicts(results: SizeResult[]): string[] {
  const lines: string[] = [];
  for (const result of results) {
    const n = result.peers.toLocaleString('en-US');
    lines.push(
      `${n} peers: registered at ${perSecond(result.peers / result.registerSeconds)}, joined channels at ${perSecond(result.peers / result.joinSeconds)}; ` +
        `tracker RSS ${mb(result.rssAfterSetup)} after that, peak ${mb(result.peakRss)} (target under 300 MB: ${result.peakRss < 300 * 1024 * 1024 ? 'met' : 'NOT met'})` +
        (result.redisRss === undefined ? '' : `; Redis RSS ${mb(result.redisRss)}`),
    );
    const full = result.rows.find((r) => r.query === 'GET /get-list/ (all)');
    if (full && result.peers === 10_000)
      lines.push(
        `${n} peers: the whole list (${kb(full.bytes)}) p99 ${fmtLatency(full.p99)} (target: about 10 ms kept: ${full.p99 <= 12_000 ? 'met' : 'NOT met'})`,
      );
    const page = result.rows.find((r) => r.query === 'page of 100');
    if (page && result.peers >= 100_000) {
      const met = page.p99 < 5000 && page.held ? 'met' : 'NOT met';
      lines.push(
        `${n} peers: a page of 100 p99 ${fmtLatency(page.p99)} with heartbeats ${page.held ? 'held' : 'NOT held'} at ${perSecond(page.heartbeatsPerSecond)} (target under 5 ms: ${met})`,
      );
    }
  }
  return lines;
}
