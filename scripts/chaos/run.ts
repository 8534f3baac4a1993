/**
 * One chaos run: namespaces and the impaired wire up, a tracker and the peers started, the seeded workload typed
 * while the seeded faults strike, everything healed, then the histories read until they agree or the quiet
 * time is over, and the checker's verdict. `npm run chaos` (chaos.ts) and test/apps/chaos.e2e.test.ts call it. New.
 */

import { execFileSync } from 'node:child_process';
import { HistoryPoll, POLL_MS } from './arrivals';
import { Cluster } from './cluster';
import { check, type Membership, type Verdict } from './checker';
import { figureLines, firstPrinted, keyOf, latencies, type Seen, type Typed as TypedSend } from './figures';
import { hasNetem, Namespaces } from './namespaces';
import { describeFault, type Fault, makePlan, type Plan, PRIVATE_CHANNEL, PUBLIC_CHANNEL, type Send } from './plan';
import { Random } from './random';
import { CLEAN, NETEM, Wire, type WireCounts, type Impairment } from './wire';

export interface ChaosOptions {
  seed: number;
  seconds: number;
  peers: number;
  /** How long after the heal the histories may take to agree. */
  quietMs: number;
  /** False: the same workload on the same impaired links, without a fault (the baseline). */
  faults?: boolean;
  /** True: links without impairment (no delay, stall or reset), to tell the harness's own errors from the chat's. */
  clean?: boolean;
  log?: (line: string) => void;
}

export interface ChaosResult {
  plan: Plan;
  names: string[];
  verdict: Verdict;
  wire: WireCounts;
  impairment: string;
  typed: number;
  notTyped: number;
  /** Sends the peer refused, why, and how often: a `/switch` to a channel it is not in, an API error. */
  refused: string[];
  /** When each fault healed (ms since 1970): its link back, or its process up again. */
  heals: number[];
  /** When the workload started: the fault schedule's zero. */
  workloadStart: number;
  /** Latency, wire requests per message and time to converge, in lines for the summary (figures.ts). */
  figures: string[];
  /** From the heal to the first check with nothing lost, or null when the quiet time ran out first. */
  convergedMs: number | null;
  totalMs: number;
  /** The data folders the checker read, the peers' then the tracker's: gone when this process exits. */
  folders: string[];
  /** Per peer, what its consoles printed, every run of it in turn, each line after its time in the run (s). */
  consoles: Array<{ name: string; text: string }>;
}

type Typed = Pick<ChaosResult, 'typed' | 'notTyped' | 'refused' | 'heals' | 'workloadStart'>;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, Math.max(0, ms)));

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const plan = makePlan(options.seed, options.seconds, options.peers, options.faults ?? true);
  const ns = new Namespaces(`cz${process.pid.toString(36)}`.slice(0, 7), `10.79.${process.pid % 250}`, plan.peers + 1);
  const cluster = new Cluster(ns, plan);
  let wire: Wire | undefined;
  const arrivals = new HistoryPoll(cluster.folders);
  try {
    ns.up();
    const { impairment, described } = options.clean ? { impairment: CLEAN, described: 'clean (no impairment)' } : impair(ns);
    wire = new Wire(cluster.nodes, new Random(plan.seed).fork(), impairment);
    await wire.start();
    log(`Seed ${plan.seed}: ${plan.peers} peers, ${plan.sends.length} messages over ${plan.seconds} s; links: ${described}`);
    for (const fault of plan.faults) log(`  fault ${describeFault(fault, cluster.names)}`);
    log(`  clock of ${cluster.names[plan.skewed.peer]} off by ${plan.skewed.skewMs} ms`);
    await cluster.startTracker();
    // One after another, as in the four-terminal demo: five ts-node start-ups at once on two cores make the first
    // meetings time out, and a first meeting that fails is not retried (the baseline run then loses messages).
    for (let i = 0; i < plan.peers; i++) await cluster.startPeer(i);
    await cluster.joinChannels();
    await sleep(2000); // the heartbeat after the joins tells the tracker who is in which channel
    arrivals.start();
    const counted = await workload(cluster, wire, plan, log);
    wire.healAll();
    const healedAt = Date.now();
    log(`Healed everything; waiting up to ${options.quietMs / 1000} s for the histories to agree`);
    const { verdict, convergedMs } = await quiet(cluster, plan, options.quietMs, healedAt);
    arrivals.stop();
    return {
      plan,
      names: cluster.names,
      verdict,
      wire: wire.counts,
      impairment: described,
      ...counted,
      figures: figureLines(latencies(typedSends(cluster, plan), seen(cluster, plan, arrivals)), wire.requests, convergedMs, counted),
      convergedMs,
      totalMs: Date.now() - started,
      folders: [...cluster.folders, cluster.trackerFolder],
      consoles: consolesOf(cluster, started),
    };
  } finally {
    arrivals.stop();
    await cluster.stopAll();
    await wire?.stop();
    ns.down();
  }
}

