/**
 * The tracker's command line: `--server-ip 0.0.0.0 --server-port 8000 --ttl 300 --registry memory --data-dir data/tracker-8000`.
 * Pure: it returns the options or a sentence saying what is wrong; `apps/tracker.ts` prints and exits.
 * Ports the argparse block of WeApRous `apps/sampleApp.py`.
 */

import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { parseArgsError, TRACE_HELP, TRACE_OPTION, TRACE_USAGE, type Env } from '../cli';

export interface TrackerArgs {
  ip: string;
  port: number;
  ttlSeconds: number;
  /** `memory` (the default: the peers live and die with this process) or a Redis URL `redis://host:port`. */
  registry: string;
  /** Log only changes, not every request (`--quiet`). */
  quiet: boolean;
  /** Where the tracker keeps what outlives it: the keys of private channel names (`vault.ts`); `data/tracker-<port>`. */
  dataDir: string;
  /** `--tls-cert`/`--tls-key`: the files of the certificate and key to serve HTTPS with; both or neither. */
  tlsCert?: string;
  tlsKey?: string;
  /** `--tls-ca`: the PEM that HTTPS peers' certificates are checked against when the tracker asks their `/identity/`. */
  tlsCa?: string;
  /** `--trace`: print each request and response head (daemon/trace.ts). */
  trace?: true;
}

export const TRACKER_USAGE =
  'Usage: ts-node apps/tracker.ts [--server-ip 0.0.0.0] [--server-port 8000] [--ttl 300] [--registry memory|redis://127.0.0.1:6379] [--data-dir data/tracker-8000] [--quiet] [--tls-cert cert/cert.pem --tls-key cert/key.pem] [--tls-ca cert/cert.pem] ' +
  `${TRACE_USAGE}\n` +
  '  --tls-ca: the CA (or the shared self-signed certificate) of peers that serve HTTPS, checked when their key is bound\n' +
  TRACE_HELP;

const OPTIONS = {
  'server-ip': { type: 'string', default: '0.0.0.0' },
  'server-port': { type: 'string', default: '8000' },
  ttl: { type: 'string', default: '300' },
  registry: { type: 'string', default: 'memory' },
  quiet: { type: 'boolean', default: false },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  ...TRACE_OPTION,
} as const;

/** `parseTrackerArgs(['--server-port', '8000'])` → `{ ok: true, args: { ip: '0.0.0.0', port: 8000, ttlSeconds: 300, registry: 'memory', quiet: false } }` */
export function parseTrackerArgs(
  argv: string[],
  env: Env = {},
): { ok: true; args: TrackerArgs } | { ok: false; error: string } | { ok: 'help' } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS }));
  } catch (error) {
    return { ok: false, error: parseArgsError(error, Object.keys(OPTIONS), env) };
  }
  if (values.help) return { ok: 'help' };
  const ip = String(values['server-ip']);
  const port = Number(values['server-port']);
  const ttlSeconds = Number(values.ttl);
  // Port 0 is allowed here: the system picks a free port and the banner line says which.
  if (isIP(ip) === 0 && ip !== 'localhost') return { ok: false, error: `--server-ip must be an IP address such as 0.0.0.0, not "${ip}"` };
  if (!/^\d+$/.test(String(values['server-port'])) || port > 65535)
    return { ok: false, error: `--server-port must be a port number from 0 to 65535, not "${values['server-port']}"` };
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0)
    return { ok: false, error: `--ttl must be a number of seconds above 0, not "${values.ttl}"` };
  const registry = String(values.registry);
  const wrong = registry === 'memory' ? null : redisUrlProblem(registry);
  if (wrong !== null)
    return { ok: false, error: `--registry must be "memory" or a Redis URL such as redis://127.0.0.1:6379${wrong}, not "${registry}"` };
  const dataDir = values['data-dir'] === undefined ? `data/tracker-${port}` : String(values['data-dir']);
  if (dataDir.trim() === '') return { ok: false, error: '--data-dir must be a folder, such as data/tracker-8000' };
  const args: TrackerArgs = { ip, port, ttlSeconds, registry, quiet: values.quiet === true, dataDir };
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    return { ok: false, error: 'HTTPS needs both --tls-cert FILE and --tls-key FILE (npm run cert writes a pair into cert/)' };
  if (values['tls-cert'] !== undefined) Object.assign(args, { tlsCert: String(values['tls-cert']), tlsKey: String(values['tls-key']) });
  if (values['tls-ca'] !== undefined) args.tlsCa = String(values['tls-ca']);
  if (values.trace === true) args.trace = true;
  return { ok: true, args };
}

/** Why `text` is not a `redis://host:port[/db]` URL ('' when it is no URL at all), or null when it is one. */
function redisUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '';
  }
  if (url.protocol !== 'redis:' || url.hostname === '' || url.search !== '' || !/^(\/\d{1,2})?\/?$/.test(url.pathname)) return '';
  // A command line is visible to every user of the machine (ps): a password has no place in it.
  if (url.username !== '' || url.password !== '') return ' without a user or password (a command line is visible to anyone on the machine)';
  return null;
}
