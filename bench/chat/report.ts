/**
 * How the chat benchmark prints: one line per run, a Markdown table of every run (pasted into
 * docs/benchmarks.md as it is), the peers' memory, and an SVG chart of latency against the number of
 * peers, drawn here as plain SVG text (no plotting service). Pure functions. New: no WeApRous twin.
 */

import type { RunResult } from './run';

/** The latency (ms) that `percent` % of deliveries did not exceed, nearest rank; NaN with none. */
export function percentile(sorted: number[], percent: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)];
}

/** `'12.3 ms'`, `'0.84 ms'`. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

/** What each way of sending is called in the output, when its run has no label of its own. */
const HOW = { peer: 'our peer', floor: 'the floor (node:http receivers)' } as const;

function describeRun(r: RunResult): { how: string; pattern: string } {
  const how = r.spec.label ?? HOW[r.spec.mode as keyof typeof HOW] ?? "document's way";
  const pattern = r.spec.rate > 0 ? `${r.spec.messages} at ${r.spec.rate}/s` : `burst of ${r.spec.messages}`;
  return { how, pattern };
}

/** CPU ms per message, to the hundredth of a millisecond: `'0.42'`, or `'n/a'`. */
function cpuText(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(2) : 'n/a';
}

/** `N=10 our peer, 100 at 10/s: 900/900 delivered, p50 1.20 ms, p99 3.40 ms, max 5.00 ms, 1,234 deliveries/s, CPU ms per delivery 0.40 at a receiver, 0.10 at the sender, 0 lost, 0 duplicates` */
export function resultLine(r: RunResult): string {
  const { how, pattern } = describeRun(r);
  const p = (n: number) => fmtMs(percentile(r.latencies, n));
  return (
    `N=${r.size} ${how}, ${pattern}: ${r.delivered}/${r.expected} delivered, p50 ${p(50)}, p99 ${p(99)}, max ${p(100)}, ` +
    `${Math.round(r.perSecond).toLocaleString('en-US')} deliveries/s, CPU ms per delivery ${cpuText(r.receiverCpu)} at a receiver, ` +
    `${cpuText(r.senderCpu)} at the sender, ${r.lost} lost, ${r.duplicates} duplicates`
  );
}

