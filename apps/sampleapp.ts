/**
 * Starts the Task 1 sample app (cookie login): reads `--server-ip` and `--server-port`, listens, and
 * prints one line saying where. The routes live in `apps/sampleapp/app.ts`; this file only wires.
 * Ports WeApRous `start_sampleapp.py` (argparse flags, then `app.prepare_address(ip, port)` and `app.run()`).
 * Run: `npx ts-node apps/sampleapp.ts --server-port 9000`
 */

import { isIP } from 'node:net';
import { createSampleApp } from './sampleapp/app';

const USAGE = 'Usage: ts-node apps/sampleapp.ts [--server-ip 0.0.0.0] [--server-port 9000]';

export interface SampleAppFlags {
  ip: string;
  port: number;
}

/** `parseFlags(['--server-port', '9001'])` → `{ ip: '0.0.0.0', port: 9001 }`; a bad flag → `{ error }`. */
export function parseFlags(argv: string[]): SampleAppFlags | { error: string } | { help: true } {
  const flags: SampleAppFlags = { ip: '0.0.0.0', port: 9000 };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    if (name === '--help' || name === '-h') return { help: true };
    if (name !== '--server-ip' && name !== '--server-port') return { error: `Unknown option "${argv[i]}".` };
    const value = inline ?? argv[++i];
    if (value === undefined) return { error: `${name} needs a value.` };
    if (name === '--server-ip') {
      if (isIP(value) === 0 && value !== 'localhost') return { error: `--server-ip "${value}" is not an IP address (try 0.0.0.0 or 127.0.0.1).` };
      flags.ip = value;
    } else {
      const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
      if (!(port >= 0 && port <= 65535)) return { error: `--server-port "${value}" is not a port number (0-65535).` };
      flags.port = port;
    }
  }
  return flags;
}

/** A sentence for the errors `listen` can give, instead of a stack trace. */
function listenFailure(error: NodeJS.ErrnoException, ip: string, port: number): string {
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
    const stop = () => void backend.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(`[SampleApp] ${listenFailure(error as NodeJS.ErrnoException, flags.ip, flags.port)}`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
