/**
 * Request smuggling and header spoofing through the reverse proxy. Each test sends the attack bytes through
 * `createProxy` to a real backend, then proves that the next client's request reaches the backend intact and
 * gets its own answer. Tests for `daemon/forwarding.ts` (what is hop-by-hop, what `proxy_set_header` owns)
 * and `daemon/upstream.ts`; new, WeApRous `daemon/proxy.py` had no such tests.
 */

import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createProxy, type Proxy } from '../../daemon/proxy';
import { parseProxyConfig, type VirtualHost } from '../../daemon/proxyconf';
import { WeApRous } from '../../daemon/weaprous';
import type { Backend } from '../../daemon/backend';
import { RawConnection, rawServer } from '../helpers/raw';
import { createSampleApp } from '../../apps/sampleapp/app';

/** What the backend read: one entry per request, in order. */
interface Seen {
  line: string;
  body: string;
  headers: Record<string, string>;
}

/** The Task 1 shape: POST /login, GET /logout (what the attacker wants to smuggle), GET /profile (the victim). */
function startRecordingBackend(seen: Seen[]): Promise<Backend> {
  const app = new WeApRous();
  const record = (request: { method: string; target: string; body: Buffer; headers: { toJSON(): Record<string, string> } }) =>
    seen.push({ line: `${request.method} ${request.target}`, body: request.body.toString('latin1'), headers: request.headers.toJSON() });
  app.addRoute('POST', '/login', (request) => (record(request), { page: 'login', bodyBytes: request.body.length }));
  app.addRoute('GET', '/logout', (request) => (record(request), { page: 'logout' }));
  app.addRoute('GET', '/profile', (request) => (record(request), { page: 'profile' }));
  return app.prepareAddress('127.0.0.1', 0).run({ closeGraceMs: 200 });
}

function hosts(config: string): VirtualHost[] {
  const result = parseProxyConfig(config, 'test.conf');
  if (result.kind === 'error') throw new Error(result.message);
  return result.hosts;
}

const SMUGGLED = 'GET /logout HTTP/1.1\r\nX-Ignore: '; // 32 bytes: the backend would wait for the rest of this line

