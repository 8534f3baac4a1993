/**
 * The command line shared by the start scripts (`start_proxy.ts`, `start_backend.ts`, `apps/sampleapp.ts`):
 * the assignment's `--server-ip` / `--server-port` flags, `--trace` (every server's), a sentence for each way `listen` can fail, and a
 * clean exit on Ctrl+C or SIGTERM; for every app, the hint when `npm run` kept a flag. Ports the argparse blocks
 * the WeApRous `start_*.py` scripts each repeated.
 */

import { isIP } from 'node:net';
import { readTlsFiles, type TlsFiles } from '../daemon/tls';
import { Tracer } from '../daemon/trace';

/** The flags that make a start script speak HTTPS: `--tls-cert cert/cert.pem --tls-key cert/key.pem`. */
export const TLS_FLAGS = ['--tls-cert', '--tls-key'];
export const TLS_USAGE = '[--tls-cert cert/cert.pem --tls-key cert/key.pem]';

/**
 * `--trace`, one rule for every server: a flag without a value; each request and response head is printed as it
 * crosses the socket (daemon/trace.ts). `TRACE_OPTION` is its entry for node:util `parseArgs` (tracker, peer).
 */
export const TRACE_FLAG = '--trace';
export const TRACE_USAGE = '[--trace]';
export const TRACE_OPTION = { trace: { type: 'boolean', default: false } } as const;
export const TRACE_HELP =
  '  --trace: print every request and response head as it crosses the socket: connection number, bytes, time, route; secrets masked';

/** The tracer `--trace` asks for, writing a line at a time (to stdout unless `write` says otherwise); undefined without it. */
export function tracerFor(
  trace: boolean | undefined,
  write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
): Tracer | undefined {
  return trace ? new Tracer(write) : undefined;
}

export interface ServerFlags {
  ip: string;
  port: number;
  /** `--trace` was given. */
  trace?: true;
  /** Values of the extra flags a script accepts, e.g. `{ '--config': 'my.conf' }`. */
  extra: Record<string, string>;
}

/**
 * Reads `--server-ip` and `--server-port` (and the `extra` flag names given), as `--name value` or `--name=value`;
 * `env` is read only to explain a stray argument (`npmHint`).
 * `parseServerFlags(['--server-port', '8081'], { ip: '0.0.0.0', port: 8080 })` → `{ ip: '0.0.0.0', port: 8081, extra: {} }`.
 */
export function parseServerFlags(
  argv: string[],
  defaults: { ip: string; port: number },
  extraNames: string[] = [],
  env: Env = {},
): ServerFlags | { error: string } | { help: true } {
  const flags: ServerFlags = { ...defaults, extra: {} };
  const names = ['--server-ip', '--server-port', TRACE_FLAG, ...extraNames];
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    if (name === '--help' || name === '-h') return { help: true };
    if (name === TRACE_FLAG) {
      if (inline !== undefined) return { error: `${TRACE_FLAG} takes no value.` };
      flags.trace = true;
      continue;
    }
    if (!names.includes(name)) {
      const hint = npmHint(argv[i], [...names.map((n) => n.slice(2)), 'help'], env);
      return { error: `Unknown option "${argv[i]}".${hint}` };
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') return { error: `${name} needs a value.` };
    if (name === '--server-ip') {
      if (isIP(value) === 0 && value !== 'localhost')
        return { error: `--server-ip "${value}" is not an IP address (try 0.0.0.0 or 127.0.0.1).` };
      flags.ip = value;
    } else if (name === '--server-port') {
      const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
      if (!(port >= 0 && port <= 65535)) return { error: `--server-port "${value}" is not a port number (0-65535).` };
      flags.port = port;
    } else {
      flags.extra[name] = value;
    }
  }
  return flags;
}

/** The environment a command line is read with: `process.env` in a program, a literal in a test. */
export type Env = Record<string, string | undefined>;

/**
 * The sentence to add when the parser found an argument without a flag (`stray`), which may be a value npm kept
 * the flag of: `npm run peer --port 5005` hands `--port` to npm (which sets `npm_config_port=true`) and only
 * `5005` to the program; options for the program go after `--` (npm-run-script's documentation). `flags` are the
 * program's flag names without dashes. Empty outside `npm run`, and for an argument that is a flag.
 */
export function npmHint(stray: string, flags: string[], env: Env): string {
  const script = env.npm_lifecycle_event;
  if (script === undefined || stray.startsWith('-')) return '';
  const kept = flags.filter((flag) => env[`npm_config_${flag.replace(/-/g, '_')}`] === 'true').map((flag) => `--${flag}`);
  const options = kept.length === 1 ? `${kept[0]} ${stray}` : '<options>';
  const who = kept.length > 0 ? `npm kept ${kept.join(', ')} for itself` : 'npm keeps the options before "--" for itself';
  return ` ${who}: options for the program go after "--", as in: npm run ${script} -- ${options}`;
}

/** `npmHint` for the error of node:util `parseArgs`, which names the stray argument in quotes. */
export function parseArgsError(error: unknown, flags: string[], env: Env): string {
  const { message, code } = error as NodeJS.ErrnoException;
  const stray = code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? /'(.*)'/s.exec(message)?.[1] : undefined;
  // node's sentence has no full stop of its own: "... does not take positional arguments"
  return stray === undefined ? message : message.replace(/([^.])$/, '$1.') + npmHint(stray, flags, env);
}

/** The certificate and key `--tls-cert`/`--tls-key` name (undefined: plain HTTP); exits 2 with a sentence when wrong. */
export function tlsOrExit(extra: Record<string, string>, tag: string): TlsFiles | undefined {
  const tls = readTlsFiles(extra['--tls-cert'], extra['--tls-key']);
  if (tls === undefined || !('error' in tls)) return tls;
  console.error(`[${tag}] ${tls.error}`);
  process.exit(2);
}

/** A sentence for the errors `listen` can give, instead of a stack trace. */
export function listenFailure(error: NodeJS.ErrnoException, ip: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `Port ${port} on ${ip} is already in use; stop the other server or choose another port with --server-port.`;
    case 'EACCES':
      return `Not allowed to listen on port ${port}; ports below 1024 need administrator rights, so choose one above 1024.`;
    case 'EADDRNOTAVAIL':
      return `${ip} is not an address of this machine; use 0.0.0.0 (all interfaces) or 127.0.0.1.`;
    default:
      return `Could not listen on ${ip}:${port}: ${error.message}`;
  }
}

/** Ctrl+C or SIGTERM: stop accepting, let requests in flight finish, then exit 0. */
export function stopOnSignals(server: { close(): Promise<void> }): void {
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
