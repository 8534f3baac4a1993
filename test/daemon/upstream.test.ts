/**
 * The proxy's backend side on its own: the pool of idle keep-alive connections (reuse, a backend closing an
 * idle one, the idle timeout) and the sentences for a backend that cannot be reached. Real sockets on port 0.
 * Tests for `daemon/upstream.ts` (new: WeApRous `daemon/proxy.py` opened a connection per request).
 */

import type { Socket } from 'node:net';
import { expect } from 'chai';
import { describeFailure, UpstreamPool } from '../../daemon/upstream';
import type { Upstream } from '../../daemon/proxyconf';
import { rawServer } from '../helpers/raw';

describe('UpstreamPool', () => {
  let backend: Upstream;
  let accepted: Socket[];
  let onAccept: (() => void) | null;
  let stop: () => Promise<void>;
  let pool: UpstreamPool;

  const open = (idleMs = 1_000): Promise<Socket> => {
    pool = new UpstreamPool(idleMs);
    return new Promise((resolve, reject) => pool.open(backend, 1_000, (error, socket) => (error ? reject(error) : resolve(socket!))));
  };

  /** The backend's side of the first connection, once the backend has accepted it. */
  const backendSide = () => new Promise<Socket>((resolve) => {
    if (accepted.length > 0) return resolve(accepted[0]);
    onAccept = () => resolve(accepted[0]);
  });

  /** Resolves once the pool's idle connection is gone (closed by either side). */
  const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

  beforeEach(async () => {
    accepted = [];
    onAccept = null;
    const raw = await rawServer((socket) => {
      accepted.push(socket);
      onAccept?.();
    });
    stop = raw.stop;
    backend = { host: '127.0.0.1', port: raw.port, key: `127.0.0.1:${raw.port}` };
  });

  afterEach(async () => {
    pool?.close();
    await stop();
  });

  it('gives a released connection back to the next take(), once', async () => {
    const socket = await open();
    pool.release(backend, socket);
    expect(pool.take(backend)).to.equal(socket);
    expect(pool.take(backend)).to.equal(null);
    socket.destroy();
  });

  it('drops an idle connection the backend closes, so it is never handed out', async () => {
    const socket = await open();
    pool.release(backend, socket);
    (await backendSide()).end();
    await closed(socket);
    expect(pool.take(backend)).to.equal(null);
  });

  it('drops an idle connection that sends bytes nobody asked for (it is out of step)', async () => {
    const socket = await open();
    pool.release(backend, socket);
    (await backendSide()).write('HTTP/1.1 200 OK\r\n');
    await closed(socket);
    expect(pool.take(backend)).to.equal(null);
  });

  it('closes an idle connection after idleMs, before the backend\'s own keep-alive timeout', async () => {
    const socket = await open(50);
    const started = Date.now();
    pool.release(backend, socket);
    await closed(socket);
    expect(Date.now() - started).to.be.at.least(40);
    expect(pool.take(backend)).to.equal(null);
  });

  it('reports a refused connection through the callback, with a sentence', async () => {
    await stop();
    pool = new UpstreamPool(1_000);
    const error = await new Promise<Error>((resolve) => pool.open(backend, 1_000, (e) => resolve(e!)));
    expect(describeFailure(error, backend)).to.equal(`${backend.key} refused the connection`);
  });
});