/** netem on every veth where the kernel has it (the wire then only resets); the wire's own impairment elsewhere. */
function impair(ns: Namespaces): { impairment: Impairment; described: string } {
  const { delayMs, jitterMs, loss, duplicate, reorder, reset } = NETEM;
  const percent = (p: number) => `${p * 100}%`;
  if (!hasNetem(ns.name(0))) {
    const described = `no netem in this kernel: a relay per node delays ${delayMs} ± ${jitterMs} ms, stalls ${percent(loss)} of chunks 200-600 ms (a lost segment's retransmission), resets ${percent(reset)} of connections after the answer`;
    return { impairment: NETEM, described };
  }
  for (let i = 0; i < ns.count; i++) {
    const netem = [
      'delay',
      `${delayMs}ms`,
      `${jitterMs}ms`,
      'loss',
      percent(loss),
      'duplicate',
      percent(duplicate),
      'reorder',
      percent(reorder),
    ];
    execFileSync('ip', ['netns', 'exec', ns.name(i), 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', ...netem]);
  }
  const impairment = { delayMs: 0, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0, reset };
  return {
    impairment,
    described: `netem ${delayMs} ± ${jitterMs} ms, loss ${percent(loss)}, duplicate ${percent(duplicate)}, reorder ${percent(reorder)}; the relay resets ${percent(reset)}`,
  };
}

/** Carries out the sends and the faults at their times; resolves once the last send is typed and every fault healed. */
async function workload(cluster: Cluster, wire: Wire, plan: Plan, log: (line: string) => void): Promise<Typed> {
  const start = Date.now();
  const heals: number[] = [];
  const running = plan.faults.map((fault) =>
    sleep(fault.at)
      .then(() => strike(cluster, wire, fault, start, log))
      .then(() => heals.push(Date.now())),
  );
  const outcomes: Array<Promise<string>> = [];
  for (const send of plan.sends) {
    await sleep(start + send.at - Date.now());
    outcomes.push(deliver(cluster, send).catch((error: Error) => `failed: ${error.message.split('\n')[0]}`));
  }
  await Promise.all(running);
  const statuses = await Promise.all(outcomes);
  const typed = statuses.filter((status) => status === 'typed' || status === '200').length;
  const refused = statuses.filter((status) => status !== 'typed' && status !== '200' && status !== 'down');
  const notTyped = statuses.length - typed;
  log(`Workload done: ${typed} messages typed or posted, ${notTyped} not (${notTyped - refused.length} with their sender down)`);
  for (const [reason, count] of tally(refused)) log(`  ${reason} (${count}x)`);
  return { typed, notTyped, refused: tally(refused).map(([reason, count]) => `${reason} (${count}x)`), heals, workloadStart: start };
}

function tally(items: string[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts];
}

function deliver(cluster: Cluster, send: Send): Promise<string> {
  const channel = send.kind === 'public' ? PUBLIC_CHANNEL : send.kind === 'private' ? PRIVATE_CHANNEL : 'general';
  if (send.via === 'console') return cluster.type(send.from, channel, send.text, send.to);
  const conversation = send.to !== undefined ? `@${cluster.id(send.to)}` : channel;
  return cluster
    .post(send.from, conversation, send.text)
    .then((status) => (status === '200' || status === 'down' ? status : `web API answered ${status}`));
}

/** One fault from its start to its heal. */
async function strike(cluster: Cluster, wire: Wire, fault: Fault, start: number, log: (line: string) => void): Promise<void> {
  const a = fault.action;
  const until = () => sleep(start + fault.until - Date.now());
  log(`  ${((Date.now() - start) / 1000).toFixed(1)}s: ${describeFault(fault, cluster.names)}`);
  if (a.kind === 'partition') {
    const pairs = everyPairAcross(
      a.peers.map((i) => cluster.names[i]),
      ['tracker', ...cluster.names],
    );
    for (const [x, y] of pairs) wire.partition(x, y);
    await until();
    for (const [x, y] of pairs) wire.heal(x, y);
  } else if (a.kind === 'cut-tracker') {
    wire.partition(cluster.names[a.peer], 'tracker');
    await until();
    wire.heal(cluster.names[a.peer], 'tracker');
  } else if (a.kind === 'kill') {
    await cluster.killPeer(a.peer);
    await until();
    await cluster.startPeer(a.peer);
  } else if (a.kind === 'restart-tracker') {
    await cluster.stopTracker();
    await until();
    await cluster.startTracker();
  } else {
    const [sender, recipient] = [cluster.names[a.sender], cluster.names[a.recipient]];
    wire.partition(sender, recipient);
    await sleep(start + fault.at + 3000 - Date.now());
    await cluster.killPeer(a.sender);
    await sleep(start + fault.at + 5000 - Date.now());
    await cluster.startPeer(a.sender);
    await until();
    wire.heal(sender, recipient);
  }
}

function everyPairAcross(inside: string[], all: string[]): Array<[string, string]> {
  return inside.flatMap((x) => all.filter((y) => !inside.includes(y)).map((y): [string, string] => [x, y]));
}

/** Every send typed or posted, with its conversation and recipients as figures.ts reads them. */
function typedSends(cluster: Cluster, plan: Plan): TypedSend[] {
  return plan.sends.flatMap((send) => {
    const at = cluster.sentAt.get(send.text);
    const key = keyOf(send.text)!;
    if (at === undefined) return [];
    if (send.kind === 'direct') return [{ key, from: send.from, channel: `@${cluster.id(send.to!)}`, recipients: [send.to!], at }];
    const channel = send.kind === 'public' ? PUBLIC_CHANNEL : send.kind === 'private' ? PRIVATE_CHANNEL : 'general';
    const members = channel === 'general' ? cluster.names.map((_, i) => i) : plan.members[channel];
    return [{ key, from: send.from, channel, recipients: members.filter((i) => i !== send.from), at }];
  });
}

/** What each peer printed (every process it ran) and stored, and when. */
function seen(cluster: Cluster, plan: Plan, arrivals: HistoryPoll): Seen[] {
  return cluster.names.map((_, i) => {
    const printed = new Map<string, number>();
    for (const child of [...cluster.runs[i]].reverse())
      for (const [key, at] of firstPrinted(child.lines, child.times)) printed.set(key, at);
    const skewMs = plan.skewed.peer === i ? plan.skewed.skewMs : 0;
    return { id: cluster.id(i), printed, stored: arrivals.tails[i].seen, skewMs };
  });
}

/** Checks every 250 ms until nothing is lost or `quietMs` is over; then the full verdict, clear text included. */
async function quiet(
  cluster: Cluster,
  plan: Plan,
  quietMs: number,
  healedAt: number,
): Promise<{ verdict: Verdict; convergedMs: number | null }> {
  const folders = cluster.names.map((name, i) => ({ id: cluster.id(i), name, dir: cluster.folders[i] }));
  const membership: Membership = {
    channels: Object.fromEntries(Object.entries(plan.members).map(([channel, members]) => [channel, members.map((i) => cluster.id(i))])),
    privateChannels: [PRIVATE_CHANNEL],
  };
  const secrets = plan.sends.filter((send) => send.kind === 'private' || send.kind === 'direct').map((send) => send.text);
  let convergedMs: number | null = null;
  while (Date.now() - healedAt < quietMs) {
    await sleep(POLL_MS);
    if (!check(folders, membership, []).violations.some((v) => v.kind === 'lost')) {
      convergedMs = Date.now() - healedAt;
      break;
    }
  }
  return { verdict: check(folders, membership, secrets, [cluster.trackerFolder]), convergedMs };
}

/** Each peer's console lines, every run in turn (`--- run 2`), each after the seconds since the run began. */
function consolesOf(cluster: Cluster, started: number): Array<{ name: string; text: string }> {
  return cluster.names.map((name, i) => {
    const runs = cluster.runs[i].map((child, n) => {
      const lines = child.lines.map((line, k) => `${((child.times[k] - started) / 1000).toFixed(2)} ${line}`);
      return [`--- run ${n + 1}`, ...lines].join('\n');
    });
    return { name, text: `${runs.join('\n')}\n` };
  });
}
