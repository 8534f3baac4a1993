/**
 * The reverse proxy end to end: real WeApRous backends and raw misbehaving ones behind `createProxy`,
 * clients over real sockets (round-robin, a killed backend, 404/408/502/504, streaming, pooling, retries),
 * then the Task 1 cookie login through it. Tests for `daemon/proxy.ts`, `proxyadapter.ts`, `upstream.ts`.
 */

import { randomBytes } from 'node:crypto';
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import { createProxy, type Proxy, type ProxyOptions } from '../../daemon/proxy';
import { parseProxyConfig, type VirtualHost } from '../../daemon/proxyconf';
import { HttpClient, parseResponseHead } from '../../daemon/client';
import { WeApRous } from '../../daemon/weaprous';
import { response, stream } from '../../daemon/response';
import type { Backend } from '../../daemon/backend';
import { rawServer } from '../helpers/raw';
import { createSampleApp } from '../../apps/sampleapp/app';

/** A backend that says its name, shows the headers it received, echoes bodies and streams a chunked reply. */
function startNamedBackend(name: string): Promise<Backend> {
  const app = new WeApRous();
  app.addRoute('GET', '/', () => ({ backend: name }));
  app.addRoute('GET', '/headers', (request) => ({ backend: name, headers: request.headers.toJSON() }));
  app.addRoute('POST', '/echo', (request) => response(200, request.body, { 'Content-Type': 'application/octet-stream' }));
  app.addRoute('GET', '/stream', () =>
    stream(
      (async function* () {
        yield 'one,';
        yield 'two';
      })(),
    ),
  );
  return app.prepareAddress('127.0.0.1', 0).run({ maxBodyBytes: 16 * 1024 * 1024, closeGraceMs: 500 });
}

/** A raw TCP backend for the misbehaving cases; `onSocket` decides what it does. `stop()` closes everything. */
async function startRawBackend(onSocket: (socket: Socket) => void): Promise<Server & { stop(): Promise<void> }> {
  const raw = await rawServer(onSocket);
  return Object.assign(raw.server, { stop: raw.stop });
}

function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}

function hosts(config: string): VirtualHost[] {
  const result = parseProxyConfig(config, 'test.conf');
  if (result.kind === 'error') throw new Error(result.message);
  return result.hosts;
}