export function resultTable(results: RunResult[]): string {
  const rows = results.map((r) => {
    const { how, pattern } = describeRun(r);
    const p = (n: number) => fmtMs(percentile(r.latencies, n));
    const rate = Math.round(r.perSecond).toLocaleString('en-US');
    const cpu = `${cpuText(r.receiverCpu)} | ${cpuText(r.senderCpu)}`;
    return `| ${r.size} | ${how} | ${pattern} | ${r.delivered}/${r.expected} | ${p(50)} | ${p(99)} | ${p(100)} | ${rate} | ${cpu} | ${r.lost} | ${r.duplicates} |`;
  });
  return [
    '| N | sender | messages | delivered | p50 | p99 | max | deliveries/s | CPU ms, receiver | CPU ms, sender | lost | duplicates |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/**
 * What encryption costs, from two runs of the same pattern: `N=10 sealed direct against in clear, burst of 1000:
 * 2,000 against 3,000 deliveries/s (67%), p99 40.0 ms against 20.0 ms`.
 */
export function costLine(encrypted: RunResult, clear: RunResult): string {
  const rate = (r: RunResult) => Math.round(r.perSecond).toLocaleString('en-US');
  const share = Math.round((100 * encrypted.perSecond) / clear.perSecond);
  const p99 = (r: RunResult) => fmtMs(percentile(r.latencies, 99));
  return (
    `N=${encrypted.size} ${encrypted.spec.label ?? encrypted.spec.mode} against ${clear.spec.label ?? clear.spec.mode}, ${describeRun(encrypted).pattern}: ` +
    `${rate(encrypted)} against ${rate(clear)} deliveries/s (${Number.isFinite(share) ? share : 'n/a'}%), p99 ${p99(encrypted)} against ${p99(clear)}`
  );
}

/** `N=10: idle CPU 0.31 ms/s per peer, tracker 0.20 ms/s` */
export function idleLine(size: number, idle: { perPeer: number; tracker: number }, seconds: number): string {
  return `N=${size}: idle CPU ${idle.perPeer.toFixed(2)} ms/s per peer, tracker ${idle.tracker.toFixed(2)} ms/s (over ${seconds} s)`;
}

/** `N=10: RSS per peer median 61 MB, max 64 MB` */
export function rssLine(size: number, bytes: number[]): string {
  const mb = bytes.filter(Number.isFinite).map((b) => b / 1024 / 1024);
  const sorted = [...mb].sort((a, b) => a - b);
  const median = sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
  return `N=${size}: RSS per peer median ${Math.round(median)} MB, max ${Math.round(sorted.at(-1) ?? NaN)} MB`;
}

const WIDTH = 680;
const HEIGHT = 360;
const MARGIN = { left: 70, right: 210, top: 40, bottom: 50 };
const SERIES = [
  { mode: 'peer', percent: 50, colour: '#1f77b4', dash: '', label: 'our peer, p50' },
  { mode: 'peer', percent: 99, colour: '#1f77b4', dash: '6 4', label: 'our peer, p99' },
  { mode: 'document', percent: 50, colour: '#d62728', dash: '', label: "document's way, p50" },
  { mode: 'document', percent: 99, colour: '#d62728', dash: '6 4', label: "document's way, p99" },
  { mode: 'floor', percent: 50, colour: '#2ca02c', dash: '', label: 'the floor, p50' },
  { mode: 'floor', percent: 99, colour: '#2ca02c', dash: '6 4', label: 'the floor, p99' },
] as const;

/** Per-delivery latency (log scale) against N, for the steady-rate runs of both ways of sending and of the floor. */
export function latencyChart(results: RunResult[], setting = ''): string {
  const sizes = [...new Set(results.map((r) => r.size))].sort((a, b) => a - b);
  const values = results.flatMap((r) => [percentile(r.latencies, 50), percentile(r.latencies, 99)]).filter((v) => v > 0);
  const low = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (size: number) => MARGIN.left + (sizes.length === 1 ? plotW / 2 : (sizes.indexOf(size) / (sizes.length - 1)) * plotW);
  const y = (ms: number) =>
    MARGIN.top + plotH - ((Math.log10(Math.max(ms, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * plotH;
  const parts: string[] = [];
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  for (let tick = low; tick <= high; tick *= 10) {
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick} ms</text>`);
  }
  for (const size of sizes) parts.push(`<text x="${x(size)}" y="${MARGIN.top + plotH + 20}" text-anchor="middle">${size}</text>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">peers (N)</text>`);
  // Only the series with runs: a `--hosted` run has no floor, so no empty line and legend for it.
  const drawn = SERIES.filter((series) => results.some((r) => r.spec.mode === series.mode));
  drawn.forEach((series, i) => {
    const points = sizes.flatMap((size) => {
      const run = results.find((r) => r.size === size && r.spec.mode === series.mode);
      const value = run ? percentile(run.latencies, series.percent) : NaN;
      return Number.isFinite(value) ? [`${x(size).toFixed(1)},${y(value).toFixed(1)}`] : [];
    });
    const dash = series.dash ? ` stroke-dasharray="${series.dash}"` : '';
    parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${series.colour}" stroke-width="2"${dash}/>`);
    for (const point of points) {
      const [px, py] = point.split(',');
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${series.colour}"/>`);
    }
    const ly = MARGIN.top + 10 + i * 20;
    const lx = MARGIN.left + plotW + 15;
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${series.colour}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${lx + 30}" y="${ly + 4}">${series.label}</text>`);
  });
  const rate = results[0]?.spec.rate ?? 0;
  const title = `Chat: per-delivery latency against N (one sender, ${rate} messages/s${setting ? `, ${setting}` : ''})`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${title}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="14">${title}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
