/**
 * The connection layer over real sockets: a backend on port 0 and raw TCP clients that write byte-exact
 * requests. Keep-alive, pipelining, 100-continue, limits, timeouts, errors, streaming, back-pressure and
 * closing; the framing blocks run again over TLS. Tests for `daemon/httpadapter.ts` and `daemon/backend.ts` (WeApRous `daemon/httpadapter.py`,
 * `daemon/backend.py`).
 */

import { expect } from 'chai';
import type { Socket } from 'node:net';
import { createBackend, type Backend, type BackendOptions } from '../../daemon/backend';
import { DEFAULT_ADAPTER_OPTIONS, type RequestHandler } from '../../daemon/httpadapter';
import type { Request } from '../../daemon/request';
import { response, stream, text, type Response } from '../../daemon/response';
import { deferred, RawConnection } from '../helpers/raw';
import { makeTestCert, type TestCert } from '../helpers/cert';

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

let backend: Backend | null = null;
let connections: RawConnection[] = [];
let serverSockets: Socket[] = [];
let logged: unknown[][] = [];
const consoleError = console.error;
/** What `start` serves and `open` speaks: plain TCP, or TLS with a throwaway certificate (made once, on first use). */
let transport: 'tcp' | 'tls' = 'tcp';
let cert: TestCert | null | undefined;

/** Starts a backend on 127.0.0.1:0 with `handler`; it is closed after the test. */
async function start(handler: RequestHandler, options: Partial<BackendOptions> = {}): Promise<number> {
  const tls = transport === 'tls' ? { cert: cert!.cert, key: cert!.key } : undefined;
  backend = await createBackend('127.0.0.1', 0, handler, { closeGraceMs: 2000, tls, ...options });
  backend.server.on('connection', (socket: Socket) => serverSockets.push(socket)); // over TLS, the TCP socket under it
  return backend.address().port;
}

async function open(port: number): Promise<RawConnection> {
  const connection = await RawConnection.open(port, '127.0.0.1', transport === 'tls' ? { ca: cert!.cert } : undefined);
  connections.push(connection);
  return connection;
}

/** Echoes what the parser understood, so tests can see each request arrived whole. */
function echo(request: Request): Response {
  return text(`${request.method} ${request.path} ${request.body.toString('latin1')}`);
}

/** Polls a condition that no event announces (a socket's buffer filling up); fails after 10 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function* pieces<T>(...parts: T[]): AsyncGenerator<T> {
  yield* parts;
}

/** A body whose every byte is checkable: byte i is i mod 251. */
function pattern(length: number, from = 0): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (from + i) % 251;
  return out;
}

/**
 * Runs a block about HTTP/1.1 framing (RFC 9112) over TCP, then again over TLS with the same byte-exact requests:
 * TLS only carries the bytes (RFC 9110 §4.2.2), so every answer, and every close, must be the same. The blocks that
 * count bytes on the server's socket (back-pressure, budgets, slow readers) or time the wire stay TCP-only: under TLS
 * `serverSockets` holds the encrypted TCP socket, whose counts include record headers and the handshake.
 */
function overTcpAndTls(title: string, body: () => void): void {
  for (const over of ['tcp', 'tls'] as const) {
    describe(`${title} (over ${over.toUpperCase()})`, () => {
      before(function () {
        if (over === 'tls' && cert === undefined) cert = makeTestCert();
        if (over === 'tls' && cert === null) {
          console.log('    (skipped: openssl is not installed, so no test certificate can be made)');
          this.skip();
        }
      });
      beforeEach(() => (transport = over));
      afterEach(() => (transport = 'tcp'));
      body();
    });
  }
}

