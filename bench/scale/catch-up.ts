/**
 * Catch-up and outboxes at 100 and 1,000 peers, in one process: simulated peers and a simulated network
 * (`network.ts`: counts exact, times from a link model) for catch-up by arrival position, with the real
 * MessageStore's page reads and a real Outbox measured beside it (`real.ts`). docs/scaling.md. New.
 * Usage: npm run bench:scale -- [--peers 100,1000] [--messages 100,1000] [--latency-ms 1] [--mbit 100] [--away-minutes 10]
 */

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ASK_ALL, type AskModel, type LinkModel, LAN } from './network';
import { away, heal, type Outcome, outboxReturn } from './scenarios';
import { fillOutbox, OUTBOX_LIMIT, retriesWhileAway, timePageReads } from './real';
import { OUTBOX_BUDGET_BYTES } from '../../apps/peer/delivery/delivery';

/** Direct messages each sender queues in (c), for a peer away. */
const DIRECT = [100, 1_000];

function list(text: string): number[] {
  return text.split(',').map((value) => Number(value));
}

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(2)} MB`;
}

function row(cells: (string | number)[]): string {
  return cells.map((cell) => (typeof cell === 'number' ? cell.toLocaleString('en-US') : cell).toString().padStart(12)).join(' ');
}

function outcomeCells(o: Outcome): (string | number)[] {
  return [o.meetings, o.requests, o.pages, o.messages, o.duplicates, mb(o.bytes), `${o.seconds.toFixed(2)} s`, o.converged ? 'yes' : 'NO'];
}

const HEAD = ['meetings', 'requests', 'pages', 'msgs carried', 'duplicates', 'bytes', 'sim. time', 'converged'];

async function awayTable(peers: number[], messages: number[], model: LinkModel): Promise<void> {
  console.log('\n(a) one peer away while the others send M messages in #general, then back: it meets each of them');
  console.log(row(['N', 'M', ...HEAD, 'page read']));
  for (const n of peers)
    for (const m of messages) {
      const { outcome, sent } = away(n, m, model);
      const reads = await timePageReads(sent, n - 1);
      console.log(row([n, m, ...outcomeCells(outcome), `${reads.microsPerPage.toFixed(0)} µs`]));
    }
}

function healTable(peers: number[], messages: number[], model: LinkModel): void {
  console.log('\n(b) the network cut in two halves while M messages are sent in #general, then healed: all pairs across the cut meet');
  console.log(row(['N', 'M', ...HEAD, 'run time']));
  for (const n of peers)
    for (const m of messages) {
      const start = process.hrtime.bigint();
      const outcome = heal(n, m, model);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      console.log(row([n, m, ...outcomeCells(outcome), `${(ms / 1000).toFixed(1)} s`]));
    }
}

async function outboxTable(peers: number[], awaySeconds: number, model: LinkModel): Promise<void> {
  console.log(`\n(c) a peer away ${awaySeconds / 60} min while K = N-1 peers each queue D direct messages for it, then back`);
  const tries = retriesWhileAway(awaySeconds);
  console.log(`    each outbox tries its head ${tries} times while it is away (1, 5, 15, then every 60 s, ±20%)`);
  console.log(row(['K', 'D', 'held/sender', 'refused', 'file/sender', 'held in all', 'tries in all', ...HEAD, 'drained']));
  for (const n of peers)
    for (const d of DIRECT) {
      const real = await fillOutbox(d);
      const o = outboxReturn(n - 1, d, model);
      const all = [(n - 1) * real.held, mb((n - 1) * real.fileBytes), (n - 1) * tries];
      console.log(row([n - 1, d, real.held, real.refused, mb(real.fileBytes), ...all, ...outcomeCells(o), o.drained]));
    }
  const full = await fillOutbox(OUTBOX_LIMIT + 2_000);
  console.log(
    `    a real outbox given ${(OUTBOX_LIMIT + 2_000).toLocaleString('en-US')}: holds ${full.held.toLocaleString('en-US')}, refuses ${full.refused.toLocaleString('en-US')}, file ${mb(full.fileBytes)}`,
  );
  console.log(
    `    an outbox holds ${OUTBOX_LIMIT.toLocaleString('en-US')} messages at most; a peer's outboxes ${mb(OUTBOX_BUDGET_BYTES)} on disk`,
  );
}

/** The ways of asking compared in (d): the design being built, then what would cut its cost. */
const ASKS: [string, AskModel][] = [
  ['position, all', ASK_ALL],
  ['digest, all', { digest: true, channelPeers: Infinity }],
  ['digest, 3', { digest: true, channelPeers: 3 }],
  ['position, 3', { digest: false, channelPeers: 3 }],
];

function cutTable(peers: number[], m: number, model: LinkModel): void {
  console.log(`\n(d) what would cut it, M = ${m}: asking by position or with a digest, every peer met or the first 3 for the channels`);
  console.log(row(['scenario', 'N', 'asks', ...HEAD]));
  for (const [scenario, run] of [
    ['(a) back', (n: number, asks: AskModel) => away(n, m, model, asks).outcome],
    ['(b) heal', (n: number, asks: AskModel) => heal(n, m, model, asks)],
  ] as const)
    for (const n of peers) for (const [name, asks] of ASKS) console.log(row([scenario, n, name, ...outcomeCells(run(n, asks))]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      peers: { type: 'string', default: '100,1000' },
      messages: { type: 'string', default: '100,1000' },
      'latency-ms': { type: 'string', default: String(LAN.latencyMs) },
      mbit: { type: 'string', default: String(LAN.bitsPerSecond / 1e6) },
      'away-minutes': { type: 'string', default: '10' },
    },
  });
  const model: LinkModel = { ...LAN, latencyMs: Number(values['latency-ms']), bitsPerSecond: Number(values.mbit) * 1e6 };
  const [peers, messages] = [list(values.peers), list(values.messages)];
  console.log(`npm run bench:scale -- ${process.argv.slice(2).join(' ')}`.trim());
  console.log(
    `simulated: peers, network, times (${model.latencyMs} ms a request + bytes at ${values.mbit} Mbit/s per peer's link, ${model.concurrency} meetings at a time)`,
  );
  console.log(
    'measured: counts (exact for the model), MessageStore page reads (CPU), a real Outbox filled; load average',
    loadavg()[0].toFixed(2),
  );
  await awayTable(peers, messages, model);
  healTable(peers, messages, model);
  await outboxTable(peers, Number(values['away-minutes']) * 60, model);
  cutTable(peers, messages[0], model);
  console.log(`\nload average at the end ${loadavg()[0].toFixed(2)}`);
}

if (require.main === module) void main();
