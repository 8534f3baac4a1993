/**
 * The baseline: the smallest node:http server that gives the same answer as the daemon (200, the same
 * 13-byte text/plain body, Content-Length); with a certificate, the smallest node:https one. Node's parser is
 * llhttp, written in C. Bundled by `bench/bundle.ts` and run by plain `node`, exactly like the daemon.
 * New: no WeApRous twin.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { HELLO, serve } from '../serve';

serve(async (port, tls) => {
  const body = Buffer.from(HELLO, 'utf8');
  const answer = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  };
  const server = tls ? createHttpsServer(tls, answer) : createServer(answer);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { port: (server.address() as AddressInfo).port, stop };
});
