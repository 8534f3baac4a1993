/**
 * Starts a tiny WeApRous backend that says which address answered, so the proxy's round-robin is visible:
 * `GET /` answers `{"backend":"127.0.0.1:9001",...}`, `POST /echo` sends the body back.
 * Ports WeApRous `start_backend.py` (argparse flags, then `create_backend(ip, port, routes)`).
 * Run: `npx ts-node start_backend.ts` (port 9001), or `npm run backend -- --server-port 9002` for a second one
 */

import { WeApRous } from './daemon/weaprous';
import { response, type Response } from './daemon/response';
import type { Request } from './daemon/request';
import {
  listenFailure,
  parseServerFlags,
  stopOnSignals,
  TLS_FLAGS,
  TLS_USAGE,
  tlsOrExit,
  TRACE_HELP,
  TRACE_USAGE,
  tracerFor,
} from './apps/cli';

/** Port 9001 lives here, not in package.json, so `npm run backend -- --server-port 9002` passes one port, the user's. */
export const BACKEND_DEFAULTS = { ip: '0.0.0.0', port: 9001 };
const USAGE = `Usage: ts-node start_backend.ts [--server-ip ${BACKEND_DEFAULTS.ip}] [--server-port ${BACKEND_DEFAULTS.port}] ${TLS_USAGE} ${TRACE_USAGE}\n${TRACE_HELP}`;

/** The demo backend; `name` is what it reports as "backend" (its address). */
export function createDemoBackend(name: string): WeApRous {
  const app = new WeApRous();
  app.addRoute('GET', '/', (request: Request) => ({
    backend: name,
    method: request.method,
    path: request.path,
    host: request.headers.get('host') ?? null,
    forwardedFor: request.headers.get('x-forwarded-for') ?? null,
  }));
  app.addRoute('POST', '/echo', (request: Request): Response =>
    response(200, request.body, { 'Content-Type': request.headers.get('content-type') ?? 'application/octet-stream' }),
  );
  return app;
}

async function main(argv: string[]): Promise<void> {
  const flags = parseServerFlags(argv, BACKEND_DEFAULTS, TLS_FLAGS, process.env);
  if ('help' in flags) return console.log(USAGE);
  if ('error' in flags) {
    console.error(`[Backend] ${flags.error}\n${USAGE}`);
    process.exit(2);
  }
  const tls = tlsOrExit(flags.extra, 'Backend');
  const app = createDemoBackend(`${flags.ip === '0.0.0.0' ? '127.0.0.1' : flags.ip}:${flags.port}`);
  try {
    // 64 MiB so large bodies can be echoed through the proxy; the framework's default is 1 MiB.
    const backend = await app
      .prepareAddress(flags.ip, flags.port)
      .run({ maxBodyBytes: 64 * 1024 * 1024, tls, trace: tracerFor(flags.trace) });
    console.log(`[Backend] Listening on ${flags.ip}:${backend.address().port}${tls ? ' (HTTPS)' : ''}`);
    stopOnSignals(backend);
  } catch (error) {
    console.error(`[Backend] ${listenFailure(error as NodeJS.ErrnoException, flags.ip, flags.port)}`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
