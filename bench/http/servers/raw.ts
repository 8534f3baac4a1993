/**
 * The upper bound: a node:net server that parses nothing and writes one fixed HTTP response for every
 * `\r\n\r\n` it sees (`bench/http/fixed-reply.ts`): the least an answer over node:net can cost. When the
 * servers, not the load generator, set the pace, it bounds them all and shows how much of the gap is the
 * daemon's own work. With a certificate, the same over node:tls. Not a server to copy: it would answer
 * anything. Bundled by `bench/bundle.ts`, run by plain `node`. New: no WeApRous twin.
 */

import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { countRequestEnds, replies } from '../fixed-reply';
import { serve } from '../serve';

function onConnection(socket: Socket): void {
  socket.setNoDelay(true); // as node:http and the daemon do: answers go out at once, not after Nagle's delay
  let carried = 0;
  socket.on('data', (chunk: Buffer) => {
    const ends = countRequestEnds(chunk, carried);
    carried = ends.carried;
    if (ends.count > 0) socket.write(replies(ends.count));
  });
  socket.on('error', () => socket.destroy());
}

serve(async (port, tls) => {
  const sockets = new Set<Socket>();
  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onConnection(socket);
  };
  const server = tls ? createTlsServer(tls, accept) : createServer(accept);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return { port: (server.address() as AddressInfo).port, stop };
});
