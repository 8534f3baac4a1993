/**
 * The tracker benchmark's command line: its options, their checks and usage text, and the command that
 * reproduces a run. New: no WeApRous twin.
 */

export interface Settings {
  peers: number[];
  /** Seconds between two heartbeats of one peer (the peer's default, 30). */
  period: number;
  /** Seconds each kind of query runs, heartbeats running throughout. */
  seconds: number;
  /** Closed-loop clients asking for lists at once. */
  clients: number;
  /** Connections that register and send heartbeats. */
  connections: number;
  channels: number;
  registry: string;
  /** Start the tracker with `--quiet` (it logs changes only, not three lines per heartbeat). */
  quiet: boolean;
}

const USAGE =
  'Usage: npm run bench:tracker -- [--peers 10000,100000] [--period 30] [--seconds 10] [--clients 2] [--connections 16]\n' +
  '       [--channels 10] [--registry memory|redis://127.0.0.1:6390] [--quiet]\n' +
  '--quiet starts the tracker with --quiet (changes logged, not every request); with Redis, the keys under weaprous:tracker: are deleted first.';

export function readSettings(argv: string[]): Settings {
  const texts: Record<string, string> = { period: '30', seconds: '10', clients: '2', connections: '16', channels: '10' };
  let peers = '10000,100000';
  let registry = 'memory';
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    if (name === 'help') exit(0, USAGE);
    else if (name === 'peers') peers = argv[++i] ?? '';
    else if (name === 'registry') registry = argv[++i] ?? '';
    else if (name === 'quiet') quiet = true;
    else if (name in texts) texts[name] = argv[++i] ?? '';
    else exit(2, `Unknown option "${argv[i]}".\n${USAGE}`);
  }
  const numbers: Record<string, number> = {};
  for (const [name, text] of Object.entries(texts)) {
    numbers[name] = Number(text);
    if (!/^\d+$/.test(text) || numbers[name] < 1) exit(2, `--${name} must be a whole number of at least 1, not "${text}".\n${USAGE}`);
  }
  const sizes = peers.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < numbers.channels || n > 1_000_000))
    exit(2, `--peers must be sizes from --channels (${numbers.channels}) to 1000000 separated by commas, not "${peers}".`);
  if (registry !== 'memory' && !/^redis:\/\/[^/@]+:\d+$/.test(registry))
    exit(2, `--registry must be memory or redis://host:port, not "${registry}".`);
  return { ...(numbers as Omit<Settings, 'peers' | 'registry' | 'quiet'>), peers: sizes, registry, quiet };
}

export function exit(code: number, message: string): never {
  (code === 0 ? console.log : console.error)(message);
  process.exit(code);
}

export function commandLine(s: Settings): string {
  return (
    `npm run bench:tracker -- --peers ${s.peers.join(',')} --period ${s.period} --seconds ${s.seconds} --clients ${s.clients}` +
    ` --connections ${s.connections} --channels ${s.channels} --registry ${s.registry}${s.quiet ? ' --quiet' : ''}`
  );
}
