/**
 * The chat benchmark (`npm run bench:chat -- --peers 10,50,100 --rate 10 --messages 100 --burst 1000`): for
 * each class size N, a tracker and N real peers (`cluster.ts`), one sender, and four runs (`run.ts`); then the
 * cost of encryption in a cluster of `--encryption-peers` (`encryption.ts`). Prints per-delivery latency,
 * deliveries/s, CPU per delivery at the receivers and the sender (`cost.ts`), losses, duplicates, idle CPU and memory, and the command that reproduces it; `--svg` draws latency against
 * N (`report.ts`). Beside a process per peer, each size also gets its floor: the same patterns to the smallest
 * node:http receivers, a process each (`floor.ts`). New: no WeApRous twin.
 */

import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { bundleChat, ChatCluster, type ChatBundles } from './cluster';
import { measureEncryption } from './encryption';
import { bundleFloor, measureFloor } from './floor';
import { type RunResult, type RunSpec, Runner } from './run';
import { costLine, idleLine, latencyChart, resultLine, resultTable, rssLine } from './report';
import { idleCpu } from './cost';

/** Seconds each cluster is left alone to measure what an idle peer costs, after settling from its start. */
const IDLE_SECONDS = 5;
const IDLE_SETTLE_MS = 3_000;
/** The messages of the first run, in processes that have received nothing yet: the cost of cold code. */
const COLD_MESSAGES = 50;

interface Options {
  peers: number[];
  rate: number;
  messages: number;
  burst: number;
  svg?: string;
  hosted: boolean;
  /** The class size of the encryption runs (a process per peer, whatever `hosted` says). */
  encryptionPeers: number;
  /** `sizes` runs only the runs per class size, `encryption` only the cost of encryption; '' both. */
  only: '' | 'sizes' | 'encryption';
}

const USAGE =
  'Usage: npm run bench:chat -- [--peers 10,50,100] [--rate 10] [--messages 100] [--burst 1000] [--hosted] [--svg docs/images/chat-latency.svg]' +
  ' [--encryption-peers 10] [--only sizes|encryption]';

function parseOptions(argv: string[]): Options {
  const options: Options = { peers: [10, 50, 100], rate: 10, messages: 100, burst: 1000, hosted: false, encryptionPeers: 10, only: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--hosted') {
      options.hosted = true;
      i -= 1; // a flag without a value
      continue;
    }
    const whole = (text: string | undefined) => {
      if (!text || !/^\d+$/.test(text) || Number(text) < 1) throw new Error(`${flag} needs a whole number of at least 1\n${USAGE}`);
      return Number(text);
    };
    if (flag === '--peers') options.peers = (value ?? '').split(',').map(whole);
    else if (flag === '--rate') options.rate = whole(value);
    else if (flag === '--messages') options.messages = whole(value);
    else if (flag === '--burst') options.burst = whole(value);
    else if (flag === '--svg' && value) options.svg = value;
    else if (flag === '--encryption-peers') options.encryptionPeers = whole(value);
    else if (flag === '--only' && (value === 'sizes' || value === 'encryption')) options.only = value;
    else throw new Error(`Unknown option ${flag}\n${USAGE}`);
  }
  if ([...options.peers, options.encryptionPeers].some((n) => n < 2))
    throw new Error(`--peers needs at least 2 peers per run (a sender and a receiver)\n${USAGE}`);
  return options;
}

function commandOf(options: Options): string {
  const { peers, rate, messages, burst, hosted, encryptionPeers, only, svg } = options;
  return (
    `npm run bench:chat -- --peers ${peers.join(',')} --rate ${rate} --messages ${messages} --burst ${burst}${hosted ? ' --hosted' : ''}` +
    ` --encryption-peers ${encryptionPeers}${only ? ` --only ${only}` : ''}${svg ? ` --svg ${svg}` : ''}`
  );
}

function load(when: string): string {
  return `Load average ${when}: ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`;
}

/**
 * For one class size: its idle cost; our peer sending its first messages (cold), then at a steady rate and in a burst, then the reference document's way (one
 * request after another, a new TCP connection each) doing the same, as the baseline; and the peers' memory.
 */
