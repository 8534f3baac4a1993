/**
 * The chaos run's processes: a tracker and N peers, each `apps/*.ts` started inside its own namespace, reached
 * through the wire at its public address, typed into like a user (`Child.type`) or posted to through the browser
 * chat's API (curl inside the peer's namespace, the owner's machine). Kills and restarts on the same folders. New.
 */

import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { type Child, dataDir, exact, passwordFile, Processes, STARTUP_MS } from '../../test/apps/child';
import type { Namespaces } from './namespaces';
import { NAMES, PRIVATE_CHANNEL, PRIVATE_KEY, type Plan } from './plan';
import type { Node } from './wire';

const TRACKER_PORT = 8000;
const PASSWORD = 'chaos-web-password';
const SKEW_PRELOAD = resolve(__dirname, 'skew.js');

/** A `/join` refused is typed again this often, 2 s apart, before the run gives up (exit 2). */
const JOIN_TRIES = 5;

export class Cluster {
  readonly processes = new Processes();
  readonly nodes: Node[];
  readonly names: string[];
  readonly folders: string[];
  readonly trackerFolder = dataDir('chaos-tracker');
  tracker: Child | undefined;
  /** Each peer's process, undefined while it is down (killed, not yet restarted). */
  readonly peers: Array<Child | undefined>;
  /** Every process each peer ran (one more after each restart), for the lines they printed and when. */
  readonly runs: Child[][];
  /** When each text was typed or posted (ms since 1970). */
  readonly sentAt = new Map<string, number>();
  /** Where each peer's plain text goes now, as far as this run typed it. */
  readonly current: string[];
  private readonly password = passwordFile(PASSWORD);
  private readonly starting: Array<Promise<Child> | undefined> = [];
  private readonly typing: Array<Promise<unknown>>;

  constructor(
    private readonly ns: Namespaces,
    private readonly plan: Plan,
  ) {
    this.names = NAMES.slice(0, plan.peers);
    this.nodes = [{ name: 'tracker', publicIp: ns.publicIp(0), realIp: ns.realIp(0), port: TRACKER_PORT }];
    this.names.forEach((name, i) => this.nodes.push({ name, publicIp: ns.publicIp(i + 1), realIp: ns.realIp(i + 1), port: 5001 + i }));
    this.folders = this.names.map((name) => dataDir(`chaos-${name}`));
    this.peers = this.names.map(() => undefined);
    this.runs = this.names.map(() => []);
    this.current = this.names.map(() => 'general');
    this.typing = this.names.map(() => Promise.resolve());
  }

  /** `10.79.3.111:5001`: the id others know peer i by. */
  id(i: number): string {
    return `${this.nodes[i + 1].publicIp}:${this.nodes[i + 1].port}`;
  }

  async startTracker(): Promise<void> {
    const args = ['--server-port', String(TRACKER_PORT), '--data-dir', this.trackerFolder, '--quiet'];
    this.tracker = this.processes.start('tracker', 'apps/tracker.ts', args, { under: this.ns.under(0) });
    await this.tracker.waitFor(exact(`[Backend] Listening on IP 0.0.0.0 port ${TRACKER_PORT}`), STARTUP_MS);
  }

  async stopTracker(): Promise<void> {
    await this.tracker?.kill();
    this.tracker = undefined;
  }

  /** Starts peer i on its data folder (again, after a kill), the skewed one with its clock off; once, if two faults ask. */
  startPeer(i: number): Promise<Child | undefined> {
    if (this.peers[i]) return Promise.resolve(this.peers[i]);
    this.starting[i] ??= this.launch(i).finally(() => (this.starting[i] = undefined));
    return this.starting[i];
  }

  private async launch(i: number): Promise<Child> {
    const name = this.names[i];
    const args = ['--tracker', `http://${this.nodes[0].publicIp}:${TRACKER_PORT}`, '--ip', this.nodes[i + 1].publicIp];
    args.push('--port', String(this.nodes[i + 1].port), '--name', name, '--heartbeat', '2');
    args.push('--data-dir', this.folders[i], '--password-file', this.password);
    const skew =
      this.plan.skewed.peer === i
        ? ['env', `NODE_OPTIONS=--require=${SKEW_PRELOAD}`, `CHAOS_CLOCK_SKEW_MS=${this.plan.skewed.skewMs}`]
        : [];
    const child = this.processes.start(name, 'apps/peer.ts', args, { under: [...this.ns.under(i + 1), ...skew] });
    await child.waitFor(exact(`[${name}] > `), STARTUP_MS * 2);
    this.current[i] = 'general';
    this.peers[i] = child;
    this.runs[i].push(child);
    return child;
  }

