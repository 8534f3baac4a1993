/**
 * The baseline: the smallest node:http server that gives the same answer as the daemon (200, the same
 * 13-byte text/plain body, Content-Length). Node's parser is llhttp, written in C. Bundled by
 * `bench/bundle.ts` and run by plain `node`, exactly like the daemon. New: no WeApRous twin.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HELLO, serve } from '../serve';

serve(async (port) => {
  const body = Buffer.from(HELLO, 'utf8');
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { port: (server.address() as AddressInfo).port, stop };
});
