/**
 * The HTTP/1.1 client against real sockets: a WeApRous backend for the ordinary cases, raw TCP servers
 * for the misbehaving ones (silent, garbage, cut off, closing a pooled connection).
 * Tests for `daemon/client.ts` (no WeApRous twin: the Python peers used urllib2).
 */

import { expect } from 'chai';
import type { Socket } from 'node:net';
import { rawServer } from '../helpers/raw';
import { ClientError, HttpClient, ResponseReader } from '../../daemon/client';
import { WeApRous } from '../../daemon/weaprous';
import { response } from '../../daemon/response';
import type { Backend } from '../../daemon/backend';

/**
 * Answers the first request on each connection, then drops the connection on the second without a word:
 * what a server closing an idle keep-alive connection looks like to a client that has just reused it.
 */
async function forgetfulServer() {
  let connections = 0;
  const raw = await rawServer((socket) => {
    connections++;
    let answered = false;
    socket.on('data', () => {
      if (answered) return void socket.destroy();
      answered = true;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
  });
  return { raw, connections: () => connections };
}

/** Answers each request on a connection with `reply`, once the blank line of its head has arrived. */
function replyWith(reply: string): (socket: Socket) => void {
  return (socket) => {
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
        socket.write(reply);
      }
    });
  };
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ClientError);
    return error as ClientError;
  }
  throw new Error('expected the request to fail');
}

