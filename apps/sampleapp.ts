/**
 * Starts the Task 1 sample app (cookie login): reads `--server-ip`, `--server-port` (and `--tls-cert`/`--tls-key`
 * for HTTPS, `--trace`), listens, and prints one line saying where. The routes live in `apps/sampleapp/app.ts`; this file only wires.
 * Ports WeApRous `start_sampleapp.py` (argparse flags, then `app.prepare_address(ip, port)` and `app.run()`).
 * Run: `npx ts-node apps/sampleapp.ts --server-port 9000`
 */

import { listenFailure, parseServerFlags, stopOnSignals, TLS_FLAGS, TLS_USAGE, TRACE_HELP, TRACE_USAGE, tracerFor, type Env } from './cli';
import { readTlsFiles, type TlsFiles } from '../daemon/tls';
import { createSampleApp } from './sampleapp/app';

const USAGE = `Usage: ts-node apps/sampleapp.ts [--server-ip 0.0.0.0] [--server-port 9000] ${TLS_USAGE} ${TRACE_USAGE}\n${TRACE_HELP}`;

export interface SampleAppFlags {
  ip: string;
  port: number;
  /** Set by `--tls-cert`/`--tls-key`: serve HTTPS. */
  tls?: TlsFiles;
  /** `--trace`: print each request and response head (daemon/trace.ts). */
  trace?: true;
}

/** `parseFlags(['--server-port', '9001'])` → `{ ip: '0.0.0.0', port: 9001 }`; a bad flag → `{ error }`. */
export function parseFlags(argv: string[], env: Env = {}): SampleAppFlags | { error: string } | { help: true } {
  const flags = parseServerFlags(argv, { ip: '0.0.0.0', port: 9000 }, TLS_FLAGS, env);
  if (!('ip' in flags)) return flags;
  const tls = readTlsFiles(flags.extra['--tls-cert'], flags.extra['--tls-key']);
  if (tls !== undefined && 'error' in tls) return tls;
  const base: SampleAppFlags = flags.trace ? { ip: flags.ip, port: flags.port, trace: true } : { ip: flags.ip, port: flags.port };
  return tls === undefined ? base : { ...base, tls };
}

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, process.env);
  if ('help' in flags) {
    console.log(USAGE);
    return;
  }
  if ('error' in flags) {
    console.error(`[SampleApp] ${flags.error}\n${USAGE}`);
    process.exit(2);
  }
  const app = createSampleApp().prepareAddress(flags.ip, flags.port);
  try {
    const backend = await app.run({ tls: flags.tls, trace: tracerFor(flags.trace) });
    console.log(`[SampleApp] Listening on ${flags.ip}:${backend.address().port}${flags.tls ? ' (HTTPS)' : ''}`);
    stopOnSignals(backend);
  } catch (error) {
    console.error(`[SampleApp] ${listenFailure(error as NodeJS.ErrnoException, flags.ip, flags.port)}`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
