/**
 * What `--trace` prints of one connection: its opening and closing, each request and response head with its
 * byte counts, the time and who answered, bodies cut to a line. Tests for `daemon/trace.ts` (masking: mask.test.ts).
 */

import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { bodyLine, Tracer, type ConnectionTrace } from '../../daemon/trace';
import type { Framing } from '../../daemon/framing';

/** What the tracer reads of a socket: its address, its byte counts and its 'close'. */
function fakeSocket(): Socket & EventEmitter {
  return Object.assign(new EventEmitter(), { remoteAddress: '127.0.0.1', remotePort: 40312, bytesRead: 120, bytesWritten: 300 }) as never;
}

const NONE: Framing = { kind: 'none' };

function opened(): { lines: string[]; trace: ConnectionTrace; socket: Socket & EventEmitter } {
  const lines: string[] = [];
  const socket = fakeSocket();
  const trace = new Tracer((line) => lines.push(line)).open(socket);
  return { lines, trace, socket };
}

/** The lines without their times, which vary. */
function timeless(lines: string[]): string[] {
  return lines.map((line) => line.replace(/\d+\.\d ms/, 'T ms').replace(/open \d+ ms$/, 'open T ms'));
}

describe('Tracer', () => {
  it('numbers the connections and says where each came from', () => {
    const lines: string[] = [];
    const tracer = new Tracer((line) => lines.push(line));
    tracer.open(fakeSocket());
    tracer.open(fakeSocket());
    expect(lines).to.deep.equal(['trace #1 open from 127.0.0.1:40312', 'trace #2 open from 127.0.0.1:40312']);
  });

  it('prints a request head, masked, with its size and framing, then the body on one line', () => {
    const { lines, trace } = opened();
    const head = Buffer.from('POST /login HTTP/1.1\r\nHost: a\r\nCookie: auth=true\r\nContent-Length: 24\r\n\r\n');
    trace.requestHead(head, head.length, { kind: 'length', length: 24 });
    trace.requestBody(Buffer.from('username=a&password=pw\r\n'), {});
    expect(lines.slice(1)).to.deep.equal([
      'trace #1 > POST /login HTTP/1.1',
      'trace #1 > Host: a',
      'trace #1 > Cookie: auth=***',
      'trace #1 > Content-Length: 24',
      `trace #1 > (head ${head.length} bytes, body 24 bytes)`,
      'trace #1 > body 24 bytes: username=a&password=***\\r\\n',
    ]);
  });

  it('prints a response with its sizes, the time since its request head and the route that answered', () => {
    const { lines, trace } = opened();
    const request = Buffer.from('GET /a HTTP/1.1\r\n\r\n');
    trace.requestHead(request, request.length, NONE);
    trace.requestBody(Buffer.alloc(0), { route: '/a' });
    trace.response(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    expect(timeless(lines.slice(3))).to.deep.equal([
      'trace #1 < HTTP/1.1 200 OK',
      'trace #1 < Content-Length: 2',
      'trace #1 < (head 38 bytes, body 2 bytes, T ms, route /a)',
      'trace #1 < body: hi',
    ]);
  });

  it('pairs pipelined answers with their requests in order, and says when no route answered', () => {
    const { lines, trace } = opened();
    for (const path of ['/a', '/nope']) {
      const head = Buffer.from(`GET ${path} HTTP/1.1\r\n\r\n`);
      trace.requestHead(head, head.length, NONE);
      trace.requestBody(Buffer.alloc(0), path === '/a' ? { route: '/a' } : {});
    }
    trace.response(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'));
    trace.response(Buffer.from('HTTP/1.1 404 Not Found\r\n\r\n'));
    const summaries = timeless(lines.filter((line) => line.startsWith('trace #1 < (')));
    expect(summaries).to.deep.equal([
      'trace #1 < (head 19 bytes, no body, T ms, route /a)',
      'trace #1 < (head 26 bytes, no body, T ms, no route)',
    ]);
  });

  it('keeps a request waiting after its 100 Continue, and names a refusal no request head came before', () => {
    const { lines, trace } = opened();
    const head = Buffer.from('PUT /up HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n');
    trace.requestHead(head, head.length, { kind: 'chunked' } as Framing);
    trace.responseHead(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'), null);
    trace.requestBody(Buffer.from('hello'), { route: '/up' });
    trace.response(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'));
    trace.response(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const summaries = timeless(lines.filter((line) => / [<>] \(/.test(line)));
    expect(summaries).to.deep.equal([
      `trace #1 > (head ${head.length} bytes, body chunked)`,
      'trace #1 < (head 25 bytes, no body, T ms, interim: the request goes on)',
      'trace #1 < (head 27 bytes, no body, T ms, route /up)',
      'trace #1 < (head 28 bytes, no body, refused by the server)',
    ]);
  });

  it("finds the proxy's response head among its writes and names the backend", () => {
    const { lines, trace } = opened();
    const head = Buffer.from('GET / HTTP/1.1\r\n\r\n');
    trace.requestHead(head, head.length, NONE);
    trace.answeredBy('backend 127.0.0.1:9001');
    trace.responseWrite(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'));
    trace.responseWrite(Buffer.from('HTTP/1.1 is not a head here'));
    expect(timeless(lines.slice(3))).to.deep.equal([
      'trace #1 < HTTP/1.1 200 OK',
      'trace #1 < Content-Length: 5',
      'trace #1 < (head 38 bytes, body streamed, T ms, backend 127.0.0.1:9001)',
    ]);
  });

  it('says how many requests, bytes and how long when the socket closes', () => {
    const { lines, socket } = opened();
    socket.emit('close');
    expect(timeless(lines)[1]).to.equal('trace #1 closed after 0 requests: 120 bytes in, 300 bytes out, open T ms');
  });
});

describe('bodyLine()', () => {
  it('cuts a long body to 100 characters and says how long it was', () => {
    expect(bodyLine(Buffer.from('x'.repeat(500)))).to.equal(`${'x'.repeat(100)} ... (cut; 500 bytes in all)`);
  });

  it('escapes control characters so that a body is one line', () => {
    expect(bodyLine(Buffer.from('a\nb\tc\x1b[2J'))).to.equal('a\\nb\\tc\\x1b[2J');
  });
});