async function measureSize(
  size: number,
  options: Options,
  bundles: ChatBundles,
  runner: Runner,
): Promise<{ results: RunResult[]; rss: number[]; idle: string }> {
  console.log(`\nN = ${size}: starting a tracker and ${size} peers...`);
  const started = Date.now();
  const cluster = await ChatCluster.start(size, bundles, runner.onLine, options.hosted);
  console.log(`  started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  try {
    await new Promise((done) => setTimeout(done, IDLE_SETTLE_MS));
    const idle = idleLine(size, await idleCpu(cluster, IDLE_SECONDS), IDLE_SECONDS);
    console.log(`  ${idle}`);
    const specs: RunSpec[] = [
      { mode: 'peer', rate: options.rate, messages: COLD_MESSAGES, label: `our peer, cold (first ${COLD_MESSAGES})` },
      { mode: 'peer', rate: options.rate, messages: options.messages },
      { mode: 'peer', rate: 0, messages: options.burst },
      { mode: 'document', rate: options.rate, messages: options.messages },
      { mode: 'document', rate: 0, messages: options.burst },
    ];
    const results: RunResult[] = [];
    for (const spec of specs) {
      results.push(await runner.run(cluster, spec));
      console.log(`  ${resultLine(results.at(-1)!)}`);
    }
    const rss = cluster.peerRss();
    console.log(`  ${rssLine(size, rss)}`);
    return { results, rss, idle };
  } finally {
    await cluster.stop();
  }
}

/** The floor at this size, once the peers are gone: the same three runs to the smallest node:http receivers (`floor.ts`). */
async function measureFloorOf(size: number, options: Options, script: string): Promise<RunResult[]> {
  console.log(`  the floor: ${size - 1} smallest node:http receivers, a process each, sent to at once by this benchmark...`);
  const specs: RunSpec[] = [
    { mode: 'floor', rate: options.rate, messages: COLD_MESSAGES, label: `the floor, cold (first ${COLD_MESSAGES})` },
    { mode: 'floor', rate: options.rate, messages: options.messages },
    { mode: 'floor', rate: 0, messages: options.burst },
  ];
  const results = await measureFloor(size, specs, script);
  for (const result of results) console.log(`  ${resultLine(result)}`);
  return results;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const how = options.hosted
    ? 'the sender a peer process of its own, every receiver a real PeerApp in one host process (bench/chat/host.ts): on two cores, 100 processes would measure the scheduler'
    : 'real peer processes, one per peer';
  console.log(`Chat benchmark: ${how}; esbuild bundles under plain node ${process.version}, on loopback.\n${load('before')}`);
  const bundles = await bundleChat();
  const runner = new Runner();
  const sizes = options.only === 'encryption' ? [] : options.peers;
  const floorScript = options.hosted || sizes.length === 0 ? '' : await bundleFloor();
  const measured: Array<{ results: RunResult[]; rss: number[]; idle: string }> = [];
  for (const size of sizes) {
    const one = await measureSize(size, options, bundles, runner);
    // Beside a process per peer, the floor of a process per receiver (not beside --hosted, whose receivers share one).
    if (floorScript) one.results.push(...(await measureFloorOf(size, options, floorScript)));
    measured.push(one);
  }
  const pattern = { rate: options.rate, messages: options.messages, burst: options.burst };
  const costs = options.only === 'sizes' ? [] : await measureEncryption(options.encryptionPeers, pattern, bundles, runner);
  const results = [...measured.flatMap((m) => m.results), ...costs.flatMap((pair) => [pair.encrypted, pair.clear])];
  console.log(`\n${resultTable(results)}`);
  measured.forEach(({ rss, idle }, i) => console.log(`${idle}\n${rssLine(sizes[i], rss)}`));
  if (costs.length > 0) console.log(`\nThe cost of encryption:\n${costs.map((pair) => costLine(pair.encrypted, pair.clear)).join('\n')}`);
  const lost = results.reduce((sum, r) => sum + r.lost, 0);
  const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0);
  console.log(`\nLosses: ${lost}, duplicates: ${duplicates} (both must be 0).\n${load('after')}`);
  const charted = measured.flatMap((m) => m.results).filter((r) => r.spec.rate > 0 && r.spec.label === undefined);
  if (options.svg && charted.length > 0) {
    writeFileSync(options.svg, latencyChart(charted, options.hosted ? 'receivers in one process' : 'a process per peer'));
    console.log(`Chart: ${options.svg}`);
  }
  console.log(`Reproduce: ${commandOf(options)}`);
  if (lost > 0 || duplicates > 0) process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(2);
});
