/**
 * One row of the tracker benchmark: a kind of list query (the whole list, a channel, pages of 100) asked by
 * closed-loop clients while the heartbeats go on, with its latency and whether the heartbeats held.
 * New: no WeApRous twin.
 */

import { Connection } from './client';
import type { Heartbeats } from './load';
import type { TrackerProcess } from './process';
import type { Settings } from './settings';

export interface Query {
  name: string;
  /** The next path to ask, given the previous answer's `next` (for pages). */
  path(cursor: string | undefined): string;
}

export function queries(channel: string): Query[] {
  const after = (cursor: string | undefined) => (cursor === undefined ? '' : `&after=${cursor}`);
  return [
    { name: 'heartbeats only', path: () => '' },
    { name: 'GET /get-list/ (all)', path: () => '/get-list/' },
    { name: `?channel=${channel} (all)`, path: () => `/get-list/?channel=${channel}` },
    { name: 'page of 100', path: (cursor) => `/get-list/?limit=100${after(cursor)}` },
    { name: `?channel=${channel} page of 100`, path: (cursor) => `/get-list/?channel=${channel}&limit=100${after(cursor)}` },
  ];
}

export interface Row {
  peers: number;
  query: string;
  requests: number;
  bytes: number;
  p50: number;
  p99: number;
  max: number;
  heartbeatsPerSecond: number;
  heartbeatTarget: number;
  heartbeatP99: number;
  held: boolean;
  trackerCpu: number;
}

/** What the clients of one row received: every answer's latency (µs), and the size of the last answer. */
interface Answers {
  latencies: number[];
  bytes: number;
}

/** Runs `clients` closed loops of `query` for `seconds` while the heartbeats go on; one row of the table. */
export async function measure(tracker: TrackerProcess, beats: Heartbeats, query: Query, settings: Settings, size: number): Promise<Row> {
  const answers: Answers = { latencies: [], bytes: 0 };
  await beats.caughtUp(30_000);
  beats.window();
  const cpuBefore = tracker.cpuSeconds();
  const started = performance.now();
  const until = started + settings.seconds * 1000;
  await Promise.all(Array.from({ length: settings.clients }, () => askUntil(tracker.port, query, until, answers)));
  const elapsed = (performance.now() - started) / 1000;
  return toRow(size, query, answers, beats, elapsed, (tracker.cpuSeconds() - cpuBefore) / elapsed);
}

/** One closed-loop client: asks again as soon as it is answered, until `until`; pages follow each answer's `next`. */
async function askUntil(port: number, query: Query, until: number, answers: Answers): Promise<void> {
  if (query.path(undefined) === '') return new Promise((resolve) => setTimeout(resolve, until - performance.now()));
  const connection = await Connection.open(port);
  let cursor: string | undefined;
  while (performance.now() < until) {
    const answer = await connection.request('GET', query.path(cursor));
    if (answer.status !== 200) throw new Error(`${query.name}: ${answer.status} ${answer.body.toString('utf8', 0, 200)}`);
    answers.latencies.push(answer.micros);
    answers.bytes = answer.body.length;
    // `next` comes before the peers in a page, so the first bytes hold it.
    cursor = /"next":"([^"]+)"/.exec(answer.body.toString('utf8', 0, 200))?.[1];
  }
  connection.close();
}

/** The row: the answers' percentiles, and whether the heartbeats held meanwhile. */
function toRow(size: number, query: Query, answers: Answers, beats: Heartbeats, elapsed: number, trackerCpu: number): Row {
  const sorted = answers.latencies.sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const beatLatencies = beats.latencies.sort((a, b) => a - b);
  const heartbeatsPerSecond = beats.answered / elapsed;
  return {
    peers: size,
    query: query.name,
    requests: sorted.length,
    bytes: answers.bytes,
    p50: rank(50),
    p99: rank(99),
    max: sorted[sorted.length - 1] ?? NaN,
    heartbeatsPerSecond,
    heartbeatTarget: beats.perSecond,
    heartbeatP99: beatLatencies[Math.max(0, Math.ceil(0.99 * beatLatencies.length) - 1)] ?? NaN,
    // Held: (almost) every heartbeat due was answered, no errors, and never a second's worth waiting.
    held: heartbeatsPerSecond >= 0.97 * beats.perSecond && beats.refused === 0 && beats.maxBacklog < beats.perSecond,
    trackerCpu,
  };
}
