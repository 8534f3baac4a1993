/**
 * A chat at class size for the chat benchmark: one tracker and N real peers on loopback ports, each an esbuild
 * bundle run by plain `node` with its own data folder; a peer per process, or (`hosted`) every receiver in one
 * host process (`host.ts`). Every line a peer prints goes to `onLine`, stamped with when it arrived.
 * New: no WeApRous twin.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundle } from '../bundle';
import { freePort } from '../ports';
import { rssBytes } from '../proc';

const START_TIMEOUT_MS = 60_000;
/** Peers started at once: each start connects to every peer before it, so a few at a time is quicker than all. */
const STARTING_AT_ONCE = 4;

export interface ChatBundles {
  tracker: string;
  peer: string;
  host: string;
}

/**
 * A line a peer printed, with the peer's name and when it arrived (`performance.now()`), so the benchmark sees a
 * message the moment the receiving peer shows it.
 */
export type LineHandler = (name: string, line: string, at: number) => void;

/** Bundles the tracker, the peer and the host into `BUNDLE_DIR/tracker.js`, `peer.js`, `host.js`. */
export function bundleChat(): Promise<ChatBundles> {
  const root = join(__dirname, '..', '..');
  return bundle({
    tracker: join(root, 'apps', 'tracker.ts'),
    peer: join(root, 'apps', 'peer.ts'),
    host: join(root, 'bench', 'chat', 'host.ts'),
  });
}

