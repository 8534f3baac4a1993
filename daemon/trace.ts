/**
 * `--trace`: every request and response head as it crosses a connection's socket, like `curl -v` seen from the
 * server's side: the connection's number, byte counts, how long the answer took and who gave it (a route, or
 * the proxy's backend), a body cut to one line, secrets masked (mask.ts). The adapters call it only when a
 * `Tracer` was given (`run({ trace })`), so nothing here costs anything otherwise. New; no WeApRous twin.
 */

import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Framing } from './framing';
import { maskBody, maskHead } from './mask';

/** How much of a body is shown: one line of a terminal. */
const BODY_CHARS = 100;

/** Numbers the connections of a server (or of several) and writes their lines with `write`. */
export class Tracer {
  private next = 1;

  constructor(private readonly write: (line: string) => void) {}

  /** A connection was accepted: `trace #3 open from 127.0.0.1:40312`; its close line follows by itself. */
  open(socket: Socket): ConnectionTrace {
    const trace = new ConnectionTrace(this.next++, this.write);
    this.write(`${trace.tag} open from ${socket.remoteAddress}:${socket.remotePort}`);
    socket.once('close', () => trace.closed(socket.bytesRead, socket.bytesWritten));
    return trace;
  }
}

/** A request read whose answer has not gone out yet: when its head arrived, and who is answering it. */
interface Pending {
  at: number;
  by?: { route?: string };
  who?: string;
}

/** The lines of one connection; requests are answered in order, so the oldest pending one is the one answered. */
export class ConnectionTrace {
  readonly tag: string;
  private readonly pending: Pending[] = [];
  private readonly openedAt = performance.now();
  private requests = 0;
  /** The proxy: the next head written to the client is a response head (`responseWrite`). */
  private awaitingHead = false;

  constructor(
    readonly id: number,
    private readonly write: (line: string) => void,
  ) {
    this.tag = `trace #${id}`;
  }

  /** The request head at the start of `bytes` has been parsed (`headLength` bytes, its body framed as `framing`). */
  requestHead(bytes: Buffer, headLength: number, framing: Framing): void {
    this.requests++;
    this.pending.push({ at: performance.now() });
    this.awaitingHead = true;
    this.lines('>', maskHead(bytes.toString('latin1', 0, headLength)));
    this.write(`${this.tag} > (head ${headLength} bytes, ${describeFraming(framing)})`);
  }

  /** The request's body has arrived whole; `answeredBy` is the request the app fills `route` in. */
  requestBody(body: Buffer, answeredBy: { route?: string }): void {
    const last = this.pending[this.pending.length - 1];
    if (last) last.by = answeredBy;
    if (body.length > 0) this.write(`${this.tag} > body ${body.length} bytes: ${bodyLine(body)}`);
  }

  /** Who answers the oldest pending request, when it is not a route: `backend 127.0.0.1:9001`. */
  answeredBy(who: string): void {
    if (this.pending[0]) this.pending[0].who = who;
  }

  /**
   * A response head has been written (`head`, its bytes), with its body in memory, or `streamed` (written piece
   * by piece after it), or none. A 1xx interim response leaves its request pending (RFC 9110 §15.2).
   */
  responseHead(head: Buffer, body: Buffer | 'streamed' | null): void {
    const lines = maskHead(head.toString('latin1'));
    const interim = / 1\d\d\b/.test(lines[0] ?? '');
    const request = interim ? this.pending[0] : this.pending.shift();
    this.lines('<', lines);
    const size = body === 'streamed' ? 'body streamed' : body === null || body.length === 0 ? 'no body' : `body ${body.length} bytes`;
    const time = request ? `, ${(performance.now() - request.at).toFixed(1)} ms` : '';
    const who = interim ? 'interim: the request goes on' : answerer(request);
    this.write(`${this.tag} < (head ${head.length} bytes, ${size}${time}, ${who})`);
    if (body !== null && body !== 'streamed' && body.length > 0) this.write(`${this.tag} < body: ${bodyLine(body)}`);
  }

  /** A whole response written in one piece, head and body (a HEAD request's answer: the head alone). */
  response(bytes: Buffer): void {
    const end = bytes.indexOf('\r\n\r\n') + 4;
    this.responseHead(bytes.subarray(0, end), bytes.subarray(end));
  }

  /** The proxy's writes to the client, passed through: a head written while one is awaited is traced. */
  responseWrite(data: Buffer): void {
    if (!this.awaitingHead || !data.subarray(0, 5).equals(HTTP)) return;
    const end = data.indexOf('\r\n\r\n');
    const head = end === -1 ? data : data.subarray(0, end + 4);
    this.awaitingHead = / 1\d\d\b/.test(head.toString('latin1', 0, 13));
    this.responseHead(head, 'streamed');
  }

  /** The socket has closed: `trace #3 closed after 2 requests: 160 bytes in, 410 bytes out, open 1.2 s`. */
  closed(bytesIn: number, bytesOut: number): void {
    const open = performance.now() - this.openedAt;
    const time = open < 1000 ? `${open.toFixed(0)} ms` : `${(open / 1000).toFixed(1)} s`;
    const requests = `${this.requests} request${this.requests === 1 ? '' : 's'}`;
    this.write(`${this.tag} closed after ${requests}: ${bytesIn} bytes in, ${bytesOut} bytes out, open ${time}`);
  }

  private lines(direction: '>' | '<', lines: string[]): void {
    for (const line of lines) this.write(`${this.tag} ${direction} ${visible(line)}`);
  }
}

const HTTP = Buffer.from('HTTP/', 'latin1');

/** Who answered: `route /login`, `backend 127.0.0.1:9001`, or `no route` (the app's 404 or 405). */
function answerer(request: Pending | undefined): string {
  if (request === undefined) return 'refused by the server';
  if (request.who !== undefined) return request.who;
  return request.by?.route === undefined ? 'no route' : `route ${request.by.route}`;
}

function describeFraming(framing: Framing): string {
  if (framing.kind === 'none') return 'no body';
  return framing.kind === 'length' ? `body ${framing.length} bytes` : 'body chunked';
}

/** A body as one masked line: its first 100 characters, control characters escaped, and how much more there was. */
export function bodyLine(body: Buffer): string {
  const text = maskBody(body.toString('utf8', 0, Math.min(body.length, BODY_CHARS * 4)));
  const cut = text.length > BODY_CHARS || body.length > BODY_CHARS * 4;
  return visible(text.slice(0, BODY_CHARS)) + (cut ? ` ... (cut; ${body.length} bytes in all)` : '');
}

/** Control characters as escapes, so a line of the trace is one line on the screen. */
function visible(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
