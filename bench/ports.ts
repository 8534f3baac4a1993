/**
 * Ports for the benchmarks' servers: one nothing listens on, below the kernel's range for outgoing connections.
 * Shared by the chat benchmark (`chat/cluster.ts`) and `idle.ts`. New: no WeApRous twin.
 */

import { createServer } from 'node:net';

/**
 * A port nothing listens on now, from 20000-31999: below the kernel's range for outgoing connections
 * (32768 and up), so the thousands of connections a cluster opens cannot take it before its peer listens.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    // Never the same port twice: a port handed out is free until its peer listens, which may be later.
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
}

const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}
