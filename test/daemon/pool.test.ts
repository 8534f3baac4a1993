/**
 * The pool of idle keep-alive connections shared by the HTTP client and the proxy, over real sockets to a
 * raw TCP server on port 0. Tests for `daemon/pool.ts` (new; WeApRous opened a connection per request).
 */

import { expect } from 'chai';
import type { Socket } from 'node:net';
import { ConnectionPool, isIdempotent, type Endpoint } from '../../daemon/pool';
import { deferred, rawServer } from '../helpers/raw';

describe('ConnectionPool', () => {
  let server: Awaited<ReturnType<typeof rawServer>> | null = null;
  let accepted: Socket[] = [];
  let pool: ConnectionPool | null = null;

  async function start(idleMs = 5_000, maxIdle = 32): Promise<Endpoint> {
    accepted = [];
    server = await rawServer((socket) => {
      socket.on('error', () => {});
      accepted.push(socket);
    });
    pool = new ConnectionPool(idleMs, maxIdle);
    return { host: '127.0.0.1', port: server.port, key: `127.0.0.1:${server.port}` };
  }

  function open(endpoint: Endpoint, timeoutMs = 2_000): Promise<Socket> {
    return new Promise((resolve, reject) => pool!.open(endpoint, timeoutMs, (error, socket) => (error ? reject(error) : resolve(socket!))));
  }

  function closed(socket: Socket): Promise<void> {
    return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
  }

  afterEach(async () => {
    pool?.close();
    pool = null;
    for (const socket of accepted) socket.destroy();
    await server?.stop();
    server = null;
  });

  it('has nothing to give before a connection is released', async () => {
    const endpoint = await start();
    expect(pool!.take(endpoint)).to.equal(null);
  });

  it('gives a released connection back for the same host:port, and only once', async () => {
    const endpoint = await start();
    const socket = await open(endpoint);
    pool!.release(endpoint, socket);
    expect(pool!.idleCount(endpoint)).to.equal(1);
    expect(pool!.take(endpoint)).to.equal(socket);
    expect(pool!.take(endpoint)).to.equal(null);
    expect(pool!.take({ ...endpoint, key: 'elsewhere:1' })).to.equal(null);
    socket.destroy();
  });

  it("takes its own listeners off a connection it gives back, and leaves net.Socket's own alone", async () => {
    const endpoint = await start();
    const socket = await open(endpoint);
    const before = ['end', 'close', 'error', 'data'].map((event) => socket.listenerCount(event));
    pool!.release(endpoint, socket);
    pool!.take(endpoint);
    expect(['end', 'close', 'error', 'data'].map((event) => socket.listenerCount(event))).to.deep.equal(before);
    socket.destroy();
  });

  it('drops an idle connection the server closes', async () => {
    const endpoint = await start();
    const socket = await open(endpoint);
    pool!.release(endpoint, socket);
    accepted[0].end();
    await closed(socket);
    expect(pool!.take(endpoint)).to.equal(null);
  });

  it('drops an idle connection that receives bytes nobody asked for (the stream is out of step)', async () => {
    const endpoint = await start();
    const socket = await open(endpoint);
    pool!.release(endpoint, socket);
    accepted[0].write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    await closed(socket);
    expect(pool!.idleCount(endpoint)).to.equal(0);
  });

  it('drops an idle connection after idleMs', async () => {
    const endpoint = await start(100);
    const socket = await open(endpoint);
    pool!.release(endpoint, socket);
    await closed(socket);
    expect(pool!.take(endpoint)).to.equal(null);
  });

  it('keeps at most maxIdlePerHost connections for one host', async () => {
    const endpoint = await start(5_000, 2);
    const sockets = [await open(endpoint), await open(endpoint), await open(endpoint)];
    for (const socket of sockets) pool!.release(endpoint, socket);
    expect(pool!.idleCount(endpoint)).to.equal(2);
    await closed(sockets[2]);
  });

  it('close() ends every idle connection and refuses those released later', async () => {
    const endpoint = await start();
    const idle = await open(endpoint);
    const busy = await open(endpoint);
    pool!.release(endpoint, idle);
    pool!.close();
    await closed(idle);
    pool!.release(endpoint, busy);
    await closed(busy);
    expect(pool!.take(endpoint)).to.equal(null);
  });

  it('reports a refused connection as an error, not a socket', async () => {
    const endpoint = await start();
    await server!.stop();
    server = null;
    const failure = deferred<NodeJS.ErrnoException>();
    pool!.open(endpoint, 2_000, (error) => failure.resolve(error as NodeJS.ErrnoException));
    expect((await failure.promise).code).to.equal('ECONNREFUSED');
  });

  it('says which methods may be sent twice (RFC 9110 §9.2.2): never a POST', () => {
    expect(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'].every(isIdempotent)).to.equal(true);
    expect(['POST', 'PATCH', 'CONNECT', 'get'].some(isIdempotent)).to.equal(false);
  });
});
