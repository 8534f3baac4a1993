/**
 * The two servers under test, one per process: `daemon` (WeApRous on node:net) or `node` (Node's own
 * node:http). Both answer `GET /` with the same 13-byte text/plain body. `bench/hello.ts` spawns this
 * file so the load generator never shares a CPU core's event loop with the server it measures.
 * Usage: node -r ts-node/register/transpile-only bench/servers.ts daemon|node [port]
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WeApRous } from '../daemon/weaprous';

export const HELLO = 'Hello, world!';

/** A message from this process to the parent, over the IPC channel `spawn(..., { stdio: [..., 'ipc'] })` opens. */
export type ServerMessage =
  | { type: 'listening'; port: number }
  | { type: 'usage'; cpu: NodeJS.CpuUsage };

/** Starts the chosen server and resolves with its port and a function that stops it. */
async function start(kind: string, port: number): Promise<{ port: number; stop: () => Promise<void> }> {
  if (kind === 'daemon') {
    const app = new WeApRous().addRoute('GET', '/', () => HELLO);
    const backend = await app.prepareAddress('127.0.0.1', port).run();
    return { port: backend.address().port, stop: () => backend.close() };
  }
  if (kind === 'node') {
    const body = Buffer.from(HELLO, 'utf8');
    const server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const stop = () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return { port: (server.address() as AddressInfo).port, stop };
  }
  throw new Error(`Unknown server "${kind}": use "daemon" or "node".`);
}

function send(message: ServerMessage): void {
  if (process.send) process.send(message);
  else if (message.type === 'listening') console.log(`listening on http://127.0.0.1:${message.port}/`);
}

async function main(): Promise<void> {
  const [kind = '', portText = '0'] = process.argv.slice(2);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`"${portText}" is not a port number; try: bench/servers.ts daemon 8000`);
    process.exit(2);
  }
  const server = await start(kind, port);
  // The parent asks for our CPU time before and after a run: a server below ~95% of one core was not the bottleneck.
  process.on('message', (message) => {
    if (message === 'usage') send({ type: 'usage', cpu: process.cpuUsage() });
  });
  // Exit through process.exit, not a signal's default action, so `--cpu-prof` gets to write its profile.
  const stop = () => void server.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
  send({ type: 'listening', port: server.port });
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
