/**
 * What an idle chat costs: a tracker and 1, 10 and 100 peers, each a `ts-node` process as a class starts them,
 * left alone; CPU time and wake-ups (context switches) of each process over a quiet window, read from /proc,
 * beside idle baselines (plain node processes) measured in the same window. New: no WeApRous twin.
 * Usage: npm run bench:idle -- [--max 100] [--settle 30] [--seconds 30]: the window is one heartbeat by default.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClusterProcess } from './chat/cluster';
import { freePort } from './ports';
import { sample } from './proc';

const ROOT = join(__dirname, '..');
const START_TIMEOUT_MS = 120_000;
/** Peers started at once: each one starting costs a second or so of CPU, and the machine has two cores. */
const STARTING_AT_ONCE = 4;

/** One measured process: a label, a kind (a row of the table) and its process. */
interface Measured {
  kind: string;
  proc: ClusterProcess;
  pid: number;
}

class Idle {
  readonly measured: Measured[] = [];
  private readonly dataRoot = mkdtempSync(join(tmpdir(), 'weaprous-bench-idle-'));

  /** A process under ts-node (as `npx ts-node` runs it, transpile-only), or plain node with `-e code`. */
  start(kind: string, name: string, port: number, args: string[], tsNode = true): ClusterProcess {
    const argv = tsNode ? ['-r', 'ts-node/register/transpile-only', ...args] : args;
    const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', NODE_OPTIONS: '' } });
    const proc = new ClusterProcess(name, port, child, () => {});
    this.measured.push({ kind, proc, pid: child.pid! });
    return proc;
  }

  async tracker(): Promise<string> {
    const port = await freePort();
    const dir = join(this.dataRoot, 'tracker');
    const proc = this.start('tracker', 'tracker', port, [
      'apps/tracker.ts',
      '--server-ip',
      '127.0.0.1',
      '--server-port',
      String(port),
      '--data-dir',
      dir,
    ]);
    await proc.waitFor((line) => line.startsWith('[Backend] Listening on'), START_TIMEOUT_MS, 'listening line');
    return `http://127.0.0.1:${port}`;
  }

  async peers(count: number, trackerUrl: string): Promise<void> {
    for (let i = 1; i <= count; i += STARTING_AT_ONCE) {
      const names = Array.from({ length: Math.min(STARTING_AT_ONCE, count - i + 1) }, (_, k) => `P${i + k}`);
      await Promise.all(names.map((name) => this.peer(name, trackerUrl)));
    }
  }

  private async peer(name: string, trackerUrl: string): Promise<void> {
    const port = await freePort();
    const args = ['apps/peer.ts', '--tracker', trackerUrl, '--port', String(port), '--name', name, '--ip', '127.0.0.1'];
    const proc = this.start('peer', name, port, [...args, '--data-dir', join(this.dataRoot, name)]);
    await proc.waitFor((line) => line.includes(`[${name}] >`) || line.includes('Peer Console'), START_TIMEOUT_MS, 'console');
  }

  /** The baselines: a node process with one far-off timer, and a node:http server nobody calls. */
  baselines(): void {
    this.start('node, one timer', 'timer', 0, ['-e', 'setInterval(() => {}, 1e9)'], false);
    this.start('node:http, idle', 'http', 0, ['-e', "require('node:http').createServer().listen(0, '127.0.0.1')"], false);
  }

  async stop(): Promise<void> {
    await Promise.all(this.measured.map((m) => m.proc.stop()));
    rmSync(this.dataRoot, { recursive: true, force: true });
  }
}

/** CPU ms per second and wake-ups per second of each process between two samples `seconds` apart. */
async function measure(measured: Measured[], seconds: number): Promise<Map<string, Array<{ cpuMs: number; wakeups: number }>>> {
  const before = measured.map((m) => sample(m.pid));
  await new Promise((done) => setTimeout(done, seconds * 1000));
  const after = measured.map((m) => sample(m.pid));
  const rows = new Map<string, Array<{ cpuMs: number; wakeups: number }>>();
  measured.forEach((m, i) => {
    const row = rows.get(m.kind) ?? [];
    row.push({ cpuMs: (after[i].cpuNs - before[i].cpuNs) / 1e6 / seconds, wakeups: (after[i].switches - before[i].switches) / seconds });
    rows.set(m.kind, row);
  });
  return rows;
}

/** `| peers (each) | 100 | 0.41 | 0.9 | 0.3 |`: mean and highest over the processes of one kind. */
function tableRow(label: string, values: Array<{ cpuMs: number; wakeups: number }>): string {
  const mean = (pick: (v: { cpuMs: number; wakeups: number }) => number): number =>
    values.reduce((sum, v) => sum + pick(v), 0) / values.length;
  const max = (pick: (v: { cpuMs: number; wakeups: number }) => number): number => Math.max(...values.map(pick));
  const cells = [
    mean((v) => v.cpuMs).toFixed(2),
    max((v) => v.cpuMs).toFixed(2),
    mean((v) => v.wakeups).toFixed(1),
    max((v) => v.wakeups).toFixed(1),
  ];
  return `| ${label} | ${values.length} | ${cells.join(' | ')} |`;
}

async function runSize(size: number, settle: number, seconds: number): Promise<string[]> {
  const idle = new Idle();
  try {
    idle.baselines();
    const trackerUrl = await idle.tracker();
    await idle.peers(size, trackerUrl);
    await new Promise((done) => setTimeout(done, settle * 1000));
    const rows = await measure(idle.measured, seconds);
    const load = `load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`; // other work on the machine shows here
    const lines = [`${size} idle peer${size === 1 ? '' : 's'}, ${seconds} s after ${settle} s of quiet (${load}):`, ''];
    lines.push(
      '| process | count | CPU ms/s, mean | CPU ms/s, highest | wake-ups/s, mean | wake-ups/s, highest |',
      '|---|---|---|---|---|---|',
    );
    for (const [kind, values] of rows) lines.push(tableRow(kind === 'peer' ? 'peer, each' : kind, values));
    return lines;
  } finally {
    await idle.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      max: { type: 'string', default: '100' },
      settle: { type: 'string', default: '30' },
      seconds: { type: 'string', default: '30' },
    },
  });
  const [max, settle, seconds] = [Number(values.max), Number(values.settle), Number(values.seconds)];
  if (![max, settle, seconds].every((n) => Number.isFinite(n) && n > 0))
    throw new Error('--max, --settle and --seconds take numbers above 0');
  const sizes = [...new Set([1, 10, 100].filter((n) => n <= max).concat(max <= 100 && ![1, 10, 100].includes(max) ? [max] : []))].sort(
    (a, b) => a - b,
  );
  console.log(`Reproduce: npm run bench:idle -- --max ${max} --settle ${settle} --seconds ${seconds}`);
  for (const size of sizes) console.log(['', ...(await runSize(size, settle, seconds))].join('\n'));
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
