/**
 * One measured run of the chat benchmark: M messages from one sender to every other peer of a cluster,
 * at a steady rate or all at once, sent either by the sender peer itself (typed at its console, as a person
 * would) or the reference document's way (one `POST /broadcast-peer/` after another, a new TCP connection
 * each, as WeApRous `apps/peer.py` sent them). A delivery is a receiving peer printing the message; its
 * latency runs from the moment the message was typed (or was due) to that line. Direct messages go the same
 * two ways: `/direct <peer> text` typed for each receiver (sealed, as peers with keys send them), or one key-less
 * `POST /send-peer/` each (in clear, as the document's curl sends them). New: no WeApRous twin.
 */

import { type Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ChatCluster, ClusterProcess, LineHandler } from './cluster';
import { cpuSnapshot, cpuSpent } from './cost';

/**
 * `peer`/`document`: one message to all (in #general, or the sender's channel); `direct`/`document-direct`: one to
 * each; `floor`: one to all, to the smallest node:http receivers instead of peers (`floor.ts`).
 */
export type SendMode = 'peer' | 'document' | 'direct' | 'document-direct' | 'floor';

export interface RunSpec {
  mode: SendMode;
  /** Messages per second, or 0 for a burst (all typed at once). */
  rate: number;
  messages: number;
  /** For `peer`: a channel the sender switches to first (it joined it), instead of #general. */
  channel?: string;
  /** What the run is called in the output, when not its mode's name. */
  label?: string;
}

export interface RunResult {
  spec: RunSpec;
  size: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  /** Per-delivery latency in milliseconds, sorted. */
  latencies: number[];
  /** Deliveries per second, from the first message typed to the last delivery. */
  perSecond: number;
  /** CPU ms the receivers spent per delivered message, and the sender per recipient (NaN when the bench sent). */
  receiverCpu: number;
  senderCpu: number;
}

/** The cluster's sending peer (`cluster.ts`): what it prints is never a delivery. */
const SENDER = 'Sender';

/** After the last message is sent, a run waits this long for a delivery that has not come before calling it lost. */
const QUIET_MS = 10_000;
/** After the last delivery, the acknowledgements' work (the sender's outbox) before CPU is read again. */
const TAIL_MS = 300;

/** What the cluster's lines are checked against during a run: `[BROADCAST] ... : bench-<tag>-<n>`. */
export class RunWatch {
  readonly sentAt: Float64Array;
  private readonly seen = new Map<string, Uint8Array>();
  readonly latencies: number[] = [];
  duplicates = 0;
  lastAt = 0;
  private readonly pattern: RegExp;
  private wake: (() => void) | null = null;

  constructor(
    readonly tag: string,
    readonly messages: number,
  ) {
    this.sentAt = new Float64Array(messages).fill(NaN);
    // `[BROADCAST] `, `[DIRECT] `, `[#team] ` then the sender, `: ` and the text.
    this.pattern = new RegExp(`^\\[(?:BROADCAST|DIRECT|#[^\\]]+)\\] .*: bench-${tag}-(\\d+)$`);
  }

  text(n: number): string {
    return `bench-${this.tag}-${n}`;
  }

  /** One line from a peer of the cluster (`name` is the peer's); the sender's own are not deliveries. */
  onLine(name: string, line: string, at: number): void {
    if (name === SENDER) return;
    const hit = this.pattern.exec(line.replace(/^\[[^\]]*\] > /, ''));
    if (!hit) return;
    const n = Number(hit[1]);
    let seen = this.seen.get(name);
    if (!seen) this.seen.set(name, (seen = new Uint8Array(this.messages)));
    if (seen[n]) {
      this.duplicates += 1;
      return;
    }
    seen[n] = 1;
    this.latencies.push(at - this.sentAt[n]);
    this.lastAt = Math.max(this.lastAt, at);
    this.wake?.();
  }

  /** Resolves once `expected` deliveries came, or when none came for `QUIET_MS`. */
  async settle(expected: number): Promise<void> {
    while (this.latencies.length < expected) {
      const before = this.latencies.length;
      await new Promise<void>((done) => {
        const timer = setTimeout(done, QUIET_MS);
        this.wake = () => {
          if (this.latencies.length < expected) return;
          clearTimeout(timer);
          done();
        };
      });
      this.wake = null;
      if (this.latencies.length === before) return;
    }
  }
}