describe('HttpClient', () => {
  let client: HttpClient;
  const cleanups: Array<() => unknown> = [];

  beforeEach(() => {
    client = new HttpClient({ timeoutMs: 10_000 });
  });

  afterEach(async () => {
    client.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  describe('against a WeApRous backend', () => {
    let backend: Backend;
    let opened: number;

    beforeEach(async () => {
      const app = new WeApRous();
      app.addRoute('GET', '/hello', () => ({ hello: 'world' }));
      app.addRoute('POST', '/echo', (request) => ({
        type: request.headers.get('content-type') ?? null,
        json: request.json ?? null,
        body: request.body.toString(),
      }));
      app.addRoute('GET', '/bytes', () => response(200, Buffer.from([0, 1, 2]), { 'X-Custom': 'yes' }));
      backend = await app.prepareAddress('127.0.0.1', 0).run({ closeGraceMs: 500 });
      opened = 0;
      backend.server.on('connection', () => opened++);
    });

    afterEach(() => backend.close());

    const url = (path: string) => `http://127.0.0.1:${backend.address().port}${path}`;

    it('GETs a JSON answer, with text(), json() and case-insensitive headers', async () => {
      const res = await client.request(url('/hello'));
      expect(res.status).to.equal(200);
      expect(res.json()).to.deep.equal({ hello: 'world' });
      expect(res.text()).to.equal('{"hello":"world"}');
      expect(res.headers.get('CONTENT-TYPE')).to.equal('application/json; charset=utf-8');
    });

    it('POSTs `json` with its Content-Type, and a `body` as it is', async () => {
      const withJson = await client.request(url('/echo'), { json: { a: 1 } });
      expect(withJson.json()).to.deep.equal({ type: 'application/json', json: { a: 1 }, body: '{"a":1}' });
      const withBody = await client.request(url('/echo'), { method: 'POST', body: 'raw text' });
      expect(withBody.json()).to.deep.equal({ type: null, json: null, body: 'raw text' });
    });

    it('returns the body as bytes', async () => {
      const res = await client.request(url('/bytes'));
      expect([...res.body]).to.deep.equal([0, 1, 2]);
      expect(res.headers.get('x-custom')).to.equal('yes');
    });

    it('keeps the connection open and reuses it for the next request', async () => {
      for (let i = 0; i < 3; i++) expect((await client.request(url('/hello'))).status).to.equal(200);
      expect(opened).to.equal(1);
    });

    it('resolves with 404 and 405 answers: they are answers, not failures', async () => {
      expect((await client.request(url('/missing'))).status).to.equal(404);
      expect((await client.request(url('/hello'), { method: 'DELETE' })).status).to.equal(405);
    });
  });

  describe('response framing', () => {
    it('decodes a chunked body and skips a 100 Continue before the answer', async () => {
      const raw = await rawServer(
        replyWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'),
      );
      cleanups.push(raw.stop);
      expect((await client.request(`http://127.0.0.1:${raw.port}/`)).text()).to.equal('abcde');
    });

    it('reads a body without length until the server closes', async () => {
      const raw = await rawServer((socket) => socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\n\r\nuntil the end')));
      cleanups.push(raw.stop);
      expect((await client.request(`http://127.0.0.1:${raw.port}/`)).text()).to.equal('until the end');
    });

    it('sends a request again on a fresh connection when the pooled one was closed by the server', async () => {
      const { raw, connections } = await forgetfulServer();
      cleanups.push(raw.stop);
      for (let i = 0; i < 2; i++) expect((await client.request(`http://127.0.0.1:${raw.port}/`)).text()).to.equal('ok');
      expect(connections()).to.equal(2);
    });

    it('does not send a POST again when the pooled connection was closed before answering (RFC 9110 §9.2.2)', async () => {
      const { raw, connections } = await forgetfulServer();
      cleanups.push(raw.stop);
      expect((await client.request(`http://127.0.0.1:${raw.port}/`, { json: { n: 1 } })).text()).to.equal('ok');
      const error = await rejection(client.request(`http://127.0.0.1:${raw.port}/`, { json: { n: 2 } }));
      expect(error.code).to.equal('ECONNRESET');
      expect(error.message).to.include('the POST was not sent again');
      expect(connections()).to.equal(1);
    });
  });

  describe('failures, each with a code and a sentence', () => {
    it('ECONNREFUSED when nothing listens', async () => {
      const raw = await rawServer(() => {});
      await raw.stop(); // a port that was just free: nothing listens there now
      const error = await rejection(client.request(`http://127.0.0.1:${raw.port}/`));
      expect(error.code).to.equal('ECONNREFUSED');
      expect(error.message).to.equal(`Connection refused by 127.0.0.1:${raw.port}`);
    });

    it('TIMEOUT when the server never answers', async () => {
      const raw = await rawServer(() => {});
      cleanups.push(raw.stop);
      const error = await rejection(client.request(`http://127.0.0.1:${raw.port}/`, { timeoutMs: 200 }));
      expect(error.code).to.equal('TIMEOUT');
      expect(error.message).to.equal(`No response from 127.0.0.1:${raw.port} within 200 ms`);
    });

    it('BAD_RESPONSE when the answer is not HTTP', async () => {
      const raw = await rawServer(replyWith('SSH-2.0-OpenSSH\r\n\r\n'));
      cleanups.push(raw.stop);
      const error = await rejection(client.request(`http://127.0.0.1:${raw.port}/`));
      expect(error.code).to.equal('BAD_RESPONSE');
      expect(error.message).to.include('invalid status line');
    });

    it('BAD_RESPONSE when a hostile server sends 100,000 interim responses before its answer', async () => {
      const raw = await rawServer(
        replyWith('HTTP/1.1 100 Continue\r\n\r\n'.repeat(100_000) + 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
      );
      cleanups.push(raw.stop);
      const error = await rejection(client.request(`http://127.0.0.1:${raw.port}/`));
      expect(error.code).to.equal('BAD_RESPONSE');
      expect(error.message).to.equal('More than 10 interim (1xx) responses');
    });

    it('reads a response head that trickles in a byte at a time', async () => {
      const answer = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Slow: ' + 'z'.repeat(2_000) + '\r\nContent-Length: 2\r\n\r\nok';
      const raw = await rawServer((socket) =>
        socket.once('data', async () => {
          for (const byte of answer) {
            if (socket.destroyed) return;
            socket.write(byte);
            await new Promise((resolve) => setImmediate(resolve));
          }
        }),
      );
      cleanups.push(raw.stop);
      const res = await client.request(`http://127.0.0.1:${raw.port}/`, { timeoutMs: 20_000 });
      expect([res.status, res.text(), res.headers.get('x-slow')?.length]).to.deep.equal([200, 'ok', 2_000]);
    });

    it('does not reuse a connection whose answer came with bytes after it (the stream is out of step)', async () => {
      let connections = 0;
      const raw = await rawServer((socket) => {
        connections++;
        replyWith('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL')(socket);
      });
      cleanups.push(raw.stop);
      const first = await client.request(`http://127.0.0.1:${raw.port}/a`);
      const second = await client.request(`http://127.0.0.1:${raw.port}/b`);
      expect([first.text(), second.text()]).to.deep.equal(['ok', 'ok']); // never the smuggled EVIL
      expect(connections).to.equal(2);
    });

    it('BAD_RESPONSE when the body is larger than maxBodyBytes', async () => {
      const raw = await rawServer(replyWith('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'));
      cleanups.push(raw.stop);
      const small = new HttpClient({ maxBodyBytes: 10 });
      cleanups.push(() => small.close());
      expect((await rejection(small.request(`http://127.0.0.1:${raw.port}/`))).code).to.equal('BAD_RESPONSE');
    });

    it('BAD_RESPONSE when the body is larger than the maxBodyBytes of that one request', async () => {
      const raw = await rawServer(replyWith('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'));
      cleanups.push(raw.stop);
      const client = new HttpClient();
      cleanups.push(() => client.close());
      const error = await rejection(client.request(`http://127.0.0.1:${raw.port}/`, { maxBodyBytes: 10 }));
      expect([error.code, error.message]).to.deep.equal(['BAD_RESPONSE', 'Response body too large']);
    });

    it('ECONNRESET when the connection closes in the middle of the body', async () => {
      const raw = await rawServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')));
      cleanups.push(raw.stop);
      const error = await rejection(client.request(`http://127.0.0.1:${raw.port}/`));
      expect(error.code).to.equal('ECONNRESET');
      expect(error.message).to.include('closed before the response was complete');
    });

    it('BAD_URL and BAD_HEADER before anything is sent', async () => {
      expect((await rejection(client.request('not a url'))).code).to.equal('BAD_URL');
      expect((await rejection(client.request('ftp://127.0.0.1/'))).code).to.equal('BAD_URL');
      const injected = client.request('http://127.0.0.1:1/', { headers: { 'X-Evil': 'a\r\nHost: other' } });
      expect((await rejection(injected)).code).to.equal('BAD_HEADER');
    });
  });

  describe('ResponseReader: a large answer in small packets', () => {
    const BODY = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < BODY.length; i++) BODY[i] = (i * 31 + (i >> 12)) & 0xff; // no run repeats: a misplaced byte shows

    /** Bytes copied by `Buffer.concat` and `Buffer#copy` while `run` runs: how the old reader grew (O(n²)), and how buffer.ts grows. */
    function bytesCopied<T>(run: () => T): { result: T; copied: number } {
      const { concat } = Buffer;
      const { copy } = Buffer.prototype;
      let copied = 0;
      Buffer.concat = (list: readonly Uint8Array[], totalLength?: number) => {
        const joined = concat(list, totalLength);
        copied += joined.length;
        return joined;
      };
      Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>) {
        const count = copy.apply(this, args);
        copied += count;
        return count;
      };
      try {
        return { result: run(), copied };
      } finally {
        Buffer.concat = concat;
        Buffer.prototype.copy = copy;
      }
    }

    /** Feeds `wire` to a new reader in `size`-byte packets; returns what the last one gave. */
    function feed(wire: Buffer, size: number): ReturnType<ResponseReader['push']> {
      const reader = new ResponseReader('GET', 32 * 1024 * 1024);
      let result: ReturnType<ResponseReader['push']> = null;
      for (let at = 0; at < wire.length; at += size) {
        expect(result).to.equal(null); // nothing before the last byte
        result = reader.push(Buffer.from(wire.subarray(at, at + size)));
      }
      return result;
    }

    it('reads a 16 MiB Content-Length body sent in 1 KiB packets, byte for byte, copying it a few times, not 8,000', () => {
      const wire = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`, 'latin1'), BODY]);
      const { result, copied } = bytesCopied(() => feed(wire, 1024));
      if (result === null || result instanceof ClientError) throw new Error(`no response: ${String(result)}`);
      expect(result.keepAlive).to.equal(true);
      expect(result.response.body.equals(BODY)).to.equal(true);
      // Each packet once, the doublings of buffer.ts (under 2x), the body into its own allocation once.
      expect(copied).to.be.below(5 * BODY.length);
    });

    it('reads a 16 MiB chunked body sent in 1 KiB packets (4 KiB chunks), byte for byte', () => {
      const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'latin1')];
      for (let at = 0; at < BODY.length; at += 4096)
        parts.push(Buffer.from('1000\r\n', 'latin1'), BODY.subarray(at, at + 4096), Buffer.from('\r\n'));
      parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
      const { result, copied } = bytesCopied(() => feed(Buffer.concat(parts), 1024));
      if (result === null || result instanceof ClientError) throw new Error(`no response: ${String(result)}`);
      expect(result.response.body.equals(BODY)).to.equal(true);
      expect(copied).to.be.below(5 * BODY.length);
    });

    it('reads a 16 MiB body that ends with the connection, sent in 1 KiB packets, byte for byte', () => {
      const reader = new ResponseReader('GET', 32 * 1024 * 1024);
      const wire = Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n', 'latin1'), BODY]);
      const { result, copied } = bytesCopied(() => {
        for (let at = 0; at < wire.length; at += 1024) expect(reader.push(Buffer.from(wire.subarray(at, at + 1024)))).to.equal(null);
        return reader.finishOnClose();
      });
      expect(result?.body.equals(BODY)).to.equal(true);
      expect(copied).to.be.below(5 * BODY.length);
    });

    it('reads the answer the same way however its bytes are split, with bytes after it telling it not to reuse the connection', () => {
      const wire = Buffer.from(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
        'latin1',
      );
      for (let size = 1; size <= wire.length; size++) {
        const result = feed(wire, size);
        if (result === null || result instanceof ClientError) throw new Error(`split ${size}: ${String(result)}`);
        expect([result.response.text(), result.keepAlive]).to.deep.equal(['abcde', true]);
      }
      const extra = feed(Buffer.concat([wire, Buffer.from('X')]), wire.length + 1);
      expect(extra !== null && !(extra instanceof ClientError) && extra.keepAlive).to.equal(false);
    });
  });
});
