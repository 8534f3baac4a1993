/**
 * The chat benchmark (`npm run bench:chat -- --peers 10,50,100 --rate 10 --messages 100 --burst 1000`): for
 * each class size N, a tracker and N real peers (`cluster.ts`), one sender, and four runs (`run.ts`). Prints
 * per-delivery latency, deliveries/s, losses, duplicates and memory, and the command that reproduces it;
 * `--svg` draws latency against N (`report.ts`). New: no WeApRous twin.
 */

import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { bundleChat, ChatCluster } from './cluster';
import { type RunResult, type RunSpec, RunWatch, runOnce } from './run';
import { latencyChart, resultLine, resultTable, rssLine } from './report';

interface Options {
  peers: number[];
  rate: number;
  messages: number;
  burst: number;
  svg?: string;
  hosted: boolean;
}

const USAGE =
  'Usage: npm run bench:chat -- [--peers 10,50,100] [--rate 10] [--messages 100] [--burst 1000] [--hosted] [--svg docs/images/chat-latency.svg]';

function parseOptions(argv: string[]): Options {
  const options: Options = { peers: [10, 50, 100], rate: 10, messages: 100, burst: 1000, hosted: false };
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
    else throw new Error(`Unknown option ${flag}\n${USAGE}`);
  }
  if (options.peers.some((n) => n < 2)) throw new Error(`--peers needs at least 2 peers per run (a sender and a receiver)\n${USAGE}`);
  return options;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const hosted = options.hosted ? ' --hosted' : '';
  const command = `npm run bench:chat -- --peers ${options.peers.join(',')} --rate ${options.rate} --messages ${options.messages} --burst ${options.burst}${hosted}`;
  const how = options.hosted
    ? 'the sender a peer process of its own, every receiver a real PeerApp in one host process (bench/chat/host.ts): on two cores, 100 processes would measure the scheduler'
    : 'real peer processes, one per peer';
  console.log(`Chat benchmark: ${how}; esbuild bundles under plain node ${process.version}, on loopback.`);
  console.log(
    `Load average before: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
  const bundles = await bundleChat();
  const results: RunResult[] = [];
  const rss: Array<{ size: number; bytes: number[] }> = [];
  let watch: RunWatch | null = null;
  const onLine = (name: string, line: string, at: number) => watch?.onLine(name, line, at);
  let runs = 0;
  for (const size of options.peers) {
    console.log(`\nN = ${size}: starting a tracker and ${size} peers...`);
    const started = Date.now();
    const cluster = await ChatCluster.start(size, bundles, onLine, options.hosted);
    console.log(`  started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    try {
      // Our peer sending at a steady rate and in a burst, then the reference document's way (one request after
      // another, a new TCP connection each) doing the same, as the baseline.
      const specs: RunSpec[] = [
        { mode: 'peer', rate: options.rate, messages: options.messages },
        { mode: 'peer', rate: 0, messages: options.burst },
        { mode: 'document', rate: options.rate, messages: options.messages },
        { mode: 'document', rate: 0, messages: options.burst },
      ];
      for (const spec of specs) {
        runs += 1;
        watch = new RunWatch(`r${runs}`, spec.messages);
        const result = await runOnce(cluster, spec, watch);
        watch = null;
        results.push(result);
        console.log(`  ${resultLine(result)}`);
      }
      rss.push({ size, bytes: cluster.peerRss() });
      console.log(`  ${rssLine(size, rss.at(-1)!.bytes)}`);
    } finally {
      await cluster.stop();
    }
  }
  console.log(`\n${resultTable(results)}`);
  for (const { size, bytes } of rss) console.log(rssLine(size, bytes));
  const lost = results.reduce((sum, r) => sum + r.lost, 0);
  const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0);
  console.log(`\nLosses: ${lost}, duplicates: ${duplicates} (both must be 0).`);
  console.log(
    `Load average after: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
  if (options.svg) {
    writeFileSync(
      options.svg,
      latencyChart(
        results.filter((r) => r.spec.rate > 0),
        options.hosted ? 'receivers in one process' : 'a process per peer',
      ),
    );
    console.log(`Chart: ${options.svg}`);
  }
  console.log(`Reproduce: ${command}${options.svg ? ` --svg ${options.svg}` : ''}`);
  if (lost > 0 || duplicates > 0) process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(2);
});