/** One process of the cluster: its lines, as they come (a host's as `<name>|<line>`, handed on per peer). */
export class ClusterProcess {
  private partial = '';
  /** The end of what the process wrote to its standard error, to say why it exited. */
  errors = '';
  private readonly waiters: Array<{ test: (line: string) => boolean; done: () => void }> = [];
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly onLine: LineHandler,
    private readonly hosted = false,
  ) {
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (text: string) => this.onText(text));
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (text: string) => (this.errors = (this.errors + text).slice(-2_000)));
    proc.stdin.on('error', () => {});
    this.exited = new Promise((done) => proc.once('exit', () => done()));
  }

  get id(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Types a line, as a person at this peer's console would. */
  type(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }

  /** Resolves at the first line, from now on, that passes `test`; rejects after `timeoutMs`. */
  waitFor(test: (line: string) => boolean, timeoutMs = START_TIMEOUT_MS, what = 'a line'): Promise<void> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`${this.name}: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ test, done: () => (clearTimeout(timer), done()) });
    });
  }

  /** The process's id, for /proc (`bench/proc.ts`). */
  get pid(): number {
    return this.proc.pid ?? NaN;
  }

  /** Kills the process; with `gently`, asks it to leave first (SIGTERM) and waits up to 5 s. */
  async stop(gently = false): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    if (gently) {
      this.proc.kill('SIGTERM');
      const gone = await Promise.race([this.exited.then(() => true), new Promise((done) => setTimeout(() => done(false), 5_000))]);
      if (gone) return;
    }
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  private onText(text: string): void {
    const at = performance.now();
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const raw of parts) {
      const bar = this.hosted ? raw.indexOf('|') : -1;
      const [name, line] = bar === -1 ? [this.name, raw] : [raw.slice(0, bar), raw.slice(bar + 1)];
      this.onLine(name, line, at);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (!this.waiters[i].test(raw)) continue;
        this.waiters[i].done();
        this.waiters.splice(i, 1);
      }
    }
  }
}

/** A tracker, `size - 1` receivers and one sender (started last, so it connects to all of them). */
export class ChatCluster {
  readonly receivers: Array<{ name: string; port: number }> = []; // by name and port (a process each, or all in `host`)
  sender!: ClusterProcess;
  tracker!: ClusterProcess;
  /** Every process but the tracker and the sender: the receivers in order, or the one host. */
  readonly processes: ClusterProcess[] = [];
  private host: ClusterProcess | null = null;
  private readonly dataRoot = mkdtempSync(join(tmpdir(), 'weaprous-bench-chat-'));

  private constructor(
    private readonly bundles: ChatBundles,
    private readonly onLine: LineHandler,
    readonly hosted: boolean,
  ) {}

  static async start(size: number, bundles: ChatBundles, onLine: LineHandler, hosted = false): Promise<ChatCluster> {
    const cluster = new ChatCluster(bundles, onLine, hosted);
    try {
      await cluster.startAll(size);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private async startAll(size: number): Promise<void> {
    const trackerPort = await freePort();
    const trackerArgs = ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)];
    const tracker = this.spawn('tracker', this.bundles.tracker, trackerPort, trackerArgs);
    this.tracker = tracker;
    await tracker.waitFor((line) => line.startsWith('[Backend] Listening on'), START_TIMEOUT_MS, 'listening line');
    const trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const names = Array.from({ length: size - 1 }, (_, i) => `R${i + 1}`);
    if (this.hosted) await this.startHost(names, trackerUrl);
    else {
      for (let i = 0; i < names.length; i += STARTING_AT_ONCE) {
        await Promise.all(
          names.slice(i, i + STARTING_AT_ONCE).map(async (name) => {
            const peer = await this.startPeer(name, trackerUrl);
            this.processes.push(peer);
            this.receivers.push({ name, port: peer.port });
          }),
        );
      }
    }
    await this.startSender(size, trackerUrl);
  }

  /** The sender, last: resolves once it has connected to every receiver. */
  private async startSender(size: number, trackerUrl: string): Promise<void> {
    const connected = new Set<string>();
    let [all, failed]: [() => void, string] = [() => {}, ''];
    const allConnected = new Promise<void>((done) => (all = done));
    const sender = this.startPeer('Sender', trackerUrl, (line) => {
      const hit = /^\[P2P\] Connected to peer: (R\d+) /.exec(line);
      if (hit) connected.add(hit[1]);
      if (line.startsWith('[P2P] Could not connect')) failed = line;
      if (connected.size === size - 1) all();
    });
    this.sender = await sender;
    // On a loaded machine some peers answer after the console opened (discovery.ts: `onLate`), or time out: wait, then `/discover` again.
    for (let tries = 0; tries < 4 && connected.size < size - 1; tries++) {
      if (tries > 0) this.sender.type('/discover');
      await Promise.race([allConnected, new Promise((done) => setTimeout(done, START_TIMEOUT_MS / 4).unref())]);
    }
    if (connected.size !== size - 1)
      throw new Error(`The sender connected to ${connected.size} of ${size - 1} peers at start-up; ${failed}`);
  }

  /** Every receiver in one host process; resolves once each has opened its console. */
  private async startHost(names: string[], trackerUrl: string): Promise<void> {
    const peers: string[] = [];
    for (const name of names) {
      const port = await freePort();
      this.receivers.push({ name, port });
      peers.push('--peer', `${name}:${port}`);
    }
    const ready = new Set<string>();
    let allReady!: () => void;
    const started = new Promise<void>((done) => (allReady = done));
    const host = this.spawn(
      'host',
      this.bundles.host,
      0,
      ['--tracker', trackerUrl, '--data-root', this.dataRoot, ...peers],
      (raw) => {
        const hit = /^(R\d+)\|(\[R\d+\] >|=+$)/.exec(raw);
        if (hit && raw.includes(`[${hit[1]}] >`)) ready.add(hit[1]);
        if (ready.size === names.length) allReady();
      },
      true,
    );
    this.host = host;
    this.processes.push(host);
    const exited = host.exited.then(() => Promise.reject(new Error(`The host process exited while starting: ${host.errors.trim()}`)));
    await Promise.race([started, exited]);
  }

  private async startPeer(name: string, trackerUrl: string, watch?: (line: string) => void): Promise<ClusterProcess> {
    const port = await freePort();
    const args = [
      '--tracker',
      trackerUrl,
      '--port',
      String(port),
      '--name',
      name,
      '--ip',
      '127.0.0.1',
      '--data-dir',
      join(this.dataRoot, name),
    ];
    const peer = this.spawn(name, this.bundles.peer, port, args, watch);
    await peer.waitFor((line) => line.includes(`[${name}] >`) || line.includes('Peer Console'), START_TIMEOUT_MS, 'console');
    return peer;
  }

  private spawn(
    name: string,
    bundle: string,
    port: number,
    args: string[],
    watch?: (line: string) => void,
    hosted = false,
  ): ClusterProcess {
    // Plain node, no ts-node hooks; NODE_OPTIONS emptied so none reaches the measured processes.
    // BENCH_CHAT_PROFILE=<dir> writes a CPU profile of the sender and of R1 there (they are stopped gently then).
    const profile =
      process.env.BENCH_CHAT_PROFILE && (name === 'Sender' || name === 'R1')
        ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BENCH_CHAT_PROFILE}`]
        : [];
    // A host of 99 peers holds a socket per pair of peers, each end: about 20,000 descriptors. Where this
    // process may raise its limit (root), the host gets 65,536; elsewhere it keeps what it has.
    const command = hosted
      ? ['/bin/sh', ['-c', 'ulimit -n 65536 2>/dev/null; exec "$0" "$@"', process.execPath, ...profile, bundle, ...args]]
      : [process.execPath, [...profile, bundle, ...args]];
    const proc = spawn(command[0] as string, command[1] as string[], { env: { ...process.env, NODE_OPTIONS: '' } });
    const peer = new ClusterProcess(
      name,
      port,
      proc,
      (who, line, at) => {
        watch?.(hosted ? `${who}|${line}` : line);
        this.onLine(who, line, at);
      },
      hosted,
    );
    return peer;
  }

  /** Resident memory per peer, in bytes: each process's own, or the host's shared by its peers. */
  peerRss(): number[] {
    const sender = this.sender ? [rssBytes(this.sender.pid)] : [];
    if (this.host) return [...sender, ...this.receivers.map(() => rssBytes(this.host!.pid) / this.receivers.length)];
    return [...sender, ...this.processes.map((peer) => rssBytes(peer.pid))];
  }

  async stop(): Promise<void> {
    const gently = Boolean(process.env.BENCH_CHAT_PROFILE);
    await Promise.all([...this.processes, this.sender, this.tracker].filter(Boolean).map((peer) => peer.stop(gently)));
    rmSync(this.dataRoot, { recursive: true, force: true });
  }
}
