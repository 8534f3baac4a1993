/**
 * The tracker benchmark (`npm run bench:tracker`): for each size N, a fresh tracker process (bundled, plain
 * `node`, `process.ts`) gets N peers registered and put in channels, then holds their heartbeats at
 * the real rate (N every 30 s: 3,333/s at 100,000) while clients ask for the whole list, a channel, and pages
 * of 100 (`?limit=100&after=`), one kind at a time. Prints latency, registrations/s, heartbeats/s held, the
 * tracker's CPU and memory, and the command that reproduces it. The fake peers register without a key, the
 * reference document's way: a key would make the tracker call each one back (`GET /identity/`), and they
 * have no server. New: no WeApRous twin.
 *
 *   npm run bench:tracker -- --peers 10000,100000 --seconds 10 [--registry redis://127.0.0.1:6390]
 */

import { loadavg } from 'node:os';
import Redis from 'ioredis';
import { fmtLatency } from '../format';
import { Pool, Connection, type Answer } from './client';
import { bundleTracker, TrackerProcess } from './process';

interface Settings {
  peers: number[];
  /** Seconds between two heartbeats of one peer (the peer's default, 30). */
  period: number;
  /** Seconds each kind of query runs, heartbeats running throughout. */
  seconds: number;
  /** Closed-loop clients asking for lists at once. */
  clients: number;
  /** Connections that register and send heartbeats. */
  connections: number;
  channels: number;
  registry: string;
  /** Start the tracker with `--quiet` (it logs changes only, not three lines per heartbeat). */
  quiet: boolean;
}

const USAGE =
  'Usage: npm run bench:tracker -- [--peers 10000,100000] [--period 30] [--seconds 10] [--clients 2] [--connections 16]\n' +
  '       [--channels 10] [--registry memory|redis://127.0.0.1:6390] [--quiet]\n' +
  '--quiet starts the tracker with --quiet (changes logged, not every request); with Redis, the keys under weaprous:tracker: are deleted first.';

function readSettings(argv: string[]): Settings {
  const texts: Record<string, string> = { period: '30', seconds: '10', clients: '2', connections: '16', channels: '10' };
  let peers = '10000,100000';
  let registry = 'memory';
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    if (name === 'help') exit(0, USAGE);
    else if (name === 'peers') peers = argv[++i] ?? '';
    else if (name === 'registry') registry = argv[++i] ?? '';
    else if (name === 'quiet') quiet = true;
    else if (name in texts) texts[name] = argv[++i] ?? '';
    else exit(2, `Unknown option "${argv[i]}".\n${USAGE}`);
  }
  const numbers: Record<string, number> = {};
  for (const [name, text] of Object.entries(texts)) {
    numbers[name] = Number(text);
    if (!/^\d+$/.test(text) || numbers[name] < 1) exit(2, `--${name} must be a whole number of at least 1, not "${text}".\n${USAGE}`);
  }
  const sizes = peers.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < numbers.channels || n > 1_000_000))
    exit(2, `--peers must be sizes from --channels (${numbers.channels}) to 1000000 separated by commas, not "${peers}".`);
  if (registry !== 'memory' && !/^redis:\/\/[^/@]+:\d+$/.test(registry))
    exit(2, `--registry must be memory or redis://host:port, not "${registry}".`);
  return { ...(numbers as Omit<Settings, 'peers' | 'registry' | 'quiet'>), peers: sizes, registry, quiet };
}

function exit(code: number, message: string): never {
  (code === 0 ? console.log : console.error)(message);
  process.exit(code);
}

function commandLine(s: Settings): string {
  return (
    `npm run bench:tracker -- --peers ${s.peers.join(',')} --period ${s.period} --seconds ${s.seconds} --clients ${s.clients}` +
    ` --connections ${s.connections} --channels ${s.channels} --registry ${s.registry}${s.quiet ? ' --quiet' : ''}`
  );
}

