/**
 * HTTPS: a WeApRous app over TLS answers as it does over TCP (keep-alive, pipelining, chunked bodies), refuses
 * clients that do not trust its certificate, and `HttpClient` checks the server by CA or pinned fingerprint.
 * Tests for `daemon/tls.ts` and the `tls` option of `daemon/backend.ts` (no WeApRous twin).
 */

import { expect } from 'chai';
import { Agent, get } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { connect as connectTls } from 'node:tls';
import { createConnection } from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WeApRous } from '../../daemon/weaprous';
import { response } from '../../daemon/response';
import type { Backend } from '../../daemon/backend';
import { ClientError, HttpClient } from '../../daemon/client';
import { parseResponse, type RawResponse } from '../helpers/raw';
import { makeTestCert, type TestCert } from '../helpers/cert';
import { createProxy } from '../../daemon/proxy';
import { parseProxyConfig } from '../../daemon/proxyconf';

/** `https.get` with `ca`, resolving status, headers and body. */
function httpsGet(
  url: string,
  options: { ca?: Buffer; agent?: Agent },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca: options.ca, agent: options.agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

/** Writes `data` on one TLS connection and reads `count` whole responses back. */
function pipelined(port: number, ca: Buffer, data: string, count: number): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca }, () => socket.write(data));
    let input = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      input = Buffer.concat([input, chunk]);
      for (let parsed = parseResponse(input); parsed.kind === 'response'; parsed = parseResponse(input)) {
        responses.push(parsed.response);
        input = input.subarray(parsed.consumed);
      }
      if (responses.length === count) {
        socket.destroy();
        resolve(responses);
      }
    });
  });
}