/** Writes `pieces` one by one on a fresh connection and returns everything read until the proxy closes. */
function rawExchange(port: number, pieces: Array<string | Buffer>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 10 s; got: ${Buffer.concat(received).toString('latin1')}`));
    }, 10_000);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received).toString('latin1'));
    });
    for (const piece of pieces) socket.write(piece);
  });
}

/** Reads whole Content-Length responses off one open connection, one at a time. */
class Conversation {
  readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  closed = false;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  async next(): Promise<{ status: number; headers: Map<string, string>; body: string }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const head = parseResponseHead(this.buffer);
      if (head.kind === 'head') {
        const length = Number(head.headers.get('content-length') ?? 0);
        if (this.buffer.length >= head.headLength + length) {
          const body = this.buffer.toString('utf8', head.headLength, head.headLength + length);
          this.buffer = this.buffer.subarray(head.headLength + length);
          return { status: head.status, headers: new Map([...head.headers].map(([k, v]) => [k.toLowerCase(), v])), body };
        }
      }
      if (this.closed) throw new Error(`connection closed; unread: ${this.buffer.toString('latin1')}`);
      if (Date.now() > deadline) throw new Error('no whole response within 10 s');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('createProxy() with two real backends', () => {
  let a: Backend;
  let b: Backend;
  let proxy: Proxy;
  let client: HttpClient;
  const cleanups: Array<() => unknown> = [];

  async function start(config: string, options: Partial<ProxyOptions> = {}): Promise<string> {
    proxy = await createProxy('127.0.0.1', 0, hosts(config), options);
    return `http://127.0.0.1:${proxy.address().port}`;
  }

  beforeEach(async () => {
    a = await startNamedBackend('A');
    b = await startNamedBackend('B');
    client = new HttpClient({ timeoutMs: 15_000 });
  });

  afterEach(async () => {
    client.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await proxy?.close();
    await Promise.all([a.close(), b.close()]);
  });

  const twoBackends = (policy = 'round-robin', extra = '') => `
    host "app.test" {
      proxy_pass http://127.0.0.1:${portOf(a)};
      proxy_pass http://127.0.0.1:${portOf(b)};
      dist_policy ${policy};
      ${extra}
    }`;

  const get = async (url: string, host = 'app.test') => {
    const res = await client.request(url, { headers: { Host: host } });
    return { status: res.status, body: res.json<{ backend: string }>() };
  };

  it('sends requests to the backends in round-robin order', async () => {
    const url = await start(twoBackends());
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push((await get(url + '/')).body.backend);
    expect(names).to.deep.equal(['A', 'B', 'A', 'B']);
  });

  it('skips a backend that was killed, then answers 502 with the reason once both are down', async () => {
    const url = await start(twoBackends());
    const [portA, portB] = [portOf(a), portOf(b)];
    expect((await get(url + '/')).body.backend).to.equal('A');
    await a.close();
    for (let i = 0; i < 3; i++) expect(await get(url + '/')).to.deep.equal({ status: 200, body: { backend: 'B' } });
    await b.close();
    const res = await client.request(url + '/', { headers: { Host: 'app.test' } });
    expect(res.status).to.equal(502);
    const error = res.json<{ error: string }>().error;
    // A is marked down (max_fails 1), so B is tried first; then A anyway, rather than 502 without trying it.
    expect(error).to.equal(
      `No backend of app.test could be reached: 127.0.0.1:${portB} refused the connection; 127.0.0.1:${portA} refused the connection.`,
    );
  });

  it('answers 404 naming only the Host asked for (the configured hosts go to the log), and keeps the connection', async () => {
    const logged: string[] = [];
    const port = portOf(await start(twoBackends(), { onLog: (line) => logged.push(line) }).then(() => proxy));
    const conversation = new Conversation(port);
    cleanups.push(() => conversation.close());
    conversation.socket.write('GET / HTTP/1.1\r\nHost: nowhere.test\r\n\r\n');
    const res = await conversation.next();
    expect(res.status).to.equal(404);
    expect(JSON.parse(res.body).error).to.equal('No virtual host "nowhere.test" on this proxy.');
    expect(res.body).not.to.include('app.test');
    expect(logged).to.deep.equal(['127.0.0.1 GET / (Host: nowhere.test) -> proxy 404 (configured: app.test)']);
    conversation.socket.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect((await conversation.next()).status).to.equal(200);
  });

  it('tells the backend who the client is (X-Forwarded-*, Via) and drops hop-by-hop fields', async () => {
    const url = await start(twoBackends('round-robin', 'proxy_set_header X-Real-IP $remote_addr;'));
    const res = await client.request(url + '/headers', {
      headers: { Host: 'app.test', Connection: 'X-Hop', 'X-Hop': 'secret', 'X-Forwarded-For': '10.1.2.3' },
    });
    const seen = res.json<{ headers: Record<string, string> }>().headers;
    expect(seen['x-forwarded-for']).to.equal('10.1.2.3, 127.0.0.1');
    expect(seen['x-forwarded-host']).to.equal('app.test');
    expect(seen['x-forwarded-proto']).to.equal('http');
    expect(seen['x-real-ip']).to.equal('127.0.0.1');
    expect(seen.via).to.equal('1.1 weaprous');
    expect(seen).not.to.have.property('x-hop');
    expect(res.headers.get('via')).to.equal('1.1 weaprous');
  });

  it('streams a 5 MiB body to the backend and the 5 MiB echo back, intact', async () => {
    const url = await start(twoBackends());
    const body = randomBytes(5 * 1024 * 1024);
    const res = await client.request(url + '/echo', { method: 'POST', body, headers: { Host: 'app.test' } });
    expect(res.status).to.equal(200);
    expect(res.body.length).to.equal(body.length);
    expect(res.body.equals(body)).to.equal(true);
  });

  it('forwards a chunked request body that arrives in pieces', async () => {
    const port = portOf(await start(twoBackends()).then(() => proxy));
    const reply = await rawExchange(port, [
      'POST /echo HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      '6\r\nhello ',
      '\r\n5;ext=1\r\nworld\r',
      '\n0\r\n\r\n',
    ]);
    expect(reply).to.match(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply).to.include('Connection: close\r\n');
    expect(reply.endsWith('\r\n\r\nhello world')).to.equal(true);
  });

  it('keeps the client connection alive across requests, and answers pipelined requests in order', async () => {
    const port = portOf(await start(twoBackends()).then(() => proxy));
    const conversation = new Conversation(port);
    cleanups.push(() => conversation.close());
    conversation.socket.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect(JSON.parse((await conversation.next()).body).backend).to.equal('A');
    conversation.socket.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect(JSON.parse((await conversation.next()).body).backend).to.equal('B');
    conversation.socket.write(
      'GET / HTTP/1.1\r\nHost: app.test\r\n\r\nGET /headers HTTP/1.1\r\nHost: app.test\r\n\r\nGET /nope HTTP/1.1\r\nHost: app.test\r\n\r\n',
    );
    const replies = [await conversation.next(), await conversation.next(), await conversation.next()];
    expect(replies.map((r) => r.status)).to.deep.equal([200, 200, 404]);
    expect(JSON.parse(replies[1].body)).to.have.property('headers');
    expect(conversation.closed).to.equal(false);
  });

  it('decodes a chunked response for an HTTP/1.0 client and closes to end it', async () => {
    const port = portOf(await start(twoBackends()).then(() => proxy));
    const reply = await rawExchange(port, ['GET /stream HTTP/1.0\r\nHost: app.test\r\n\r\n']);
    expect(reply).to.match(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply).not.to.match(/transfer-encoding/i);
    expect(reply).to.include('Connection: close\r\n');
    expect(reply.endsWith('\r\n\r\none,two')).to.equal(true);
  });

  it('passes a chunked response through unchanged to an HTTP/1.1 client', async () => {
    const port = portOf(await start(twoBackends()).then(() => proxy));
    const reply = await rawExchange(port, ['GET /stream HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n']);
    expect(reply).to.include('Transfer-Encoding: chunked\r\n');
    expect(reply.endsWith('\r\n\r\n4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\n')).to.equal(true);
  });

  it("picks the virtual host of an absolute-form target by the target's host, not the Host header (RFC 9112 §3.2.2)", async () => {
    const port = portOf(
      await start(`
      host "a.test" { proxy_pass http://127.0.0.1:${portOf(a)}; }
      host "b.test" { proxy_pass http://127.0.0.1:${portOf(b)}; }`).then(() => proxy),
    );
    const reply = await rawExchange(port, ['GET http://b.test/headers HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n']);
    const seen = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    expect(seen.backend).to.equal('B');
    expect(seen.headers.host).to.equal('b.test');
  });

  it("refuses a malformed request with the parser's status, and closes", async () => {
    const port = portOf(await start(twoBackends()).then(() => proxy));
    expect(await rawExchange(port, ['GET / HTTP/1.1\nHost: app.test\n\n'])).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(await rawExchange(port, ['GET / HTTP/2.0\r\nHost: app.test\r\n\r\n'])).to.match(/^HTTP\/1\.1 505 /);
    expect(await rawExchange(port, [`GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`])).to.match(
      /^HTTP\/1\.1 431 /,
    );
  });

  it('answers CONNECT with 501 itself: a reverse proxy opens no tunnels (RFC 9110 §9.3.6)', async () => {
    const port = portOf(await start(twoBackends()).then(() => proxy));
    const reply = await rawExchange(port, ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n']);
    expect(reply).to.match(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(reply).to.include('not a forward proxy');
  });

  it('forwards a method it does not know to the backend, which is the one to judge it (RFC 9110 §9.1)', async () => {
    const port = portOf(await start(twoBackends()).then(() => proxy));
    const reply = await rawExchange(port, ['BREW / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n']);
    expect(reply).to.match(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(reply).to.include('BREW');
  });

  it('relays 100 Continue from the backend, then the body and the answer', async () => {
    const port = portOf(await start(twoBackends()).then(() => proxy));
    const conversation = new Conversation(port);
    cleanups.push(() => conversation.close());
    conversation.socket.write('POST /echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const interim = await conversation.next();
    expect(interim.status).to.equal(100);
    conversation.socket.write('hello');
    expect(await conversation.next()).to.deep.include({ status: 200, body: 'hello' });
  });

  it('answers 408 when a request head stops arriving, and closes an idle connection', async () => {
    const port = portOf(await start(twoBackends(), { headersTimeoutMs: 200, keepAliveTimeoutMs: 200 }).then(() => proxy));
    expect(await rawExchange(port, ['GET / HTTP/1.1\r\nHost: app'])).to.match(/^HTTP\/1\.1 408 /);
    const idle = new Conversation(port);
    cleanups.push(() => idle.close());
    idle.socket.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect((await idle.next()).status).to.equal(200);
    await new Promise((resolve) => idle.socket.once('close', resolve));
    expect(idle.closed).to.equal(true);
  });

  for (const [what, reply, reason] of [
    ['is not HTTP', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', 'sent an invalid response: invalid status line'],
    [
      'has two different Content-Lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'sent an invalid Content-Length',
    ],
    ['switches protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', 'tried to switch protocols'],
  ]) {
    it(`answers 502 with the reason when the backend's answer ${what}`, async () => {
      const liar = await startRawBackend((socket) => socket.once('data', () => socket.write(reply)));
      cleanups.push(() => liar.stop());
      const url = await start(`host "bad.test" { proxy_pass http://127.0.0.1:${portOf(liar)}; }`);
      const res = await client.request(url + '/', { headers: { Host: 'bad.test' } });
      expect(res.status).to.equal(502);
      expect(res.json<{ error: string }>().error).to.include(`bad.test: 127.0.0.1:${portOf(liar)} ${reason}`);
    });
  }

  it('answers 504 when the backend accepts but never answers', async () => {
    const silent = await startRawBackend(() => {});
    cleanups.push(() => silent.stop());
    const url = await start(`host "slow.test" { proxy_pass http://127.0.0.1:${portOf(silent)}; }`, { upstreamTimeoutMs: 300 });
    const res = await client.request(url + '/', { headers: { Host: 'slow.test' } });
    expect(res.status).to.equal(504);
    expect(res.json<{ error: string }>().error).to.equal(`slow.test: 127.0.0.1:${portOf(silent)} did not answer within 300 ms.`);
  });

  it('sends a GET on to the next backend when one resets the connection, but not a POST (it may have been acted on)', async () => {
    const resetter = await startRawBackend((socket) => socket.once('data', () => socket.resetAndDestroy()));
    cleanups.push(() => resetter.stop());
    // max_fails 0: the resetter stays in rotation, so the POST that follows goes to it too.
    const url = await start(
      `host "app.test" { proxy_pass http://127.0.0.1:${portOf(resetter)}; proxy_pass http://127.0.0.1:${portOf(a)}; max_fails 0; }`,
    );
    expect(await get(url + '/')).to.deep.equal({ status: 200, body: { backend: 'A' } });
    const post = await client.request(url + '/echo', { method: 'POST', body: 'x', headers: { Host: 'app.test' } });
    expect(post.status).to.equal(502);
    expect(post.json<{ error: string }>().error).to.include('reset the connection');
  });

  it('reuses one backend connection for requests that follow each other', async () => {
    let opened = 0;
    a.server.on('connection', () => opened++);
    const url = await start(`host "app.test" { proxy_pass http://127.0.0.1:${portOf(a)}; }`);
    for (let i = 0; i < 3; i++) expect(await get(url + '/')).to.deep.equal({ status: 200, body: { backend: 'A' } });
    const fresh = new HttpClient(); // a second client connection to the proxy still finds the pooled one
    cleanups.push(() => fresh.close());
    expect((await fresh.request(url + '/', { headers: { Host: 'app.test' } })).status).to.equal(200);
    expect(opened).to.equal(1);
  });

  it('sends a request again on a fresh connection when a pooled one turns out to be closed', async () => {
    // Answers the first request on each connection, then closes the connection without answering the second:
    // what a backend closing an idle keep-alive connection looks like to a proxy that just reused it.
    let connections = 0;
    const forgetful = await startRawBackend((socket) => {
      connections++;
      let answered = false;
      socket.on('data', () => {
        if (answered) return void socket.end();
        answered = true;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
    });
    cleanups.push(() => forgetful.stop());
    const url = await start(`host "app.test" { proxy_pass http://127.0.0.1:${portOf(forgetful)}; }`);
    for (const method of ['GET', 'POST']) {
      const res = await client.request(url + '/', { method, body: method === 'POST' ? 'x' : undefined, headers: { Host: 'app.test' } });
      expect([method, res.status, res.text()]).to.deep.equal([method, 200, 'ok']);
    }
    expect(connections).to.equal(2);
  });
});

describe('Task 1 cookie login through the proxy', () => {
  let app: Backend;
  let proxy: Proxy;
  let client: HttpClient;
  let url: string;

  before(async () => {
    app = await createSampleApp().prepareAddress('127.0.0.1', 0).run();
    proxy = await createProxy(
      '127.0.0.1',
      0,
      hosts(`host "127.0.0.1:8080" { proxy_pass http://127.0.0.1:${portOf(app)}; proxy_set_header Host $host; }`),
    );
    url = `http://127.0.0.1:${proxy.address().port}`;
    client = new HttpClient({ timeoutMs: 10_000 });
  });

  after(async () => {
    client.close();
    await proxy.close();
    await app.close();
  });

  // The proxy listens on a random port here, so the Host of the assignment's demo is sent explicitly.
  const host = { Host: '127.0.0.1:8080' };

  it('POST /login with the right form answers the index page and Set-Cookie: auth=true', async () => {
    const res = await client.request(url + '/login', {
      method: 'POST',
      body: 'username=admin&password=password',
      headers: { ...host, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('set-cookie')).to.match(/^auth=true; Path=\/; HttpOnly; SameSite=Lax/);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
  });

  it('GET / with the cookie serves the index; without it, the 401 page', async () => {
    const withCookie = await client.request(url + '/', { headers: { ...host, Cookie: 'auth=true' } });
    expect(withCookie.status).to.equal(200);
    expect(withCookie.headers.get('content-type')).to.match(/^text\/html/);
    const without = await client.request(url + '/', { headers: host });
    expect(without.status).to.equal(401);
    expect(without.text()).not.to.equal(withCookie.text());
  });

  it('wrong credentials give 401 and no cookie', async () => {
    const res = await client.request(url + '/login', { method: 'POST', json: { username: 'admin', password: 'nope' }, headers: host });
    expect(res.status).to.equal(401);
    expect(res.headers.get('set-cookie')).to.equal(undefined);
  });
});
