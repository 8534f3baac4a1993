/**
 * Hello-world throughput: the WeApRous daemon against Node's own node:http, in the same run, with the
 * same load generator, keep-alive and pipelined. Each server runs in its own process; runs alternate
 * daemon/node (ABBA order) so drift in a busy machine hits both alike. See docs/benchmarks.md.
 * Usage: npm run bench -- [--seconds 10] [--warmup 2] [--rounds 2] [--connections 50] [--pipelining 10]
 *        [--only keep-alive|pipelined] [--profile] [--generator autocannon|wrk]
 */

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, type Generator, type Scenario } from './load';
import { checkWrk } from './wrk';
import { caveats, runLine, summaryTable, type ScenarioRuns } from './report';
import { assertHello, fetchHello, startServer, type ServerKind, type ServerProcess } from './spawn';

interface Settings {
  seconds: number;
  warmup: number;
  rounds: number;
  connections: number;
  pipelining: number;
  profile: boolean;
  /** Run only the scenarios whose name starts with this ('keep-alive' or 'pipelined'); '' runs both. */
  only: string;
  /** The load generator for every run; the same one for both servers. */
  generator: Generator;
}

const USAGE = 'Usage: npm run bench -- [--seconds N] [--warmup N] [--rounds N] [--connections N] [--pipelining N] [--only keep-alive|pipelined] [--profile] [--generator autocannon|wrk]\n' +
  'Environment: BENCH_SECONDS, BENCH_WARMUP, BENCH_ROUNDS set the same numbers; flags win.';

/** Reads flags, falling back on BENCH_* environment variables, then on the defaults the issue asks for. */
function readSettings(argv: string[]): Settings {
  const env = process.env;
  const texts: Record<string, string> = {
    seconds: env.BENCH_SECONDS ?? '10',
    warmup: env.BENCH_WARMUP ?? '2',
    rounds: env.BENCH_ROUNDS ?? '2',
    connections: '50',
    pipelining: '10',
  };
  let profile = false;
  let only = '';
  let generator = 'autocannon';
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    if (name === 'help') exit(0, USAGE);
    else if (name === 'profile') profile = true;
    else if (name === 'only') only = argv[++i] ?? '(nothing)';
    else if (name === 'generator') generator = argv[++i] ?? '(nothing)';
    else if (name in texts) texts[name] = argv[++i] ?? '';
    else exit(2, `Unknown option "${argv[i]}".\n${USAGE}`);
  }
  if (only !== '' && only !== 'keep-alive' && only !== 'pipelined') exit(2, `--only takes keep-alive or pipelined, not "${only}".`);
  if (generator !== 'autocannon' && generator !== 'wrk') exit(2, `--generator takes autocannon or wrk, not "${generator}".`);
  const numbers: Record<string, number> = {};
  for (const [name, text] of Object.entries(texts)) {
    const min = name === 'warmup' ? 0 : 1;
    numbers[name] = Number(text);
    if (!/^\d+$/.test(text) || numbers[name] < min) exit(2, `--${name} must be a whole number of at least ${min}, not "${text}".\n${USAGE}`);
  }
  return { ...(numbers as Omit<Settings, 'profile' | 'only' | 'generator'>), profile, only, generator: generator as Generator };
}

function exit(code: number, message: string): never {
  (code === 0 ? console.log : console.error)(message);
  process.exit(code);
}

function scenarios(s: Settings): Scenario[] {
  const all: Scenario[] = [
    { name: `keep-alive ${s.connections} conns`, connections: s.connections, pipelining: 1, target: 1.2 },
    { name: `pipelined ${s.connections}x${s.pipelining} deep`, connections: s.connections, pipelining: s.pipelining, target: 1.0 },
  ];
  return all.filter((scenario) => scenario.name.startsWith(s.only));
}

/** Starts both servers and checks that each answers `GET /` with 200 and the expected body. */
async function startBoth(settings: Settings): Promise<Record<ServerKind, ServerProcess>> {
  const profileDir = join(tmpdir(), 'weaprous-profiles');
  const flags = (kind: ServerKind) => (settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, kind)}`] : []);
  const servers = { daemon: await startServer('daemon', flags('daemon')), node: await startServer('node', flags('node')) };
  for (const server of Object.values(servers)) {
    const check = await fetchHello(server.port);
    assertHello(server.kind, check);
    console.log(`${server.kind.padEnd(6)} on port ${server.port}: ${check.bytes}-byte answer, ` +
      `headers ${check.head.split('\r\n').slice(1).map((line) => line.split(':')[0]).join(', ')}`);
  }
  if (settings.profile) console.log(`Each server writes a CPU profile to ${profileDir}/<daemon|node>/ when it stops.`);
  return servers;
}

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));
  const command = `npm run bench -- --seconds ${settings.seconds} --warmup ${settings.warmup} --rounds ${settings.rounds}` +
    ` --connections ${settings.connections} --pipelining ${settings.pipelining}` +
    `${settings.only ? ` --only ${settings.only}` : ''}${settings.profile ? ' --profile' : ''}` +
    `${settings.generator === 'wrk' ? ' --generator wrk' : ''}`;
  console.log(`Command: ${command}`);
  if (settings.generator === 'wrk') checkWrk();
  console.log(`Node ${process.version}, ${settings.generator}, ${settings.warmup} s warm-up + ${settings.seconds} s per run, ${settings.rounds} rounds\n`);
  const servers = await startBoth(settings);
  const results: ScenarioRuns[] = [];
  try {
    for (const scenario of scenarios(settings)) {
      const entry: ScenarioRuns = { scenario, runs: { daemon: [], node: [] } };
      results.push(entry);
      for (let round = 1; round <= settings.rounds; round++) {
        // ABBA: daemon first in odd rounds, node first in even ones, so a trend in machine load evens out.
        const order: ServerKind[] = round % 2 === 1 ? ['daemon', 'node'] : ['node', 'daemon'];
        for (const kind of order) {
          const run = await measure(servers[kind], scenario, settings.seconds, settings.warmup, settings.generator);
          entry.runs[kind].push(run);
          console.log(runLine(scenario, kind, round, run));
        }
      }
    }
  } finally {
    await Promise.all([servers.daemon.stop(), servers.node.stop()]);
  }
  console.log(`\n${summaryTable(results)}\n`);
  for (const note of caveats(results)) console.log(`Note: ${note}`);
  console.log(`Reproduce with: ${command}`);
}

main().catch((error: Error) => exit(1, `Benchmark failed: ${error.message}`));
