/**
 * The part every measured server process shares: read the port from the command line, start, tell the
 * parent (`bench/http/spawn.ts`) the port over the IPC channel, report CPU time when asked, stop on SIGTERM.
 * With a certificate and key after the port (`node <bundle>.js 0 cert.pem key.pem`) the server speaks HTTPS.
 * Bundled into each of `bench/http/servers/*.ts` and run by plain `node`. New: no WeApRous twin.
 */

import { readFileSync } from 'node:fs';

/** The body every server under test answers `GET /` with. */
export const HELLO = 'Hello, world!';

/** A message from a server process to the parent, over the channel `spawn(..., { stdio: [..., 'ipc'] })` opens. */
export type ServerMessage = { type: 'listening'; port: number } | { type: 'usage'; cpu: NodeJS.CpuUsage };

export interface Started {
  port: number;
  stop(): Promise<void>;
}

function send(message: ServerMessage): void {
  if (process.send) process.send(message);
  else if (message.type === 'listening') console.log(`listening on http://127.0.0.1:${message.port}/`);
}

/** The PEM certificate and key a server answers HTTPS with. */
export interface Tls {
  cert: Buffer;
  key: Buffer;
}

/** The certificate and key files named after the port, read; undefined for plain HTTP. */
function readTls(): Tls | undefined {
  const [certFile, keyFile] = process.argv.slice(3, 5);
  if (certFile === undefined || keyFile === undefined) return undefined;
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/**
 * Runs `start(port, tls)` with the port from argv (default 0, any free port), and the certificate and key when
 * given, and wires the process up.
 */
export function serve(start: (port: number, tls: Tls | undefined) => Promise<Started>): void {
  const portText = process.argv[2] ?? '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`"${portText}" is not a port number; try: node <bundle>.js 8000`);
    process.exit(2);
  }
  start(port, readTls()).then(
    (server) => {
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
    },
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