/** Runs one spec on a started cluster; `watch` must already receive the cluster's lines. */
export async function runOnce(cluster: ChatCluster, spec: RunSpec, watch: RunWatch): Promise<RunResult> {
  const receivers = cluster.receivers;
  const expected = spec.messages * receivers.length;
  if (spec.channel !== undefined) await switchTo(cluster.sender, spec.channel);
  const cpuBefore = cpuSnapshot(cluster);
  const firstAt = performance.now();
  if (spec.mode === 'peer') await typeAll(cluster.sender, spec, watch, firstAt);
  else if (spec.mode === 'direct') await typeAll(cluster.sender, spec, watch, firstAt, receivers);
  else await postAll(receivers, spec, watch, firstAt, spec.mode === 'document' ? '/broadcast-peer/' : '/send-peer/');
  await watch.settle(expected);
  await new Promise((done) => setTimeout(done, TAIL_MS));
  const cpu = cpuSpent(cpuBefore, cpuSnapshot(cluster));
  const sent = spec.mode === 'peer' || spec.mode === 'direct'; // by the sender peer; else by this benchmark
  return resultOf(spec, receivers.length, watch, firstAt, cpu.receivers, sent ? cpu.sender : NaN);
}

/** A run's figures from its watch: `receiverCpu` and `senderCpu` are CPU ms over the run (NaN: not measured). */
export function resultOf(
  spec: RunSpec,
  receivers: number,
  watch: RunWatch,
  firstAt: number,
  receiverCpu: number,
  senderCpu: number,
): RunResult {
  const expected = spec.messages * receivers;
  const latencies = [...watch.latencies].sort((a, b) => a - b);
  const seconds = (watch.lastAt - firstAt) / 1000;
  return {
    spec,
    size: receivers + 1,
    expected,
    delivered: latencies.length,
    lost: expected - latencies.length,
    duplicates: watch.duplicates,
    latencies,
    perSecond: seconds > 0 ? latencies.length / seconds : NaN,
    receiverCpu: receiverCpu / latencies.length,
    senderCpu: senderCpu / latencies.length,
  };
}

/** The time message `n` is due: all at once for a burst, else one every 1/rate s. */
export function dueAt(spec: RunSpec, firstAt: number, n: number): number {
  return spec.rate === 0 ? firstAt : firstAt + (n * 1000) / spec.rate;
}

export async function until(time: number): Promise<void> {
  const wait = time - performance.now();
  if (wait > 0) await new Promise((done) => setTimeout(done, wait));
}

/** `/switch #channel` at the sender, so that plain text goes there; resolves when it says so. */
async function switchTo(sender: ClusterProcess, channel: string): Promise<void> {
  const switched = sender.waitFor((line) => line.includes(`Plain text goes to #${channel} now`), 10_000, `switch to #${channel}`);
  sender.type(`/switch #${channel}`);
  await switched;
}

/**
 * Our way: each message typed at the sender's console when due; the peer stores it and sends it to all. With
 * `to`, typed as `/direct <peer id> text` once for each of them instead: a direct message each, sealed.
 */
async function typeAll(
  sender: ClusterProcess,
  spec: RunSpec,
  watch: RunWatch,
  firstAt: number,
  to?: Array<{ port: number }>,
): Promise<void> {
  for (let n = 0; n < spec.messages; n++) {
    await until(dueAt(spec, firstAt, n));
    watch.sentAt[n] = performance.now();
    if (to === undefined) sender.type(watch.text(n));
    else for (const peer of to) sender.type(`/direct 127.0.0.1:${peer.port} ${watch.text(n)}`);
  }
}

/**
 * The document's way: for each message, one POST to `path` per peer, one after another, a new connection each,
 * key-less and unsigned, as its curl examples send them.
 */
async function postAll(receivers: Array<{ port: number }>, spec: RunSpec, watch: RunWatch, firstAt: number, path: string): Promise<void> {
  for (let n = 0; n < spec.messages; n++) {
    const due = dueAt(spec, firstAt, n);
    await until(due);
    watch.sentAt[n] = due; // typed then: a message waiting behind the previous one's loop waits in its latency
    const body = JSON.stringify({ from: '127.0.0.1:9', name: 'Doc', msg: watch.text(n), timestamp: Date.now() / 1000 });
    for (const peer of receivers) await postJson(peer.port, path, body, false);
  }
}

/**
 * `POST <path>` of a JSON body; resolves when it is answered, or when it fails (then counted lost if it never
 * shows). With `agent: false`, on a connection of its own closed after it (`Connection: close`), as curl sends.
 */
export function postJson(port: number, path: string, body: string, agent: Agent | false): Promise<void> {
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  if (agent === false) headers.Connection = 'close';
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => done());
    });
    req.on('error', () => done());
    req.end(body);
  });
}

/** Runs specs one after another, each with a watch of its own, on the lines of every cluster it is handed. */
export class Runner {
  private watch: RunWatch | null = null;
  private count = 0;
  /** Give this to `ChatCluster.start`: a line goes to the run under way, if any. */
  readonly onLine: LineHandler = (name, line, at) => this.watch?.onLine(name, line, at);

  async run(cluster: ChatCluster, spec: RunSpec): Promise<RunResult> {
    this.count += 1;
    this.watch = new RunWatch(`r${this.count}`, spec.messages);
    try {
      return await runOnce(cluster, spec, this.watch);
    } finally {
      this.watch = null;
    }
  }
}
