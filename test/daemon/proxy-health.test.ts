/**
 * Passive health through the proxy (nginx `max_fails`/`fail_timeout`): a backend that hangs, resets,
 * refuses or answers garbage is left out for a while, so the next requests go to a healthy one at once.
 * Real sockets, short timeouts and a fake clock for `fail_timeout`. Tests for `daemon/balancer.ts` and
 * `daemon/proxyadapter.ts` (new: WeApRous `daemon/proxy.py` had one backend and no health).
 */

import { createServer, type AddressInfo, type Socket } from 'node:net';
import { expect } from 'chai';
import { createProxy, type Proxy, type ProxyOptions } from '../../daemon/proxy';
import { parseProxyConfig } from '../../daemon/proxyconf';
import { HttpClient } from '../../daemon/client';
import { WeApRous } from '../../daemon/weaprous';
import { response } from '../../daemon/response';
import type { Backend } from '../../daemon/backend';
import { rawServer } from '../helpers/raw';

/** A port nothing listens on: connecting to it is refused. */
function closedPort(): Promise<number> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    }),
  );
}

describe("passive health of the proxy's backends (max_fails, fail_timeout)", () => {
  let healthy: Backend;
  let proxy: Proxy;
  let client: HttpClient;
  let clock: number;
  const stops: Array<() => Promise<void>> = [];

  /** A raw backend; `connections()` says how many times the proxy connected to it. */
  async function rawBackend(onSocket: (socket: Socket) => void): Promise<{ port: number; connections(): number }> {
    let count = 0;
    const raw = await rawServer((socket) => {
      count++;
      onSocket(socket);
    });
    stops.push(raw.stop);
    return { port: raw.port, connections: () => count };
  }

  async function start(ports: number[], extra = '', options: Partial<ProxyOptions> = {}): Promise<string> {
    const lines = ports.map((port) => `proxy_pass http://127.0.0.1:${port};`).join(' ');
    const config = parseProxyConfig(`host "app.test" { ${lines} ${extra} }`);
    if (config.kind === 'error') throw new Error(config.message);
    proxy = await createProxy('127.0.0.1', 0, config.hosts, { now: () => clock, ...options });
    return `http://127.0.0.1:${proxy.address().port}`;
  }

  const healthyPort = () => (healthy.server.address() as AddressInfo).port;
  const get = (url: string) => client.request(url + '/', { headers: { Host: 'app.test' } });

  beforeEach(async () => {
    clock = 1_000_000;
    const app = new WeApRous();
    app.addRoute('GET', '/', () => ({ backend: 'healthy' }));
    app.addRoute('POST', '/echo', (request) => response(200, request.body, { 'Content-Type': 'text/plain' }));
    healthy = await app.prepareAddress('127.0.0.1', 0).run({ closeGraceMs: 200 });
    client = new HttpClient({ timeoutMs: 5_000 });
  });

  afterEach(async () => {
    client.close();
    await proxy?.close();
    for (const stop of stops.splice(0)) await stop();
    await healthy.close();
  });

  it('a hung backend costs one 504; the requests after it go to the healthy backend without waiting', async () => {
    const hung = await rawBackend(() => {});
    const url = await start([hung.port, healthyPort()], '', { upstreamTimeoutMs: 200 });
    expect((await get(url)).status).to.equal(504);
    const started = Date.now();
    for (let i = 0; i < 4; i++) expect((await get(url)).json()).to.deep.equal({ backend: 'healthy' });
    expect(Date.now() - started).to.be.below(150); // not one of them waited for the 200 ms timeout
    expect(hung.connections()).to.equal(1);
  });

  it('a backend that answers garbage gets a quick 502 and is left out', async () => {
    const liar = await rawBackend((socket) => socket.once('data', () => socket.write('SSH-2.0-OpenSSH_9.6\r\n\r\n')));
    const url = await start([liar.port, healthyPort()], '', { upstreamTimeoutMs: 10_000 });
    const started = Date.now();
    expect((await get(url)).status).to.equal(502);
    expect(Date.now() - started).to.be.below(1_000);
    for (let i = 0; i < 3; i++) expect((await get(url)).json()).to.deep.equal({ backend: 'healthy' });
    expect(liar.connections()).to.equal(1);
  });

  it('a backend that resets is left out until fail_timeout has passed, then tried again', async () => {
    const resetter = await rawBackend((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const logged: string[] = [];
    const url = await start([resetter.port, healthyPort()], 'fail_timeout 3s;', { onLog: (line) => logged.push(line) });
    expect((await get(url)).json()).to.deep.equal({ backend: 'healthy' }); // a GET is sent on after a reset
    expect(logged).to.include(`backend 127.0.0.1:${resetter.port} of app.test marked down for 3000 ms`);
    for (let i = 0; i < 3; i++) await get(url);
    expect(resetter.connections()).to.equal(1);
    clock += 3_000;
    expect((await get(url)).json()).to.deep.equal({ backend: 'healthy' });
    expect(resetter.connections()).to.equal(2);
  });

  it('needs max_fails failures before leaving a backend out', async () => {
    const resetter = await rawBackend((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const url = await start([resetter.port, healthyPort()], 'max_fails 2;');
    for (let i = 0; i < 6; i++) await get(url);
    expect(resetter.connections()).to.equal(2); // the first two requests (each then sent on to the healthy one); then it was down
  });

  it('sends a request that was not sent yet (connection refused) to the next backend, a POST too', async () => {
    const url = await start([await closedPort(), healthyPort()]);
    const res = await client.request(url + '/echo', { method: 'POST', body: 'hello', headers: { Host: 'app.test' } });
    expect([res.status, res.text()]).to.deep.equal([200, 'hello']);
  });

  it('tries every backend when all are marked down, rather than answer 502 without trying', async () => {
    const first = await rawBackend((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const second = await rawBackend((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const url = await start([first.port, second.port]);
    expect((await get(url)).status).to.equal(502);
    const res = await get(url);
    expect(res.status).to.equal(502);
    expect(res.json<{ error: string }>().error).to.match(/reset the connection; .* reset the connection\.$/);
    expect([first.connections(), second.connections()]).to.deep.equal([2, 2]);
  });
});
