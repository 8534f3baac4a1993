/**
 * Hello-world throughput: the WeApRous daemon against a minimal node:http server (the baseline) and a raw
 * node:net server that writes a fixed reply unparsed (the upper bound), same load generator, keep-alive and
 * pipelined, each an esbuild bundle in its own process. See docs/benchmarks.md. Benchmark tooling; no WeApRous
 * twin. Usage: npm run bench -- [--seconds 10] [--rounds 2] [--only keep-alive|pipelined] ... (`--help`)
 */

import { join } from 'node:path';
import { BUNDLE_DIR, bundleServers, type ServerKind } from '../bundle';
import { measure, type Generator, type Scenario } from './load';
import { caveats, LABELS, runLine, summaryTable, verdicts, type ScenarioRuns } from './report';
import { assertHello, fetchHello, startServer, type ServerProcess } from './spawn';
import { checkWrk } from './wrk';

interface Settings {
  seconds: number;
  warmup: number;
  rounds: number;
  connections: number;
  pipelining: number;
  profile: boolean;
  /** Run only the scenarios whose name starts with this ('keep-alive' or 'pipelined'); '' runs both. */
  only: string;
  /** The load generator for every run; the same one for all three servers. */
  generator: Generator;
}

const USAGE =
  'Usage: npm run bench -- [--seconds N] [--warmup N] [--rounds N] [--connections N] [--pipelining N] [--only keep-alive|pipelined] [--profile] [--generator autocannon|wrk]\n' +
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
    if (!/^\d+$/.test(text) || numbers[name] < min)
      exit(2, `--${name} must be a whole number of at least ${min}, not "${text}".\n${USAGE}`);
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
    { name: `pipelined ${s.connections}x${s.pipelining} deep`, connections: s.connections, pipelining: s.pipelining, target: 2.0 },
  ];
  return all.filter((scenario) => scenario.name.startsWith(s.only));
}

const KINDS: ServerKind[] = ['raw', 'node', 'daemon'];

type Servers = Record<ServerKind, ServerProcess>;

/** Bundles and starts the three servers, and checks that each answers `GET /` with 200 and the expected body. */
async function startAll(settings: Settings): Promise<Servers> {
  const bundles = await bundleServers(KINDS);
  console.log(`Bundled with esbuild into ${BUNDLE_DIR}/; each server runs as: ${process.execPath} <bundle>.js 0`);
  const profileDir = join(BUNDLE_DIR, 'profiles');
  const flags = (kind: ServerKind) => (settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, kind)}`] : []);
  const servers = {} as Servers;
  for (const kind of KINDS) servers[kind] = await startServer(kind, bundles[kind], flags(kind));
  for (const server of Object.values(servers)) {
    const check = await fetchHello(server.port);
    assertHello(LABELS[server.kind], check);
    console.log(
      `${LABELS[server.kind].padEnd(18)} on port ${server.port}: ${check.bytes}-byte answer, ` +
        `headers ${check.head
          .split('\r\n')
          .slice(1)
          .map((line) => line.split(':')[0])
          .join(', ')}`,
    );
  }
  if (settings.profile) console.log(`Each server writes a CPU profile to ${profileDir}/<raw|node|daemon>/ when it stops.`);
  return servers;
}

/**
 * Every round measures all three servers; odd rounds go raw, node, daemon and even rounds the reverse (ABBA
 * order), so drift in a busy machine hits all alike.
 */
async function runScenario(servers: Servers, scenario: Scenario, settings: Settings): Promise<ScenarioRuns> {
  const entry: ScenarioRuns = { scenario, runs: { raw: [], node: [], daemon: [] } };
  for (let round = 1; round <= settings.rounds; round++) {
    const order = round % 2 === 1 ? KINDS : [...KINDS].reverse();
    for (const kind of order) {
      const run = await measure(servers[kind], scenario, settings.seconds, settings.warmup, settings.generator);
      entry.runs[kind].push(run);
      console.log(runLine(scenario, kind, round, run));
    }
  }
  return entry;
}

function commandLine(s: Settings): string {
  return (
    `npm run bench -- --seconds ${s.seconds} --warmup ${s.warmup} --rounds ${s.rounds}` +
    ` --connections ${s.connections} --pipelining ${s.pipelining}` +
    `${s.only ? ` --only ${s.only}` : ''}${s.profile ? ' --profile' : ''} --generator ${s.generator}`
  );
}

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));
  const command = commandLine(settings);
  console.log(`Command: ${command}`);
  if (settings.generator === 'wrk') checkWrk();
  console.log(
    `Node ${process.version}, ${settings.generator}, ${settings.warmup} s warm-up + ${settings.seconds} s per run, ${settings.rounds} rounds\n`,
  );
  const servers = await startAll(settings);
  const results: ScenarioRuns[] = [];
  try {
    for (const scenario of scenarios(settings)) results.push(await runScenario(servers, scenario, settings));
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
  console.log(`\n${summaryTable(results)}\n`);
  for (const verdict of verdicts(results)) console.log(verdict);
  for (const note of caveats(results)) console.log(`Note: ${note}`);
  console.log(`Reproduce with: ${command}`);
}

main().catch((error: Error) => exit(1, `Benchmark failed: ${error.message}`));