describe('HTTPS (daemon/tls.ts)', () => {
  let cert: TestCert | null;
  let backend: Backend;
  let base: string;

  before(async function () {
    cert = makeTestCert();
    if (cert === null) {
      console.log('    (skipped: openssl is not installed, so no test certificate can be made)');
      return this.skip();
    }
    const app = new WeApRous();
    app.addRoute('GET', '/hello', () => ({ hello: 'world' }));
    app.addRoute('GET', '/later', () => new Promise((resolve) => setTimeout(() => resolve({ hello: 'later' }), 50)));
    app.addRoute('POST', '/echo', (request) => response(200, request.body, { 'Content-Type': 'text/plain' }));
    backend = await app.prepareAddress('127.0.0.1', 0).run({ tls: { cert: cert.cert, key: cert.key } });
    base = `https://127.0.0.1:${backend.address().port}`;
  });

  after(async () => {
    await backend?.close();
  });

  it('answers https.get with the CA, as over HTTP', async () => {
    const res = await httpsGet(`${base}/hello`, { ca: cert!.cert });
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.body)).to.deep.equal({ hello: 'world' });
  });

  it('keeps the TLS connection alive between requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: cert!.cert });
    let handshakes = 0;
    const count = () => handshakes++;
    backend.server.on('secureConnection', count);
    try {
      await httpsGet(`${base}/hello`, { agent });
      const second = await httpsGet(`${base}/hello`, { agent });
      expect(second.status).to.equal(200);
      expect(handshakes).to.equal(1);
    } finally {
      backend.server.off('secureConnection', count);
      agent.destroy();
    }
  });

  it('answers a client that half-closes after its request (allowHalfOpen once secure)', async () => {
    const port = backend.address().port;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connectTls({ host: '127.0.0.1', port, ca: cert!.cert }, () => socket.end('GET /later HTTP/1.1\r\nHost: x\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
    });
    expect(reply).to.match(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply).to.contain('{"hello":"later"}');
  });

  it('answers pipelined requests in order, a chunked body among them', async () => {
    const chunked = 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
    const responses = await pipelined(backend.address().port, cert!.cert, `GET /hello HTTP/1.1\r\nHost: x\r\n\r\n${chunked}`, 2);
    expect(responses.map((r) => r.status)).to.deep.equal([200, 200]);
    expect(responses[1].body.toString()).to.equal('hello world');
  });

  it('refuses a client that does not trust the certificate', async () => {
    const error = await httpsGet(`${base}/hello`, {}).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(error?.code).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('lets HttpClient in with the CA, and not without it', async () => {
    const trusting = new HttpClient({ ca: cert!.cert });
    const plain = new HttpClient();
    try {
      const res = await trusting.request(`${base}/hello`);
      expect(res.status).to.equal(200);
      const again = await trusting.request(`${base}/echo`, { body: 'over TLS' });
      expect(again.body.toString()).to.equal('over TLS');
      const error = await plain.request(`${base}/hello`).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ClientError);
      expect((error as ClientError).message).to.match(/self-signed certificate/);
    } finally {
      trusting.close();
      plain.close();
    }
  });

  it('lets HttpClient in with the pinned fingerprint, and not with another', async () => {
    const fingerprint = new X509Certificate(cert!.cert).fingerprint256;
    const pinned = new HttpClient({ fingerprint });
    const wrong = new HttpClient({ fingerprint: fingerprint.replace(/^../, fingerprint.startsWith('00') ? '11' : '00') });
    try {
      expect((await pinned.request(`${base}/hello`)).status).to.equal(200);
      const error = await wrong.request(`${base}/hello`).catch((e: unknown) => e);
      expect((error as ClientError).code).to.equal('CERT_PIN');
    } finally {
      pinned.close();
      wrong.close();
    }
  });

  it('closes within its grace while a client sits in the handshake', async () => {
    const app = new WeApRous();
    const server = await app.prepareAddress('127.0.0.1', 0).run({ tls: { cert: cert!.cert, key: cert!.key }, closeGraceMs: 200 });
    const silent = createConnection(server.address().port, '127.0.0.1');
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('connect', resolve));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).to.be.below(2_000);
    silent.destroy();
  });

  it('terminates TLS at the proxy, in front of a plain HTTP backend that hears X-Forwarded-Proto: https', async () => {
    const app = new WeApRous();
    app.addRoute('GET', '/', (request) => ({ proto: request.headers.get('x-forwarded-proto') }));
    const plain = await app.prepareAddress('127.0.0.1', 0).run();
    const config = parseProxyConfig(`host "127.0.0.1" {\n  proxy_pass http://127.0.0.1:${plain.address().port};\n}\n`, 'test.conf');
    if (config.kind === 'error') throw new Error(config.message);
    const proxy = await createProxy('127.0.0.1', 0, config.hosts, { tls: { cert: cert!.cert, key: cert!.key } });
    try {
      const res = await httpsGet(`https://127.0.0.1:${proxy.address().port}/`, { ca: cert!.cert });
      expect(JSON.parse(res.body)).to.deep.equal({ proto: 'https' });
    } finally {
      await proxy.close();
      await plain.close();
    }
  });

  it('forwards to an https:// backend it checks against proxy_ssl_trusted_certificate, and 502s one it cannot check', async () => {
    const text = `host "127.0.0.1" {\n  proxy_pass ${base};\n  proxy_ssl_trusted_certificate ca.pem;\n}\n`;
    const config = parseProxyConfig(text, 'test.conf');
    if (config.kind === 'error') throw new Error(config.message);
    const [trusting] = config.hosts;
    const doubting = structuredClone(trusting);
    trusting.backends[0].ca = cert!.cert; // what start_proxy.ts reads from the file
    for (const [hosts, status] of [
      [[trusting], 200],
      [[doubting], 502],
    ] as const) {
      const proxy = await createProxy('127.0.0.1', 0, hosts);
      const client = new HttpClient();
      try {
        const res = await client.request(`http://127.0.0.1:${proxy.address().port}/hello`);
        expect(res.status).to.equal(status);
        if (status === 502) expect(res.text()).to.include('DEPTH_ZERO_SELF_SIGNED_CERT');
      } finally {
        client.close();
        await proxy.close();
      }
    }
  });

  it('npm run cert writes a certificate and key a server starts with', async () => {
    const dir = join(dirname(cert!.certFile), 'npm-run-cert');
    execFileSync('bash', [join(__dirname, '../../scripts/cert.sh'), dir], { stdio: 'ignore' });
    const made = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
    const server = await new WeApRous()
      .addRoute('GET', '/', () => 'ok')
      .prepareAddress('127.0.0.1', 0)
      .run({ tls: made });
    try {
      expect((await httpsGet(`https://127.0.0.1:${server.address().port}/`, { ca: made.cert })).body).to.equal('ok');
    } finally {
      await server.close();
    }
  });

  it('drops a client that speaks plain HTTP to the HTTPS port', async () => {
    const error = await new HttpClient({ timeoutMs: 3_000 })
      .request(`http://127.0.0.1:${backend.address().port}/hello`)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ClientError);
  });
});