describe('the proxy against request smuggling (forwarding.ts)', () => {
  let backend: Backend;
  let proxy: Proxy;
  let seen: Seen[];
  const open: RawConnection[] = [];

  async function start(extra = ''): Promise<number> {
    const port = (backend.server.address() as AddressInfo).port;
    proxy = await createProxy('127.0.0.1', 0, hosts(`host "app.test" { proxy_pass http://127.0.0.1:${port}; ${extra} }`));
    return proxy.address().port;
  }

  async function connection(port: number): Promise<RawConnection> {
    const c = await RawConnection.open(port);
    open.push(c);
    return c;
  }

  /** A second client, on its own connection, asks for its profile: it must get exactly that. */
  async function nextClientIsUnharmed(port: number): Promise<void> {
    const victim = await connection(port);
    await victim.write('GET /profile HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const res = await victim.readOne({ timeoutMs: 3_000 });
    expect([res.status, JSON.parse(res.body.toString())]).to.deep.equal([200, { page: 'profile' }]);
    expect(seen.map((s) => s.line)).not.to.include('GET /logout');
    expect(seen[seen.length - 1].line).to.equal('GET /profile');
  }

  beforeEach(async () => {
    seen = [];
    backend = await startRecordingBackend(seen);
  });

  afterEach(async () => {
    for (const c of open.splice(0)) c.destroy();
    await proxy?.close();
    await backend.close();
  });

  for (const [what, connectionLines] of [
    ['Connection: keep-alive, Content-Length', 'Connection: keep-alive, Content-Length\r\n'],
    ['Connection: CONTENT-LENGTH (another case)', 'Connection: CONTENT-LENGTH\r\n'],
    ['Content-Length listed on a second Connection line', 'Connection: keep-alive\r\nConnection: x-a , content-length\r\n'],
  ]) {
    it(`forwards Content-Length even with ${what}, so the body is not read as a second request`, async () => {
      const port = await start();
      const attacker = await connection(port);
      await attacker.write(`POST /login HTTP/1.1\r\nHost: app.test\r\n${connectionLines}Content-Length: 32\r\n\r\n${SMUGGLED}`);
      const res = await attacker.readOne({ timeoutMs: 3_000 });
      expect(JSON.parse(res.body.toString())).to.deep.equal({ page: 'login', bodyBytes: 32 });
      expect(seen[0]).to.deep.include({ line: 'POST /login', body: SMUGGLED });
      await nextClientIsUnharmed(port);
    });
  }

  for (const listed of ['Transfer-Encoding', 'te, transfer-encoding']) {
    it(`forwards Transfer-Encoding even with Connection: ${listed}, so the chunks are not read as a request`, async () => {
      const port = await start();
      const attacker = await connection(port);
      await attacker.write(
        `POST /login HTTP/1.1\r\nHost: app.test\r\nConnection: ${listed}\r\nTE: trailers\r\n` +
          `Transfer-Encoding: chunked\r\n\r\n20\r\n${SMUGGLED}\r\n0\r\n\r\n`,
      );
      const res = await attacker.readOne({ timeoutMs: 3_000 });
      expect(JSON.parse(res.body.toString())).to.deep.equal({ page: 'login', bodyBytes: 32 });
      expect(seen[0].headers).not.to.have.property('te'); // TE itself is hop-by-hop (RFC 9110 §10.1.4)
      await nextClientIsUnharmed(port);
    });
  }

  it('forwards Host even with Connection: host (the backend would refuse a request without it)', async () => {
    const port = await start();
    const attacker = await connection(port);
    await attacker.write('GET /profile HTTP/1.1\r\nHost: app.test\r\nConnection: host\r\n\r\n');
    expect((await attacker.readOne({ timeoutMs: 3_000 })).status).to.equal(200);
    expect(seen[0].headers.host).to.equal('app.test');
    await nextClientIsUnharmed(port);
  });

  it('lets the client supply none of the fields proxy_set_header owns, nor X-Forwarded-Host/Proto', async () => {
    const port = await start('proxy_set_header X-Real-IP $remote_addr; proxy_set_header X-User "";');
    const attacker = await connection(port);
    await attacker.write(
      'GET /profile HTTP/1.1\r\nHost: app.test\r\nConnection: X-Real-IP, x-forwarded-for\r\n' +
        'x-real-ip: 6.6.6.6\r\nX-REAL-IP: 7.7.7.7\r\nX-User: admin\r\nX-Forwarded-Host: admin.internal\r\nX-Forwarded-Proto: https\r\n' +
        'X-Forwarded-For: 10.9.9.9\r\n\r\n',
    );
    expect((await attacker.readOne({ timeoutMs: 3_000 })).status).to.equal(200);
    const headers = seen[0].headers;
    expect(headers['x-real-ip']).to.equal('127.0.0.1');
    expect(headers).not.to.have.property('x-user');
    expect(headers['x-forwarded-host']).to.equal('app.test');
    expect(headers['x-forwarded-proto']).to.equal('http');
    expect(headers['x-forwarded-for']).to.equal('127.0.0.1'); // listed in Connection: the client's list is dropped
    await nextClientIsUnharmed(port);
  });
});

describe('the reported attack on the Task 1 app: logging the next client out', () => {
  let app: Backend;
  let proxy: Proxy;
  const open: RawConnection[] = [];

  before(async () => {
    app = await createSampleApp().prepareAddress('127.0.0.1', 0).run({ closeGraceMs: 200 });
    const port = (app.server.address() as AddressInfo).port;
    proxy = await createProxy(
      '127.0.0.1',
      0,
      hosts(`host "127.0.0.1:8080" { proxy_pass http://127.0.0.1:${port}; proxy_set_header Host $host; }`),
    );
  });

  after(async () => {
    for (const c of open) c.destroy();
    await proxy.close();
    await app.close();
  });

  it("POST /login with Connection: keep-alive, Content-Length cannot make the next client's GET / into GET /logout", async () => {
    for (let round = 0; round < 3; round++) {
      // "every time", the report said
      const attacker = await RawConnection.open(proxy.address().port);
      const victim = await RawConnection.open(proxy.address().port);
      open.push(attacker, victim);
      await attacker.write(
        'POST /login HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive, Content-Length\r\n' +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 32\r\n\r\n${SMUGGLED}`,
      );
      expect((await attacker.readOne({ timeoutMs: 3_000 })).status).to.equal(400); // the app read the 32 bytes: not a form
      await victim.write('GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nCookie: auth=true\r\n\r\n');
      const res = await victim.readOne({ timeoutMs: 3_000 });
      expect([res.status, res.headers['set-cookie']]).to.deep.equal([200, undefined]); // the index, still logged in
    }
  });
});

describe('the proxy against response smuggling (forwarding.ts, upstream.ts)', () => {
  let proxy: Proxy;
  let stopBackend: () => Promise<void>;
  let client: RawConnection;

  /** A raw backend that answers the n-th request it reads (on any connection) with `answers[n]`. */
  async function start(answers: string[]): Promise<void> {
    let n = 0;
    const raw = await rawServer((socket) => {
      socket.on('data', () => socket.write(answers[Math.min(n++, answers.length - 1)]));
    });
    stopBackend = raw.stop;
    proxy = await createProxy('127.0.0.1', 0, hosts(`host "app.test" { proxy_pass http://127.0.0.1:${raw.port}; }`));
    client = await RawConnection.open(proxy.address().port);
  }

  afterEach(async () => {
    client?.destroy();
    await proxy?.close();
    await stopBackend();
  });

  it('keeps a Content-Length the backend lists in Connection, and the next answer on the connection is intact', async () => {
    await start([
      'HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nfirst',
      'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond',
    ]);
    await client.write('GET /1 HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const first = await client.readOne({ timeoutMs: 3_000 });
    expect([first.headers['content-length'], first.body.toString()]).to.deep.equal(['5', 'first']);
    await client.write('GET /2 HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect((await client.readOne({ timeoutMs: 3_000 })).body.toString()).to.equal('second');
  });

  it('keeps a Transfer-Encoding the backend lists in Connection, so the client reads the chunks as a body', async () => {
    await start([
      'HTTP/1.1 200 OK\r\nConnection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond',
    ]);
    await client.write('GET /1 HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const first = await client.readOne({ timeoutMs: 3_000 });
    expect([first.framing, first.body.toString()]).to.deep.equal(['chunked', 'first']);
    await client.write('GET /2 HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect((await client.readOne({ timeoutMs: 3_000 })).body.toString()).to.equal('second');
  });

  it('strips the Content-Length and body of a 204 (RFC 9110 §15.3.5), and the next answer on the connection is intact', async () => {
    await start(['HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nXXXXX', 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond']);
    await client.write('GET /1 HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const first = await client.readOne({ timeoutMs: 3_000 });
    expect(first.status).to.equal(204);
    expect(first.headers).not.to.have.property('content-length');
    await client.write('GET /2 HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const second = await client.readOne({ timeoutMs: 3_000 });
    expect([second.status, second.body.toString()]).to.deep.equal([200, 'second']);
    expect(client.unparsed().length).to.equal(0);
  });
});
