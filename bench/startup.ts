/**
 * `npm run bench:startup`: how long a program takes to start, beside `ts-node -e 0` and `node -e 0` run the same
 * way in the same run, and an idle peer's memory: `--help` to its exit, a peer to its prompt (with a tracker
 * running), from the sources with ts-node and from `dist/` (`npm run build`) with node. New: no WeApRous twin.
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/apps/child';
import { buildAll } from '../scripts/build';
import { median } from './format';

const ROOT = join(__dirname, '..');
const TS_NODE = join(ROOT, 'node_modules', '.bin', 'ts-node');
const HOLD = "console.log('up'); setTimeout(() => {}, 60_000)";

interface Timed {
  label: string;
  command: string[];
  /** Stop the clock at this line of output (the process is then killed); without it, at the exit. */
  until?: RegExp;
}

/** Milliseconds from spawn to the exit (or to the line `until`), and the process's RSS in MiB at that moment. */
function timeOnce({ command, until }: Timed): Promise<{ ms: number; rssMiB: number }> {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    const child = spawn(command[0], command.slice(1), { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    let seen = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), fail(new Error(`${command.join(' ')} took over 60 s`))), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (until && until.test(seen)) {
        const ms = elapsed();
        const rssMiB = rssOf(child.pid!);
        clearTimeout(timer);
        child.kill('SIGKILL');
        done({ ms, rssMiB });
      }
    });
    child.on('exit', () => {
      if (until) return;
      clearTimeout(timer);
      done({ ms: elapsed(), rssMiB: NaN });
    });
  });
}

/** A process's resident memory in MiB, from /proc (NaN where there is none). */
function rssOf(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return line ? Number(line[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Runs every command `runs` times in turn (A B C A B C ...), so a drift of the machine touches all alike. */
async function measure(commands: Timed[], runs: number): Promise<Map<string, { ms: number[]; rss: number[] }>> {
  const results = new Map(commands.map((c) => [c.label, { ms: [] as number[], rss: [] as number[] }]));
  for (let run = 0; run < runs + 1; run++) {
    for (const command of commands) {
      const { ms, rssMiB } = await timeOnce(command);
      if (run === 0) continue; // the first round warms the disk cache
      results.get(command.label)!.ms.push(ms);
      results.get(command.label)!.rss.push(rssMiB);
    }
  }
  return results;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
  const built = await buildAll();
  const trackerPort = await freePort();
  const tracker = spawn(process.execPath, [
    built.tracker,
    '--server-port',
    String(trackerPort),
    '--data-dir',
    join(ROOT, 'data', 'bench-startup-tracker'),
  ]);
  await new Promise((ready) => tracker.stdout.on('data', (chunk: Buffer) => /Listening on/.test(chunk.toString()) && ready(undefined)));
  const port = await freePort();
  const peerArgs = [
    '--tracker',
    `http://127.0.0.1:${trackerPort}`,
    '--port',
    String(port),
    '--name',
    'Bench',
    '--data-dir',
    join(ROOT, 'data', 'bench-startup-peer'),
  ];
  const prompt = /\[Bench\] > /;
  const commands: Timed[] = [
    { label: 'node -e 0 (baseline)', command: [process.execPath, '-e', '0'] },
    { label: 'ts-node -e 0 (baseline)', command: [TS_NODE, '-e', '0'] },
    // The floor of memory: the runtime alone, held open, measured the moment it prints.
    { label: 'node, holding on', command: [process.execPath, '-e', HOLD], until: /^up$/m },
    { label: 'ts-node, holding on', command: [TS_NODE, '-e', HOLD], until: /^up$/m },
    { label: 'ts-node apps/peer.ts --help', command: [TS_NODE, 'apps/peer.ts', '--help'] },
    { label: 'node dist/peer.js --help', command: [process.execPath, built.peer, '--help'] },
    { label: 'ts-node apps/peer.ts, to its prompt', command: [TS_NODE, 'apps/peer.ts', ...peerArgs], until: prompt },
    { label: 'node dist/peer.js, to its prompt', command: [process.execPath, built.peer, ...peerArgs], until: prompt },
  ];
  try {
    const results = await measure(commands, runs);
    const tsNode = median(results.get('ts-node -e 0 (baseline)')!.ms);
    console.log(`Start-up, median of ${runs} runs each, run in turn (${new Date().toISOString()}):\n`);
    console.log('| command | wall, median | / ts-node -e 0 | RSS then |');
    console.log('|---|---|---|---|');
    for (const { label } of commands) {
      const { ms, rss } = results.get(label)!;
      const memory = Number.isNaN(median(rss)) ? '' : `${median(rss).toFixed(0)} MiB`;
      console.log(`| ${label} | ${median(ms).toFixed(0)} ms | ${(median(ms) / tsNode).toFixed(2)}x | ${memory} |`);
    }
    console.log(`\nReproduce: npm run bench:startup -- --runs ${runs}`);
  } finally {
    tracker.kill('SIGKILL');
  }
}

main().catch((error: unknown) => {
  console.error(`bench:startup: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
