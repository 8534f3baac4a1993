/**
 * Hello-world throughput: the WeApRous daemon against a minimal node:http server (the baseline) and a raw
 * node:net server that writes a fixed reply unparsed (the upper bound), same load generator, keep-alive and
 * pipelined, each an esbuild bundle in its own process; then the same three over TLS (the daemon's `run({ tls })`
 * against node:https), with a certificate made for the run. See docs/benchmarks.md. Benchmark tooling; no
 * WeApRous twin. Usage: npm run bench -- [--seconds 10] [--rounds 2] [--only keep-alive|pipelined|https] ...
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_DIR, bundleServers, type ServerKind } from '../bundle';
import { measure, type Generator, type Scenario } from './load';
import { caveats, labelOf, runLine, summaryTable, tlsCosts, verdicts, type ScenarioRuns } from './report';
import { assertHello, fetchHello, startServer, type CertFiles, type ServerProcess } from './spawn';
import { checkWrk } from './wrk';

interface Settings {
  seconds: number;
  warmup: number;
  rounds: number;
  connections: number;
  pipelining: number;
  profile: boolean;
  /** Run only the scenarios whose name starts with this ('keep-alive', 'pipelined' or 'https'); '' runs all. */
  only: string;
  /** The load generator for every run; the same one for all three servers. */
  generator: Generator;
}

const USAGE =
  'Usage: npm run bench -- [--seconds N] [--warmup N] [--rounds N] [--connections N] [--pipelining N] [--only keep-alive|pipelined|https] [--profile] [--generator autocannon|wrk]\n' +
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
  if (!['', 'keep-alive', 'pipelined', 'https'].includes(only)) exit(2, `--only takes keep-alive, pipelined or https, not "${only}".`);
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
    // The cost of encryption: the keep-alive run again over TLS; the handshakes are done in the warm-up.
    { name: `https keep-alive ${s.connections} conns`, connections: s.connections, pipelining: 1, https: true },
  ];
  return all.filter((scenario) => scenario.name.startsWith(s.only));
}

const KINDS: ServerKind[] = ['raw', 'node', 'daemon'];

type Servers = Record<ServerKind, ServerProcess>;

/** A self-signed certificate for 127.0.0.1, made for this run by `npm run cert`'s script (scripts/cert.sh). */
function makeCert(): CertFiles {
  const dir = join(BUNDLE_DIR, 'cert');
  execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'cert.sh'), dir], { stdio: 'ignore' });
  console.log(
    `\nHTTPS: a P-256 certificate made for this run (bash scripts/cert.sh ${dir}); servers run as: node <bundle>.js 0 cert.pem key.pem`,
  );
  return { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
}

/**
 * Starts the three servers (over TLS with `cert`), and checks that each answers `GET /` with 200 and the expected
 * body, an HTTPS one with the certificate checked.
 */
async function startAll(settings: Settings, bundles: Record<ServerKind, string>, cert?: CertFiles): Promise<Servers> {
  const profileDir = join(BUNDLE_DIR, 'profiles');
  const name = (kind: ServerKind) => (cert ? `${kind}-https` : kind);
  const flags = (kind: ServerKind) => (settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name(kind))}`] : []);
  const servers = {} as Servers;
  for (const kind of KINDS) servers[kind] = await startServer(kind, bundles[kind], flags(kind), cert);
  const ca = cert ? readFileSync(cert.certFile) : undefined;
  for (const server of Object.values(servers)) {
    const label = labelOf(server.kind, { https: cert !== undefined });
    const check = await fetchHello(server.port, ca);
    assertHello(label, check);
    console.log(
      `${label.padEnd(19)} on ${server.url}: ${check.bytes}-byte answer, ` +
        `headers ${check.head
          .split('\r\n')
          .slice(1)
          .map((line) => line.split(':')[0])
          .join(', ')}`,
    );
  }
  if (settings.profile) console.log(`Each server writes a CPU profile to ${profileDir}/<raw|node|daemon>[-https]/ when it stops.`);
  return servers;
}

/** Runs `list` on one set of servers (HTTPS ones with `cert`), started for it and stopped after. */
async function runGroup(
  settings: Settings,
  bundles: Record<ServerKind, string>,
  list: Scenario[],
  cert?: () => CertFiles,
): Promise<ScenarioRuns[]> {
  if (list.length === 0) return [];
  const servers = await startAll(settings, bundles, cert?.());
  const results: ScenarioRuns[] = [];
  try {
    for (const scenario of list) results.push(await runScenario(servers, scenario, settings));
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
  return results;
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
  const bundles = await bundleServers(KINDS);
  console.log(`Bundled with esbuild into ${BUNDLE_DIR}/; each server runs as: ${process.execPath} <bundle>.js 0`);
  const all = scenarios(settings);
  const results = [
    ...(await runGroup(
      settings,
      bundles,
      all.filter((scenario) => !scenario.https),
    )),
    ...(await runGroup(
      settings,
      bundles,
      all.filter((scenario) => scenario.https),
      makeCert,
    )),
  ];
  console.log(`\n${summaryTable(results)}\n`);
  for (const verdict of verdicts(results)) console.log(verdict);
  for (const cost of tlsCosts(results)) console.log(cost);
  for (const note of caveats(results)) console.log(`Note: ${note}`);
  console.log(`Reproduce with: ${command}`);
}

main().catch((error: Error) => exit(1, `Benchmark failed: ${error.message}`));
