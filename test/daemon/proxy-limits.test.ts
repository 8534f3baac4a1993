/**
 * What the proxy will not wait for or hold: a client that stalls mid-body (408), pipelined requests cut by
 * a FIN (all answered first), a backend that floods 1xx answers (502), and a client that pipelines
 * thousands of requests and never reads (output bounded, then cut). Real sockets on
 * port 0 and short timeouts. Tests for `daemon/proxyadapter.ts` and `daemon/upstream.ts` (new).
 */

import { type AddressInfo, type Socket } from 'node:net';
import { expect } from 'chai';
import { createProxy, type Proxy, type ProxyOptions } from '../../daemon/proxy';
import { DEFAULT_CONNECTION_OPTIONS } from '../../daemon/timeouts';
import { parseProxyConfig } from '../../daemon/proxyconf';
import { WeApRous } from '../../daemon/weaprous';
import { response } from '../../daemon/response';
import type { Backend } from '../../daemon/backend';
import { RawConnection, rawServer } from '../helpers/raw';

/** `promise`, or a rejection naming `what` did not happen within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe("the proxy's limits (proxyadapter.ts, upstream.ts)", () => {
  let proxy: Proxy;
  let client: RawConnection;
  /** Requests the WeApRous backend has answered. */
  let served = 0;
  const stops: Array<() => Promise<void>> = [];

  async function start(backendPort: number, options: Partial<ProxyOptions> = {}): Promise<number> {
    const config = parseProxyConfig(`host "app.test" { proxy_pass http://127.0.0.1:${backendPort}; }`);
    if (config.kind === 'error') throw new Error(config.message);
    proxy = await createProxy('127.0.0.1', 0, config.hosts, options);
    client = await RawConnection.open(proxy.address().port);
    return proxy.address().port;
  }

  /** A raw backend: `onData(socket, bytes)` is called with each piece the proxy sends. */
  async function rawBackend(onData: (socket: Socket, data: Buffer) => void): Promise<number> {
    const raw = await rawServer((socket) => socket.on('data', (data: Buffer) => onData(socket, data)));
    stops.push(raw.stop);
    return raw.port;
  }

  /** A WeApRous backend that answers GET /n/:n with its number and echoes POST bodies. */
  async function appBackend(bodyBytes = 0): Promise<number> {
    const app = new WeApRous();
    app.addRoute(
      'GET',
      '/n/:n',
      (request) => (served++, response(200, `${request.params.n}${'.'.repeat(bodyBytes)}`, { 'Content-Type': 'text/plain' })),
    );
    app.addRoute('POST', '/echo', (request) => response(200, request.body, { 'Content-Type': 'text/plain' }));
    const backend: Backend = await app.prepareAddress('127.0.0.1', 0).run({ closeGraceMs: 200 });
    stops.push(() => backend.close());
    return (backend.server.address() as AddressInfo).port;
  }

  beforeEach(() => {
    served = 0;
  });

  afterEach(async () => {
    client?.destroy();
    await proxy?.close();
    for (const stop of stops.splice(0)) await stop();
  });

  it("answers every pipelined request before the client's FIN closes the connection (RFC 9112 §9.6)", async () => {
    await start(await appBackend());
    await client.write(
      'GET /n/1 HTTP/1.1\r\nHost: app.test\r\n\r\nGET /n/2 HTTP/1.1\r\nHost: app.test\r\n\r\nGET /n/3 HTTP/1.1\r\nHost: app.test\r\n\r\n',
    );
    client.end();
    const { responses, closed } = await client.collect(4, { timeoutMs: 3_000 });
    expect(responses.map((r) => [r.status, r.body.toString()])).to.deep.equal([
      [200, '1'],
      [200, '2'],
      [200, '3'],
    ]);
    expect(closed).to.equal(true);
  });

  it('answers 408 to a client that stalls mid-body, not 504 (the backend is waiting for the client)', async () => {
    await start(await appBackend(), { bodyRateWindowMs: 200, minBodyBytes: 1, upstreamTimeoutMs: 100 });
    await client.write('POST /echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\nhalf');
    expect((await client.readOne({ timeoutMs: 3_000 })).status).to.equal(408);
    await client.waitForClose(3_000);
  });

  it('gives a slow but steady body all the time it needs, many times the headers timeout', async () => {
    await start(await appBackend(), { headersTimeoutMs: 200, bodyRateWindowMs: 300, minBodyBytes: 1 });
    await client.write('POST /echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\n\r\n');
    for (const piece of ['a', 'b', 'c', 'd']) {
      await new Promise((resolve) => setTimeout(resolve, 150)); // the point of this test is the pace
      await client.write(piece);
    }
    const res = await client.readOne({ timeoutMs: 3_000 });
    expect([res.status, res.body.toString()]).to.deep.equal([200, 'abcd']);
  });

  it('passes on one 100 Continue of many, and answers 502 after more than 10 interim responses', async () => {
    const port = await rawBackend((socket) =>
      socket.write('HTTP/1.1 100 Continue\r\n\r\n'.repeat(5_000) + 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
    );
    await start(port);
    await client.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const [interim, final] = await client.read(2, { timeoutMs: 3_000 });
    expect([interim.status, final.status]).to.deep.equal([100, 502]);
    expect(JSON.parse(final.body.toString()).error).to.include('sent more than 10 interim (1xx) responses');
  });

  it('passes on a few interim responses, without their Content-Length, then the answer', async () => {
    const port = await rawBackend((socket) =>
      socket.write(
        'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nContent-Length: 3\r\n\r\n'.repeat(3) +
          'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      ),
    );
    await start(port);
    await client.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const responses = await client.read(5, { timeoutMs: 3_000 });
    expect(responses.map((r) => r.status)).to.deep.equal([103, 103, 103, 100, 200]);
    expect(responses[0].headers).not.to.have.property('content-length');
    expect(responses[4].body.toString()).to.equal('ok');
  });

  it('passes no interim response to an HTTP/1.0 client, which would not know one (RFC 9110 §15.2)', async () => {
    await start(
      await rawBackend((socket) =>
        socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
      ),
    );
    await client.write('GET / HTTP/1.0\r\nHost: app.test\r\n\r\n');
    const { responses, closed } = await client.collect(2, { timeoutMs: 3_000 });
    expect(responses.map((r) => [r.status, r.body.toString()])).to.deep.equal([[200, 'ok']]);
    expect(closed).to.equal(true);
  });

  it('cuts a client that stops reading a large answer after writeTimeoutMs, and does not blame the backend', async () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    const port = await rawBackend((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length * 32}\r\n\r\n`);
      for (let i = 0; i < 32; i++) socket.write(big); // 32 MB, more than the sockets between us can hold
    });
    const logged: string[] = [];
    let cut!: () => void;
    const wasCut = new Promise<void>((resolve) => (cut = resolve));
    const onLog = (line: string) => {
      logged.push(line);
      if (line.includes('read nothing')) cut();
    };
    await start(port, { writeTimeoutMs: 300, upstreamTimeoutMs: 100, onLog });
    client.socket.pause(); // reads nothing
    await client.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const started = Date.now();
    await within(wasCut, 3_000, 'the write timeout');
    expect(Date.now() - started).to.be.at.least(250);
    expect(logged.join('\n')).not.to.match(/marked down|504/);
  });

  it('holds a bounded output for a client that pipelines 2,000 requests and reads none, and cuts it after the write timeout', async () => {
    const port = await appBackend(10_000); // 2,000 answers of 10 KB: 20 MB if they were all queued
    await start(port, { writeTimeoutMs: 500 });
    const proxySide = new Promise<Socket>((resolve) => proxy.server.once('connection', resolve));
    const greedy = await RawConnection.open(proxy.address().port);
    greedy.socket.pause(); // reads nothing
    const socket = await proxySide;
    const cut = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, socket.writableLength)), 5);
    const started = Date.now();
    // 1 KB each, 2 MB in all: the proxy must not read them much faster than it answers them.
    const request = (i: number) => `GET /n/${i} HTTP/1.1\r\nHost: app.test\r\nX-Pad: ${'p'.repeat(1_000)}\r\n\r\n`;
    greedy.socket.write(Array.from({ length: 2_000 }, (_, i) => request(i)).join(''));
    const closedAt = await within(cut, 5_000, 'the write timeout').finally(() => clearInterval(sampler));
    greedy.destroy();
    // The kernel's socket buffers take a few MB; beyond them we keep one answer past the high-water mark at most.
    expect(most)
      .to.be.above(0)
      .and.below(DEFAULT_CONNECTION_OPTIONS.maxUnsentBytes + 16 * 1024);
    // Not before the write timeout; `within` above already failed it had it never come (no upper bound on a busy machine).
    expect(closedAt - started).to.be.at.least(500);
    // Read but not answered: what waits in the proxy's input buffer (a head's worth) and Node's (a read or two).
    expect(served).to.be.below(2_000);
    expect(socket.bytesRead - served * request(served).length).to.be.below(256 * 1024);
  });

  it('gives a backend its whole timeout again after the proxy held it back for a slow client, then gives up on it', async () => {
    // The backend promises 100 MB, sends 8 MB and goes quiet. The client reads nothing for 1.5 s, then everything.
    const port = await rawBackend((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n');
      socket.write(Buffer.alloc(8 * 1024 * 1024, 0x61));
    });
    await start(port, { upstreamTimeoutMs: 500 });
    client.socket.pause();
    await client.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the point of this test is the pause
    client.socket.resume();
    // Before the fix the backend's timeout was spent while paused and never restarted: the connection hung.
    await client.waitForClose(5_000);
    expect(client.received)
      .to.be.above(1024 * 1024)
      .and.below(100_000_000);
  });

  it('never sends a POST twice: it goes on a fresh backend connection, not a pooled one that may be closing', async () => {
    const seen: string[] = [];
    let connections = 0;
    const port = await rawBackend((socket, data) => {
      const text = data.toString('latin1');
      const id = ((socket as Socket & { id?: number }).id ??= ++connections);
      seen.push(`${id} ${text.slice(0, text.indexOf(' /'))}`);
      // The second request on a connection is read, then the connection dies without an answer.
      if (seen.filter((line) => line.startsWith(`${id} `)).length >= 2) return void socket.destroy();
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    await start(port);
    await client.write('GET /first HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect((await client.readOne()).status).to.equal(200); // that connection is now in the pool
    await client.write('POST /once HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3\r\n\r\nabc');
    expect((await client.readOne()).status).to.equal(200);
    expect(seen.filter((line) => line.endsWith('POST'))).to.have.length(1);
  });
});