describe('HttpAdapter over a socket', () => {
  beforeEach(() => {
    logged = [];
    console.error = (...args: unknown[]) => void logged.push(args); // handler errors are expected here
  });

  afterEach(async () => {
    console.error = consoleError;
    for (const connection of connections) connection.destroy();
    connections = [];
    serverSockets = [];
    if (backend) await backend.close();
    backend = null;
  });

  overTcpAndTls('keep-alive', () => {
    it('answers two requests, one after the other, on one connection', async () => {
      const connection = await open(await start(echo));
      await connection.write(GET('/one'));
      const first = await connection.readOne();
      await connection.write(GET('/two'));
      const second = await connection.readOne();
      expect([first.body.toString(), second.body.toString()]).to.deep.equal(['GET /one ', 'GET /two ']);
      expect(first.headers.connection).to.equal('keep-alive');
      expect(connection.closed).to.equal(false);
    });

    it('closes after answering HTTP/1.0 without "Connection: keep-alive"', async () => {
      const connection = await open(await start(echo));
      await connection.write('GET /old HTTP/1.0\r\n\r\n');
      const res = await connection.readOne();
      expect(res.status).to.equal(200);
      expect(res.headers.connection).to.equal('close');
      await connection.waitForClose();
    });

    it('keeps HTTP/1.0 open with "Connection: keep-alive"', async () => {
      const connection = await open(await start(echo));
      for (const path of ['/a', '/b']) {
        await connection.write(`GET ${path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`);
        const res = await connection.readOne();
        expect(res.body.toString()).to.equal(`GET ${path} `);
        expect(res.headers.connection).to.equal('keep-alive');
      }
    });

    it('closes after "Connection: close" and ignores anything sent after it', async () => {
      let calls = 0;
      const connection = await open(await start((r) => (calls++, echo(r))));
      await connection.write(GET('/last', 'Connection: close\r\n') + GET('/ignored'));
      const { responses, closed } = await connection.collect(2);
      expect(responses.map((r) => r.body.toString())).to.deep.equal(['GET /last ']);
      expect(responses[0].headers.connection).to.equal('close');
      expect(closed).to.equal(true);
      expect(calls).to.equal(1);
    });
  });

  overTcpAndTls('pipelining', () => {
    it('answers 10 requests from one write in request order, though handlers finish in reverse', async () => {
      const pending = new Map<string, ReturnType<typeof deferred<Response>>>();
      const allArrived = deferred();
      const port = await start((request) => {
        const done = deferred<Response>();
        pending.set(request.path, done);
        if (pending.size === 10) allArrived.resolve();
        return done.promise;
      });
      const connection = await open(port);
      const paths = Array.from({ length: 10 }, (_, i) => `/r${i}`);
      await connection.write(paths.map((p) => GET(p)).join(''));
      await allArrived.promise;
      for (const path of [...paths].reverse().slice(0, 9)) pending.get(path)!.resolve(text(path));
      await new Promise((resolve) => setImmediate(resolve));
      expect(connection.received).to.equal(0); // nothing may overtake the answer to /r0
      pending.get('/r0')!.resolve(text('/r0'));
      const responses = await connection.read(10);
      expect(responses.map((r) => r.body.toString())).to.deep.equal(paths);
    });

    it('mixes synchronous and asynchronous handlers in order', async () => {
      const slow = deferred();
      const port = await start(async (request) => {
        if (request.path === '/slow') await slow.promise;
        return echo(request);
      });
      const connection = await open(port);
      const chunked = 'POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n';
      await connection.write(GET('/slow') + 'POST /post HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc' + chunked + GET('/fast'));
      slow.resolve();
      const responses = await connection.read(4);
      expect(responses.map((r) => r.body.toString())).to.deep.equal(['GET /slow ', 'POST /post abc', 'POST /chunked xy', 'GET /fast ']);
    });

    it('stops reading past maxPipelined queued requests and resumes as answers go out', async () => {
      const port = await start(async (request) => echo(request), { maxPipelined: 2 });
      const connection = await open(port);
      const paths = Array.from({ length: 20 }, (_, i) => `/p${i}`);
      await connection.write(paths.map((p) => GET(p)).join(''));
      const responses = await connection.read(20);
      expect(responses.map((r) => r.body.toString())).to.deep.equal(paths.map((p) => `GET ${p} `));
    });
  });

  describe('back-pressure and memory', () => {
    for (const kind of ['synchronous', 'asynchronous']) {
      it(`stops reading pipelined requests while the client does not read (${kind} handler), then answers them all`, async () => {
        const answer = pattern(36 * 1024); // a tracker /get-list/ of about 450 peers
        let handled = 0;
        const handler = kind === 'synchronous' ? () => (handled++, response(200, answer)) : async () => (handled++, response(200, answer));
        const connection = await open(await start(handler, { maxUnsentBytes: 64 * 1024 }));
        connection.socket.pause();
        const count = 1000;
        await connection.write(GET('/get-list/').repeat(count));
        await until(() => serverSockets.length === 1 && serverSockets[0].isPaused(), 'the server to stop reading');
        await new Promise((resolve) => setTimeout(resolve, 200)); // room for a runaway loop to show itself
        // The kernel's buffers hold some answers; beyond them the server must wait, not queue 36 MB.
        const received = connection.received;
        expect(handled).to.be.below(200);
        expect(serverSockets[0].writableLength).to.be.at.most(64 * 1024 + answer.length + 1024);
        connection.socket.resume();
        const responses = await connection.read(count, { timeoutMs: 30_000 });
        expect(responses.every((r) => r.body.length === answer.length)).to.equal(true);
        expect(handled).to.equal(count);
        expect(received).to.be.below(count * answer.length);
      });
    }

    it("answers 503 with Retry-After to a new body when the bodies in progress fill the server's budget", async () => {
      const port = await start(echo, { bodyBudgetBytes: 256 * 1024, maxBodyBytes: 200 * 1024 });
      const first = await open(port);
      await first.write(`POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: ${150 * 1024}\r\n\r\nstart`);
      await until(() => serverSockets.length === 1, 'the first connection');
      const second = await open(port);
      await second.write(`POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: ${150 * 1024}\r\n\r\nstart`);
      const refused = await second.readOne();
      expect(refused.status).to.equal(503);
      expect(refused.headers['retry-after']).to.equal('5');
      await second.waitForClose();
      await first.write(Buffer.alloc(150 * 1024 - 5, 'a')); // the first body completes: its bytes go back
      expect((await first.readOne()).status).to.equal(200);
      const third = await open(port);
      await third.write(`POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello`);
      expect((await third.readOne()).body.toString()).to.equal('POST /c hello');
    });

    it("gives a closed connection's unfinished body back to the budget", async () => {
      const port = await start(echo, { bodyBudgetBytes: 100 * 1024, maxBodyBytes: 100 * 1024 });
      const first = await open(port);
      await first.write(`POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: ${90 * 1024}\r\n\r\nstart`);
      await until(() => serverSockets.length === 1, 'the first connection');
      await new Promise((resolve) => setTimeout(resolve, 50));
      first.destroy();
      await until(() => serverSockets[0].destroyed, 'the server to see the close');
      const second = await open(port);
      await second.write(`POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: ${90 * 1024}\r\n\r\n`);
      await second.write(Buffer.alloc(90 * 1024, 'b'));
      expect((await second.readOne()).status).to.equal(200);
    });
  });

  describe('what a hostile client found (review of the connection core)', () => {
    it('survives a client that leaves while a stream whose return() gives a plain object is being written', async () => {
      let cleaned = false;
      const body: AsyncIterable<string> = {
        [Symbol.asyncIterator]: () => ({
          next: async () => (await new Promise((resolve) => setTimeout(resolve, 20)), { done: false, value: 'tick\n' }),
          // Allowed by the iterator protocol, and `for await` accepts it; `.catch` on it would throw.
          return: (() => ((cleaned = true), { done: true, value: undefined })) as unknown as () => Promise<IteratorResult<string>>,
        }),
      };
      const port = await start((request) => (request.path === '/stream' ? stream(body) : echo(request)));
      const leaving = await open(port);
      await leaving.write(GET('/stream'));
      await until(() => leaving.received > 0, 'the stream to start');
      leaving.socket.resetAndDestroy();
      await until(() => cleaned, 'the producer to be told');
      const next = await open(port); // the process is still alive and serving
      await next.write(GET('/after'));
      expect((await next.readOne()).body.toString()).to.equal('GET /after ');
    });

    it('keeps pipelined bodies charged to the budget until their answers are out (503 beyond it)', async () => {
      const release = deferred();
      const port = await start(async (request) => (await release.promise, echo(request)), {
        bodyBudgetBytes: 64 * 1024,
        maxBodyBytes: 32 * 1024,
      });
      const connection = await open(port);
      const post = (i: number) => `POST /p${i} HTTP/1.1\r\nHost: a\r\nContent-Length: ${20 * 1024}\r\n\r\n${'b'.repeat(20 * 1024)}`;
      await connection.write(post(1) + post(2) + post(3) + post(4));
      await until(() => serverSockets.length === 1 && serverSockets[0].bytesRead >= 80 * 1024, 'the four bodies to arrive');
      // Three bodies of 20 KiB fit in 64 KiB while their handlers wait; the fourth does not.
      const other = await open(port);
      await other.write(post(5));
      expect((await other.readOne()).status).to.equal(503);
      release.resolve();
      const { responses } = await connection.collect(5, { timeoutMs: 5_000 });
      expect(responses.map((r) => r.status)).to.deep.equal([200, 200, 200, 503]);
      const later = await open(port); // once the answers are out, the budget is whole again
      await later.write(post(6));
      expect((await later.readOne()).status).to.equal(200);
    });

    it('sends 100 Continue only once the announced body fits the budget: over it, 503 and no 100', async () => {
      const port = await start(echo, { bodyBudgetBytes: 1024, maxBodyBytes: 1024 });
      const holder = await open(port);
      await holder.write('POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nstart');
      await until(() => serverSockets.length === 1, 'the first body');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const asker = await open(port);
      await asker.write('POST /b HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 500\r\n\r\n');
      const { responses } = await asker.collect(2);
      expect(responses.map((r) => r.status)).to.deep.equal([503]);
    });

    it('does not count the wait for a 100 Continue held back behind a slow answer as a stalled body', async () => {
      const slow = deferred();
      const port = await start((request) => (request.path === '/slow' ? slow.promise.then(() => echo(request)) : echo(request)), {
        bodyRateWindowMs: 100,
        minBodyBytes: 1,
      });
      const connection = await open(port);
      await connection.write(GET('/slow') + 'POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 400)); // several body windows pass while /slow runs
      slow.resolve();
      const [first, interim] = await connection.read(2);
      expect([first.status, interim.status]).to.deep.equal([200, 100]);
      await connection.write('hello');
      expect((await connection.readOne()).body.toString()).to.equal('POST /x hello');
    });

    it('lingers while a client is still uploading after a refusal, so it reads its 413 instead of a reset', async () => {
      const port = await start(echo, { lingerMs: 200 });
      const connection = await open(port);
      await connection.write('POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n');
      for (let i = 0; i < 30; i++) {
        // 600 ms of sending, three times lingerMs, before reading anything
        await connection.write(Buffer.alloc(16 * 1024, 'u')).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const { responses } = await connection.collect(2, { timeoutMs: 5_000 });
      expect(responses.map((r) => r.status)).to.deep.equal([413]);
    });

    it('reads no further HTTP/1.0 request until the streamed answer before it is out (it ends by closing)', async () => {
      let handled = 0;
      const port = await start((request) => (handled++, request.path === '/stream' ? stream(pieces('a', 'b')) : echo(request)));
      const connection = await open(port);
      await connection.write(
        'GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\nPOST /x HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n',
      );
      const { responses, closed } = await connection.collect(2);
      expect(responses.map((r) => r.body.toString())).to.deep.equal(['ab']);
      expect(closed).to.equal(true);
      expect(handled).to.equal(1); // the second handler never ran, so nothing it did is lost unanswered
    });

    it('answers pipelined HTTP/1.0 keep-alive requests one after another', async () => {
      const connection = await open(await start(async (request) => echo(request)));
      const get = (path: string) => `GET ${path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`;
      await connection.write(get('/1') + get('/2') + get('/3'));
      const responses = await connection.read(3);
      expect(responses.map((r) => r.body.toString())).to.deep.equal(['GET /1 ', 'GET /2 ', 'GET /3 ']);
    });

    it('writes a streamed piece of 24 MiB in slices of maxUnsentBytes, so the write timeout sees a slow reader progress', async () => {
      const big = Buffer.alloc(24 * 1024 * 1024, 'x');
      const port = await start(() => stream(pieces(big)));
      const connection = await open(port);
      connection.socket.pause();
      await connection.write(GET('/big'));
      await until(() => serverSockets.length === 1 && serverSockets[0].writableNeedDrain, 'the server socket to fill');
      // One huge write would leave 24 MiB pending, and no write would complete until a slow reader had read it all.
      expect(serverSockets[0].writableLength).to.be.at.most(DEFAULT_ADAPTER_OPTIONS.maxUnsentBytes + 64);
      // Count the bytes only: the test helper re-parsing a 24 MiB chunked body would starve the server in this process.
      connection.socket.removeAllListeners('data');
      let received = 0;
      const finished = new Promise<void>((resolve) =>
        connection.socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (chunk.subarray(-7).toString('latin1') === '\r\n0\r\n\r\n') resolve(); // the last chunk has come
        }),
      );
      connection.socket.resume();
      await finished;
      expect(received).to.be.above(big.length);
    });
  });

  overTcpAndTls('request bodies', () => {
    it('reads a chunked body that arrives over several writes', async () => {
      const connection = await open(await start(echo));
      await connection.write('POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
      await connection.write('5;ext=1\r\nhel');
      await connection.write('lo\r\n7\r\n, wor');
      await connection.write('ld\r\n0\r\nX-Trailer: t\r\n\r\n');
      const res = await connection.readOne();
      expect(res.body.toString()).to.equal('POST /upload hello, world');
    });

    it('sends "100 Continue" before the body and answers once the body has come', async () => {
      const connection = await open(await start(echo));
      await connection.write('PUT /file HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n');
      const interim = await connection.readOne();
      expect(interim.status).to.equal(100);
      await connection.write('data');
      const res = await connection.readOne();
      expect(res.status).to.equal(200);
      expect(res.body.toString()).to.equal('PUT /file data');
    });

    it('sends "100 Continue" to a chunked upload too, before any of its body has come', async () => {
      const connection = await open(await start(echo));
      await connection.write('PUT /file HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n');
      expect((await connection.readOne()).status).to.equal(100);
      await connection.write('4\r\ndata\r\n0\r\n\r\n');
      expect((await connection.readOne()).body.toString()).to.equal('PUT /file data');
    });

    it('sends "100 Continue" once the answers to earlier pipelined requests are out', async () => {
      const slow = deferred();
      const port = await start(async (r) => (r.path === '/slow' && (await slow.promise), echo(r)));
      const connection = await open(port);
      await connection.write(GET('/slow') + 'PUT /file HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n');
      slow.resolve();
      const [first, interim] = await connection.read(2);
      expect(first.body.toString()).to.equal('GET /slow ');
      expect(interim.status).to.equal(100);
      await connection.write('data');
      expect((await connection.readOne()).body.toString()).to.equal('PUT /file data');
    });

    it('answers 413 instead of 100 when the announced body is too large', async () => {
      const connection = await open(await start(echo, { maxBodyBytes: 10 }));
      await connection.write('PUT /file HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n');
      const res = await connection.readOne();
      expect(res.status).to.equal(413);
      await connection.waitForClose();
    });
  });

  overTcpAndTls('refusals: the answer, then the connection closes', () => {
    const CHUNKED = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';
    const cases: Array<[string, string, number]> = [
      ['a header block over maxHeaderBytes', GET('/', `X-Big: ${'a'.repeat(2000)}\r\n`), 431],
      ['a header block that never ends', `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(2000)}`, 431],
      ['more header fields than maxHeaderCount', GET('/', 'X: 1\r\n'.repeat(20)), 431],
      ['a Content-Length over maxBodyBytes, with no body sent', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n', 413],
      ['a chunk over maxBodyBytes, with no data sent', CHUNKED + '65\r\n', 413],
      ['chunks adding up to more than maxBodyBytes', CHUNKED + '40\r\n' + 'x'.repeat(64) + '\r\n40\r\n', 413],
      [
        'Content-Length with Transfer-Encoding',
        'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
        400,
      ],
      ['a bad chunk size', CHUNKED + 'xyz\r\n', 400],
      ['bare LF line endings', 'GET / HTTP/1.1\nHost: a\n', 400],
      ['a missing Host', 'GET / HTTP/1.1\r\n\r\n', 400],
      ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505],
      ['Transfer-Encoding: gzip, chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
      ['CONNECT (this server is no forward proxy)', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501],
      ['an unknown expectation', 'POST / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx', 417],
    ];
    for (const [what, raw, status] of cases) {
      it(`${status} for ${what}`, async () => {
        let calls = 0;
        const port = await start((r) => (calls++, echo(r)), { maxHeaderBytes: 1024, maxHeaderCount: 10, maxBodyBytes: 100 });
        const connection = await open(port);
        await connection.write(raw);
        const { responses, closed } = await connection.collect(2);
        expect(responses.map((r) => r.status)).to.deep.equal([status]);
        expect(responses[0].headers.connection).to.equal('close');
        expect(JSON.parse(responses[0].body.toString()).error).to.be.a('string');
        expect(closed).to.equal(true);
        expect(calls).to.equal(0);
      });
    }

    it('answers the good requests before a bad one in the same write, then refuses it', async () => {
      const connection = await open(await start(echo));
      await connection.write(GET('/ok') + 'GET / HTTP/9.9\r\nHost: a\r\n\r\n' + GET('/never'));
      const { responses, closed } = await connection.collect(3);
      expect(responses.map((r) => r.status)).to.deep.equal([200, 505]);
      expect(closed).to.equal(true);
    });

    it('keeps a slow answer queued before a refusal, even past lingerMs', async () => {
      const slow = deferred<Response>();
      const entered = deferred();
      const port = await start((request) => (request.path === '/slow' ? (entered.resolve(), slow.promise) : echo(request)), {
        lingerMs: 50,
      });
      const connection = await open(port);
      await connection.write(GET('/slow') + 'BAD\r\n\r\n');
      await entered.promise;
      // Let several linger periods pass while /slow is still being worked on: the timer must not cut it off.
      await new Promise((resolve) => setTimeout(resolve, 300));
      slow.resolve(text('finally'));
      const { responses, closed } = await connection.collect(3);
      expect(responses.map((r) => r.status)).to.deep.equal([200, 400]);
      expect(responses[0].body.toString()).to.equal('finally');
      expect(closed).to.equal(true);
    });
  });

  describe('timeouts', () => {
    it('answers 408 and closes when the headers stall past headersTimeoutMs', async () => {
      const connection = await open(await start(echo, { headersTimeoutMs: 200 }));
      await connection.write('GET / HTTP/1.1\r\nHost: a\r\n');
      const res = await connection.readOne();
      expect(res.status).to.equal(408);
      await connection.waitForClose();
    });

    it('answers 408 to a head that trickles in a byte at a time (slowloris): the clock runs from the first byte', async () => {
      const connection = await open(await start(echo, { headersTimeoutMs: 300 }));
      const endless = 'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ' + 'z'.repeat(10_000);
      let sent = 0;
      const drip = setInterval(() => {
        if (!connection.closed && sent < endless.length) void connection.write(endless[sent++]).catch(() => {});
      }, 20);
      try {
        const res = await connection.readOne();
        expect(res.status).to.equal(408);
        await connection.waitForClose();
      } finally {
        clearInterval(drip);
      }
    });

    it('answers 408 when a body stalls: fewer than minBodyBytes in a bodyRateWindowMs', async () => {
      const connection = await open(await start(echo, { bodyRateWindowMs: 200, minBodyBytes: 4 }));
      await connection.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc');
      const res = await connection.readOne();
      expect(res.status).to.equal(408);
      expect(res.body.toString()).to.include('stalled');
      await connection.waitForClose();
    });

    it('accepts a slow but steady upload that takes many times headersTimeoutMs', async () => {
      // The old adapter ran headersTimeoutMs over the body too: this upload got 408 after 200 ms.
      const connection = await open(await start(echo, { headersTimeoutMs: 200, bodyRateWindowMs: 200, minBodyBytes: 2 }));
      const body = 'x'.repeat(40);
      await connection.write(`POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`);
      for (const byte of body) {
        await connection.write(byte);
        await new Promise((resolve) => setTimeout(resolve, 25)); // the client's pace, 40 bytes/s
      }
      const res = await connection.readOne();
      expect(res.status).to.equal(200);
      expect(res.body.toString()).to.equal(`POST /slow ${body}`);
    });

    it('keeps the default minimum body rate below 20 bytes/s, so 1 byte every 50 ms is never a stall', () => {
      const rate = (DEFAULT_ADAPTER_OPTIONS.minBodyBytes * 1000) / DEFAULT_ADAPTER_OPTIONS.bodyRateWindowMs;
      expect(rate).to.be.below(20);
      expect(DEFAULT_ADAPTER_OPTIONS.requestTimeoutMs).to.be.at.least(60_000);
    });

    it('answers 408 when the whole request takes longer than requestTimeoutMs, however steadily it comes', async () => {
      const connection = await open(await start(echo, { requestTimeoutMs: 300, bodyRateWindowMs: 100, minBodyBytes: 1 }));
      await connection.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n');
      const drip = setInterval(() => void connection.write('y').catch(() => {}), 20);
      try {
        const res = await connection.readOne();
        expect(res.status).to.equal(408);
        expect(res.body.toString()).to.include('took longer than 300 ms');
      } finally {
        clearInterval(drip);
      }
    });

    it('cuts a connection whose client reads nothing for writeTimeoutMs, and keeps serving others', async () => {
      const big = pattern(256 * 1024);
      const port = await start(() => response(200, big), { writeTimeoutMs: 300 });
      const deaf = await open(port);
      deaf.socket.pause();
      await deaf.write(GET('/big').repeat(50));
      // A paused client never sees the close; the server's side of the socket tells.
      await until(() => serverSockets.length === 1 && serverSockets[0].destroyed, 'the server to cut the deaf client');
      const other = await open(port);
      await other.write(GET('/big'));
      expect((await other.readOne()).body.length).to.equal(big.length);
    });

    it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
      const connection = await open(await start(echo, { keepAliveTimeoutMs: 200 }));
      await connection.write(GET('/'));
      expect((await connection.readOne()).status).to.equal(200);
      await connection.waitForClose();
      expect(connection.unparsed().length).to.equal(0); // closed quietly, no 408
    });

    it('closes a connection that never sends a byte', async () => {
      const connection = await open(await start(echo, { keepAliveTimeoutMs: 200 }));
      await connection.waitForClose();
      expect(connection.received).to.equal(0);
    });
  });

  describe('handler failures', () => {
    const failing: RequestHandler = (request) => {
      if (request.path === '/throw') throw new Error('secret detail');
      if (request.path === '/reject') return Promise.reject(new Error('secret detail'));
      return text('fine');
    };

    for (const path of ['/throw', '/reject']) {
      it(`answers a handler that ${path.slice(1)}s with a generic 500, and the server keeps working`, async () => {
        const port = await start(failing);
        const first = await open(port);
        await first.write(GET(path));
        const res = await first.readOne();
        expect(res.status).to.equal(500);
        expect(JSON.parse(res.body.toString())).to.deep.equal({ status: 'error', error: 'Internal Server Error' });
        expect(logged.length).to.equal(1); // the detail goes to the log, not the client
        const second = await open(port);
        await second.write(GET('/ok'));
        expect((await second.readOne()).body.toString()).to.equal('fine');
      });
    }

    it('answers 500 instead of a header value that would inject a header', async () => {
      const port = await start(() => response(302, null, { Location: '/home\r\nSet-Cookie: admin=1' }));
      const connection = await open(port);
      await connection.write(GET('/'));
      const res = await connection.readOne();
      expect(res.status).to.equal(500);
      expect(res.headers).to.not.have.property('set-cookie');
      expect(res.headers).to.not.have.property('location');
    });

    const oddResponses: Array<[string, () => unknown]> = [
      ['no response at all (null)', () => null],
      ['a string instead of a Response', () => 'hello'],
      ['a body that is a number', () => response(200, 7 as never)],
      ['a 1xx status as the final answer', () => response(101)],
      ['a status that is not a number', () => response(NaN, 'x')],
      ['a header name with a space', () => response(200, 'x', { 'Bad Name': 'v' })],
    ];
    for (const [what, handler] of oddResponses) {
      it(`answers 500 to a handler that returns ${what}, and the server keeps working`, async () => {
        const port = await start(((request: Request) => (request.path === '/ok' ? text('fine') : handler())) as RequestHandler);
        const connection = await open(port);
        await connection.write(GET('/odd') + GET('/ok'));
        const [odd, ok] = await connection.read(2);
        expect(odd.status).to.equal(500);
        expect(JSON.parse(odd.body.toString())).to.deep.equal({ status: 'error', error: 'Internal Server Error' });
        expect(ok.body.toString()).to.equal('fine');
        expect(logged.length).to.equal(1); // what was wrong goes to the server's log
      });
    }
  });

  describe('response bodies', () => {
    it('answers HEAD with the headers GET gets, Content-Length included, and no body', async () => {
      const connection = await open(await start(() => text('twelve bytes')));
      await connection.write('HEAD / HTTP/1.1\r\nHost: a\r\n\r\n' + GET('/'));
      const [head, get] = await connection.read(2, { methods: ['HEAD', 'GET'] });
      expect(head.headers['content-length']).to.equal('12');
      expect(head.body.length).to.equal(0);
      expect(get.body.toString()).to.equal('twelve bytes'); // proves no stray body bytes came after the HEAD answer
    });

    async function* words(): AsyncGenerator<string | Buffer> {
      yield 'one ';
      yield '';
      yield Buffer.from('two ');
      yield 'three';
    }

    it('streams an AsyncIterable body with chunked framing to HTTP/1.1, then serves the next request', async () => {
      const connection = await open(await start((r) => (r.path === '/stream' ? stream(words()) : echo(r))));
      await connection.write(GET('/stream') + GET('/after'));
      const [streamed, after] = await connection.read(2);
      expect(streamed.headers['transfer-encoding']).to.equal('chunked');
      expect(streamed.framing).to.equal('chunked');
      expect(streamed.body.toString()).to.equal('one two three');
      expect(after.body.toString()).to.equal('GET /after ');
    });

    it('streams to HTTP/1.0 by writing raw bytes and closing the connection', async () => {
      const connection = await open(await start(() => stream(words())));
      await connection.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      const { responses, closed } = await connection.collect(1);
      expect(closed).to.equal(true);
      expect(responses[0].headers).to.not.have.property('transfer-encoding');
      expect(responses[0].headers.connection).to.equal('close');
      expect(responses[0].framing).to.equal('close');
      expect(responses[0].body.toString()).to.equal('one two three');
    });

    it('delivers an 8 MiB body whole to a client that reads slowly', async () => {
      const body = pattern(8 * 1024 * 1024);
      const connection = await open(await start(() => response(200, body)));
      connection.socket.pause();
      await connection.write(GET('/big'));
      await until(() => serverSockets.length === 1 && serverSockets[0].writableLength > 0, 'the server to buffer output');
      connection.socket.on('data', () => {
        connection.socket.pause(); // one read per turn of the event loop: a slow reader
        setImmediate(() => connection.socket.resume());
      });
      connection.socket.resume();
      const res = await connection.readOne({ timeoutMs: 20_000 });
      expect(res.body.length).to.equal(body.length);
      expect(res.body.equals(body)).to.equal(true);
    });

    it('cuts the connection when a stream fails midway, so the client can tell the body is incomplete', async () => {
      async function* failing(): AsyncGenerator<string> {
        yield 'partial';
        throw new Error('disk on fire');
      }
      const connection = await open(await start(() => stream(failing())));
      await connection.write(GET('/'));
      const { responses, closed } = await connection.collect(1);
      expect(responses).to.have.length(0); // never a last-chunk, so never a complete response
      expect(closed).to.equal(true);
      expect(logged).to.have.length(1);
    });

    it('cuts the connection, without crashing, when a stream cannot even start', async () => {
      const broken = {
        [Symbol.asyncIterator]: () => {
          throw new Error('no iterator today');
        },
      };
      const port = await start((r) => (r.path === '/ok' ? text('fine') : stream(broken as AsyncIterable<string>)));
      const connection = await open(port);
      await connection.write(GET('/'));
      const { responses, closed } = await connection.collect(1);
      expect(responses).to.have.length(0);
      expect(closed).to.equal(true);
      expect(logged).to.have.length(1);
      const next = await open(port);
      await next.write(GET('/ok'));
      expect((await next.readOne()).body.toString()).to.equal('fine');
    });

    it('stops the producer of a stream when the client goes away', async () => {
      const tick = deferred();
      const finished = deferred();
      let pulledAfterClose = false;
      let clientGone = false;
      async function* events(): AsyncGenerator<string> {
        try {
          yield 'event 1\n';
          await tick.promise;
          yield 'event 2\n';
          pulledAfterClose = clientGone;
          yield 'event 3\n';
        } finally {
          finished.resolve();
        }
      }
      const connection = await open(await start(() => stream(events())));
      await connection.write(GET('/events'));
      await until(() => connection.unparsed().includes('event 1'), 'the first event');
      connection.socket.resetAndDestroy(); // like a browser tab closing mid-stream: the server sees ECONNRESET
      await until(() => serverSockets.length === 1 && serverSockets[0].destroyed, 'the server to see the reset');
      clientGone = true;
      tick.resolve();
      await finished.promise;
      expect(pulledAfterClose).to.equal(false);
    });

    for (const close of [false, true]) {
      it(`does not cut off a big answer to a slow reader at the idle or linger timeout (${close ? 'Connection: close' : 'keep-alive'})`, async () => {
        const body = pattern(8 * 1024 * 1024);
        const port = await start(() => response(200, body), { keepAliveTimeoutMs: 100, lingerMs: 100 });
        const connection = await open(port);
        connection.socket.pause();
        await connection.write(GET('/big', close ? 'Connection: close\r\n' : ''));
        await until(() => serverSockets.length === 1 && serverSockets[0].writableLength > 0, 'the server to buffer output');
        // Let both timeouts pass several times over while the answer is still being written.
        await new Promise((resolve) => setTimeout(resolve, 500));
        connection.socket.resume();
        const res = await connection.readOne({ timeoutMs: 20_000 });
        expect(res.body.equals(body)).to.equal(true);
      });
    }

    it('stops pulling a streamed body while the client is not reading, and finishes when it does', async () => {
      const piece = 64 * 1024;
      const total = 128; // 8 MiB: more than the kernel's socket buffers hold
      let produced = 0;
      async function* big(): AsyncGenerator<Buffer> {
        for (let i = 0; i < total; i++) {
          produced++;
          yield pattern(piece, i * piece);
        }
      }
      const connection = await open(await start(() => stream(big())));
      connection.socket.pause();
      await connection.write(GET('/big'));
      await until(() => serverSockets.length === 1 && serverSockets[0].writableNeedDrain, 'the server socket to fill');
      expect(produced).to.be.below(total);
      connection.socket.resume();
      const res = await connection.readOne({ timeoutMs: 20_000 });
      expect(produced).to.equal(total);
      expect(res.body.equals(pattern(piece * total))).to.equal(true);
    });
  });

  describe('closing', () => {
    it('still answers after the client half-closes its side', async () => {
      const release = deferred();
      const connection = await open(await start(async (r) => (await release.promise, echo(r))));
      await connection.write(GET('/a') + GET('/b'));
      connection.end();
      await until(() => serverSockets.length === 1 && serverSockets[0].readableEnded, 'the server to see the end');
      release.resolve();
      const { responses, closed } = await connection.collect(3);
      expect(responses.map((r) => r.body.toString())).to.deep.equal(['GET /a ', 'GET /b ']);
      expect(responses[1].headers.connection).to.equal('close'); // the last answer says so
      expect(closed).to.equal(true);
    });

    it('answers every pipelined request sent before the half-close, even past maxPipelined', async () => {
      const connection = await open(await start(async (r) => echo(r), { maxPipelined: 2 }));
      const paths = Array.from({ length: 20 }, (_, i) => `/h${i}`);
      await connection.write(paths.map((p) => GET(p)).join(''));
      connection.end();
      const { responses, closed } = await connection.collect(21);
      expect(responses.map((r) => r.body.toString())).to.deep.equal(paths.map((p) => `GET ${p} `));
      expect(closed).to.equal(true);
    });

    it('createBackend() rejects with EADDRINUSE when the port is taken', async () => {
      const port = await start(echo);
      let failure: unknown = null;
      await createBackend('127.0.0.1', port, echo).then(
        (b) => b.close(),
        (error) => (failure = error),
      );
      expect(failure).to.have.property('code', 'EADDRINUSE');
    });

    it('close() lets an in-flight request finish, closes idle connections and stops accepting', async () => {
      const slow = deferred<Response>();
      const entered = deferred();
      const port = await start((request) => (request.path === '/slow' ? (entered.resolve(), slow.promise) : echo(request)));
      const idle = await open(port);
      await idle.write(GET('/quick'));
      await idle.readOne();
      const busy = await open(port);
      await busy.write(GET('/slow'));
      await entered.promise;

      const closing = backend!.close();
      backend = null;
      await idle.waitForClose();
      let refused: unknown = null;
      await RawConnection.open(port).then(
        (c) => c.destroy(),
        (error) => (refused = error),
      );
      expect(refused).to.have.property('code', 'ECONNREFUSED');

      slow.resolve(text('made it'));
      const res = await busy.readOne();
      expect(res.body.toString()).to.equal('made it');
      expect(res.headers.connection).to.equal('close');
      await busy.waitForClose();
      await closing;
    });
  });
});