  async killPeer(i: number): Promise<void> {
    await this.starting[i];
    const child = this.peers[i];
    this.peers[i] = undefined;
    await child?.kill();
  }

  /**
   * Joins the planned channels, the private one with its key, one peer at a time (the first creates it). A join
   * refused (`Could not join`: the tracker has not registered the peer yet, its first try answered 401 on the
   * impaired link) is typed again, as a user would, up to `JOIN_TRIES` times.
   */
  async joinChannels(): Promise<void> {
    for (const [channel, members] of Object.entries(this.plan.members)) {
      for (const i of members) await this.join(i, channel);
    }
  }

  private async join(i: number, channel: string): Promise<void> {
    const peer = this.peers[i]!;
    const answer = new RegExp(`^\\[Channel\\] (.*you are in #${channel} |Could not join #${channel}:)`);
    for (let tries = 1; ; tries++) {
      const from = peer.lines.length;
      peer.type(channel === PRIVATE_CHANNEL ? `/join #${channel} ${PRIVATE_KEY}` : `/join #${channel}`);
      const said = await peer.waitFor(answer, 15_000, from);
      if (!said.includes('Could not join')) break;
      if (tries === JOIN_TRIES) throw new Error(`${this.names[i]} could not join #${channel} in ${JOIN_TRIES} tries: ${said}`);
      await new Promise((done) => setTimeout(done, 2_000));
    }
    this.current[i] = channel;
  }

  /**
   * Types `text` into peer i's console, into `channel` or as a direct message to peer `to`. A channel needs a
   * `/switch` first, answered before the text is typed: a user told "You are not in #team" does not type the
   * secret anyway (it would go to #general in clear). One peer's lines are typed one send at a time.
   */
  type(i: number, channel: string, text: string, to?: number): Promise<string> {
    const typed = this.typing[i].then(() => this.typeNow(i, channel, text, to));
    this.typing[i] = typed.catch(() => {});
    return typed;
  }

  private async typeNow(i: number, channel: string, text: string, to?: number): Promise<string> {
    const peer = this.peers[i];
    if (!peer) return 'down';
    if (to !== undefined) {
      this.sentAt.set(text, Date.now());
      peer.type(`/direct ${this.id(to)} ${text}`);
    } else {
      if (this.current[i] !== channel) {
        const from = peer.lines.length;
        peer.type(`/switch #${channel}`);
        const answer = await peer.waitFor(new RegExp(`^\\[Channel\\] (Plain text goes to|You are not in) #${channel}`), 10_000, from);
        if (answer.includes('not in')) return `refused: ${this.names[i]} is not in #${channel}`;
        this.current[i] = channel;
      }
      this.sentAt.set(text, Date.now());
      peer.type(text);
    }
    return 'typed';
  }

  /** Posts `text` through peer i's browser chat API, from its own machine (the owner's); resolves with the status. */
  async post(i: number, conversation: string, text: string): Promise<string> {
    if (!this.peers[i]) return 'down';
    const base = `http://127.0.0.1:${this.nodes[i + 1].port}`;
    const jar = join(this.folders[i], '..', `${this.names[i]}-cookies.txt`);
    const curl = (...args: string[]) => this.curl(i, ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Origin: ${base}`, ...args]);
    const login = await curl('-c', jar, '--data-urlencode', `password=${PASSWORD}`, `${base}/login/`);
    if (!/^[23]/.test(login)) return `login ${login}`;
    const body = JSON.stringify({ conversation, text });
    this.sentAt.set(text, Date.now());
    return curl('-b', jar, '-H', 'Content-Type: application/json', '--data-binary', body, `${base}/api/send/`);
  }

  private curl(i: number, args: string[]): Promise<string> {
    const [command, ...before] = this.ns.under(i + 1);
    return new Promise((done) =>
      execFile(command, [...before, 'curl', '--max-time', '10', ...args], (error, stdout) =>
        done(error && !stdout ? String(error.message) : stdout),
      ),
    );
  }

  async stopAll(): Promise<void> {
    await this.processes.killAll();
  }
}
