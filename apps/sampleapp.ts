/**
 * Starts the Task 1 sample app (cookie login): reads `--server-ip` and `--server-port`, listens, and
 * prints one line saying where. The routes live in `apps/sampleapp/app.ts`; this file only wires.
 * Ports WeApRous `start_sampleapp.py` (argparse flags, then `app.prepare_address(ip, port)` and `app.run()`).
 * Run: `npx ts-node apps/sampleapp.ts --server-port 9000`
 */

import { listenFailure, parseServerFlags, stopOnSignals } from './cli';
import { createSampleApp } from './sampleapp/app';

const USAGE = 'Usage: ts-node apps/sampleapp.ts [--server-ip 0.0.0.0] [--server-port 9000]';

export interface SampleAppFlags {
  ip: string;
  port: number;
}

/** `parseFlags(['--server-port', '9001'])` → `{ ip: '0.0.0.0', port: 9001 }`; a bad flag → `{ error }`. */
export function parseFlags(argv: string[]): SampleAppFlags | { error: string } | { help: true } {
  const flags = parseServerFlags(argv, { ip: '0.0.0.0', port: 9000 });
  return 'ip' in flags ? { ip: flags.ip, port: flags.port } : flags;
}

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
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
    const backend = await app.run();
    console.log(`[SampleApp] Listening on ${flags.ip}:${backend.address().port}`);
    stopOnSignals(backend);
  } catch (error) {
    console.error(`[SampleApp] ${listenFailure(error as NodeJS.ErrnoException, flags.ip, flags.port)}`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