/** The i-th fake peer: `10.0.0.1:5001`, `10.0.0.2:5001`, ... (private addresses: the tracker takes them, nobody dials them). */
function peer(i: number): { id: string; register: string; heartbeat: string } {
  const n = i + 1;
  const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  const id = `${ip}:5001`;
  return { id, register: `{"ip":"${ip}","port":5001,"peer_id":"${id}"}`, heartbeat: `{"peer_id":"${id}"}` };
}

/** Sends `count` requests through the pool as fast as it answers; resolves with how long that took (s). */
async function burst(pool: Pool, count: number, request: (i: number) => [string, string], what: string): Promise<number> {
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
class Heartbeats {
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

interface Query {
  name: string;
  /** The next path to ask, given the previous answer's `next` (for pages). */
  path(cursor: string | undefined): string;
}

function queries(channel: string): Query[] {
  const after = (cursor: string | undefined) => (cursor === undefined ? '' : `&after=${cursor}`);
  return [
    { name: 'heartbeats only', path: () => '' },
    { name: 'GET /get-list/ (all)', path: () => '/get-list/' },
    { name: `?channel=${channel} (all)`, path: () => `/get-list/?channel=${channel}` },
    { name: 'page of 100', path: (cursor) => `/get-list/?limit=100${after(cursor)}` },
    { name: `?channel=${channel} page of 100`, path: (cursor) => `/get-list/?channel=${channel}&limit=100${after(cursor)}` },
  ];
}

interface Row {
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

/** Runs `clients` closed loops of `query` for `seconds` while the heartbeats go on; one row of the table. */
async function measure(tracker: TrackerProcess, beats: Heartbeats, query: Query, settings: Settings, size: number): Promise<Row> {
  const latencies: number[] = [];
  let bytes = 0;
  await beats.caughtUp(30_000);
  beats.window();
  const cpuBefore = tracker.cpuSeconds();
  const started = performance.now();
  const until = started + settings.seconds * 1000;
  const loop = async () => {
    if (query.path(undefined) === '') return new Promise((resolve) => setTimeout(resolve, until - performance.now()));
    const connection = await Connection.open(tracker.port);
    let cursor: string | undefined;
    while (performance.now() < until) {
      const answer = await connection.request('GET', query.path(cursor));
      if (answer.status !== 200) throw new Error(`${query.name}: ${answer.status} ${answer.body.toString('utf8', 0, 200)}`);
      latencies.push(answer.micros);
      bytes = answer.body.length;
      // `next` comes before the peers in a page, so the first bytes hold it.
      cursor = /"next":"([^"]+)"/.exec(answer.body.toString('utf8', 0, 200))?.[1];
    }
    connection.close();
  };
  await Promise.all(Array.from({ length: settings.clients }, loop));
  const elapsed = (performance.now() - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const beatLatencies = beats.latencies.sort((a, b) => a - b);
  const heartbeatsPerSecond = beats.answered / elapsed;
  return {
    peers: size,
    query: query.name,
    requests: sorted.length,
    bytes,
    p50: rank(50),
    p99: rank(99),
    max: sorted[sorted.length - 1] ?? NaN,
    heartbeatsPerSecond,
    heartbeatTarget: beats.perSecond,
    heartbeatP99: beatLatencies[Math.max(0, Math.ceil(0.99 * beatLatencies.length) - 1)] ?? NaN,
    // Held: (almost) every heartbeat due was answered, no errors, and never a second's worth waiting.
    held: heartbeatsPerSecond >= 0.97 * beats.perSecond && beats.refused === 0 && beats.maxBacklog < beats.perSecond,
    trackerCpu: (tracker.cpuSeconds() - cpuBefore) / elapsed,
  };
}

interface SizeResult {
  rows: Row[];
  peers: number;
  registerSeconds: number;
  joinSeconds: number;
  rssAfterSetup: number;
  peakRss: number;
  redisRss?: number;
}

async function runSize(bundle: string, size: number, settings: Settings): Promise<SizeResult> {
  if (settings.registry !== 'memory') await cleanRedis(settings.registry);
  const flags = [...(settings.registry === 'memory' ? [] : ['--registry', settings.registry]), ...(settings.quiet ? ['--quiet'] : [])];
  const tracker = await TrackerProcess.start(bundle, flags);
  const pool = await Pool.open(tracker.port, settings.connections);
  try {
    const registerSeconds = await burst(pool, size, (i) => ['/submit-info/', peer(i).register], 'registering');
    console.log(`  ${size.toLocaleString('en-US')} peers registered in ${registerSeconds.toFixed(1)} s`);
    const join = (i: number): [string, string] => ['/add-list/', `{"peer_id":"${peer(i).id}","channel":"bench-${i % settings.channels}"}`];
    const joinSeconds = await burst(pool, size, join, 'joining channels');
    console.log(`  each joined one of ${settings.channels} channels in ${joinSeconds.toFixed(1)} s`);
    const rssAfterSetup = tracker.memory().rss;
    const beats = new Heartbeats(pool, size, size / settings.period);
    const rows: Row[] = [];
    try {
      for (const query of queries('bench-0')) {
        const row = await measure(tracker, beats, query, settings, size);
        console.log(`  ${rowLine(row)}`);
        rows.push(row);
      }
    } finally {
      beats.stop();
      await pool.drain();
    }
    const redisRss = settings.registry === 'memory' ? undefined : await redisMemory(settings.registry);
    return { rows, peers: size, registerSeconds, joinSeconds, rssAfterSetup, peakRss: tracker.memory().peak, redisRss };
  } finally {
    pool.close();
    await tracker.stop();
  }
}

/** Deletes what an earlier run left under the tracker's prefix, so each size starts from an empty registry. */
async function cleanRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'weaprous:tracker:*', 'COUNT', 10_000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function redisMemory(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return Number(/used_memory_rss:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
  } finally {
    redis.disconnect();
  }
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const kb = (bytes: number) => (bytes < 10_240 ? `${bytes} B` : bytes < 10 * 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : mb(bytes));
const perSecond = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;

function rowLine(row: Row): string {
  const lists =
    row.requests === 0 ? '' : `${row.requests} answers of ${kb(row.bytes)}, p50 ${fmtLatency(row.p50)} p99 ${fmtLatency(row.p99)}; `;
  return (
    `${row.query}: ${lists}heartbeats ${perSecond(row.heartbeatsPerSecond)} of ${perSecond(row.heartbeatTarget)} ` +
    `(${row.held ? 'held' : 'NOT held'}, p99 ${fmtLatency(row.heartbeatP99)}); tracker CPU ${Math.round(row.trackerCpu * 100)}%`
  );
}

/** A Markdown table, so the output can be pasted into docs/benchmarks.md as it is. */
function table(results: SizeResult[]): string {
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
function verdicts(results: SizeResult[]): string[] {
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

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));
  const command = commandLine(settings);
  console.log(`Command: ${command}`);
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(
    `Node ${process.version}; load average ${load.join(', ')} at the start (2 cores: the tracker on one, this generator on the other)`,
  );
  const bundle = await bundleTracker();
  console.log(
    `Tracker bundled into ${bundle}; it runs as: node ${bundle} --server-ip 127.0.0.1 --server-port 0${settings.quiet ? ' --quiet' : ''}, its log to a file`,
  );
  console.log('Fake peers register without a key (the document way): the tracker does not call them back.\n');
  const results: SizeResult[] = [];
  for (const size of settings.peers) {
    console.log(
      `${size.toLocaleString('en-US')} peers, heartbeats every ${settings.period} s (${perSecond(size / settings.period)}), registry ${settings.registry}:`,
    );
    results.push(await runSize(bundle, size, settings));
  }
  console.log(`\n${table(results)}\n`);
  for (const line of verdicts(results)) console.log(line);
  console.log(
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
  );
  console.log(`Reproduce with: ${command}`);
}

main().catch((error: Error) => exit(1, `Benchmark failed: ${error.message}`));
