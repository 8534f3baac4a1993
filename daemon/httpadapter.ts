/**
 * One HTTP connection: the only place in the framework that reads from or writes to a socket.
 * It feeds bytes to the pure parser, hands each request to the app, and writes responses back in
 * request order (pipelining), with keep-alive, `Expect: 100-continue`, timeouts and back-pressure.
 * Ports WeApRous `daemon/httpadapter.py` (HttpAdapter.handle_client), which read one 1024-byte chunk,
 * answered once and closed.
 */

import type { Socket } from 'node:net';
import {
  DEFAULT_LIMITS, newBodyState, parseHead, readBody, toRequest,
  type BodyState, type ParseError, type ParserLimits, type Request, type RequestHead,
} from './request';
import { bodyAllowed, errorResponse, serializeHead, type Response } from './response';
import { encodeChunk, LAST_CHUNK } from './chunked';

export type RequestHandler = (request: Request) => Response | Promise<Response>;

export interface AdapterOptions extends ParserLimits {
  /** A request whose headers (or body) stall this long gets 408 and the connection closes. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection closes after this long. */
  keepAliveTimeoutMs: number;
  /** Pipelined requests waiting for their turn before we stop reading from the socket. */
  maxPipelined: number;
  /** After answering an error we read and discard this long, so the client sees the answer (lingering close). */
  lingerMs: number;
}

export const DEFAULT_ADAPTER_OPTIONS: AdapterOptions = {
  ...DEFAULT_LIMITS,
  headersTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxPipelined: 64,
  lingerMs: 2_000,
};

/** A response waiting for its turn on the wire. */
interface Slot {
  method: string;
  http10: boolean;
  close: boolean;
  response: Response | null;
}

const EMPTY = Buffer.alloc(0);
const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

export class HttpAdapter {
  /** Unread bytes; index 0 is the first byte of the request being parsed. */
  private buffer: Buffer = EMPTY;
  /** An allocation we own with room to spare; `buffer` is a view into it while a request is still arriving. */
  private store: Buffer | null = null;
  private head: RequestHead | null = null;
  private headLength = 0;
  private bodyState: BodyState = newBodyState();
  private readonly queue: Slot[] = [];
  /** A streamed body is being written; later responses wait. */
  private streaming = false;
  private stopStream: (() => void) | null = null;
  /** No more requests will be read: the client asked to close, sent garbage, or the server is draining. */
  private stopParsing = false;
  private clientEnded = false;
  private draining = false;
  private lingeringSince = 0;
  private pausedForDrain = false;
  private pausedForQueue = false;
  private corked = false;
  private requestStartedAt = 0;
  private lastActive = Date.now();
  /** Read once: `socket.remoteAddress` asks the operating system every time. */
  private readonly remoteAddress: string | undefined;
  /** The request being read asked for `100 Continue` and has not had it yet. */
  private continueOwed = false;

  constructor(
    private readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly options: AdapterOptions = DEFAULT_ADAPTER_OPTIONS,
    private readonly onClosed: (adapter: HttpAdapter) => void = () => {},
  ) {
    this.remoteAddress = socket.remoteAddress;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => this.onError());
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.onDrain());
  }

  private onData(chunk: Buffer): void {
    this.lastActive = Date.now();
    if (this.stopParsing) return; // lingering after an error, or draining: discard
    this.append(chunk);
    this.parseRequests();
  }

  /**
   * Pipelined requests arrived together: hold our writes until the next turn of the event loop so their
   * answers leave in one packet instead of one system call each. A lone request is answered at once.
   */
  private corkUntilNextTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    setImmediate(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  /**
   * Adds `chunk` after the unread bytes. Copying everything on every packet would make a large body cost
   * O(n²); instead the bytes go into spare room, which doubles when full (amortised O(n)). Only room past
   * the unread bytes is written, so bodies already handed to handlers are never touched.
   */
  private append(chunk: Buffer): void {
    const view = this.buffer;
    if (view.length === 0) {
      this.buffer = chunk;
      return;
    }
    const store = this.store;
    if (store && view.buffer === store.buffer) {
      const start = view.byteOffset - store.byteOffset;
      const end = start + view.length;
      if (end + chunk.length <= store.length) {
        chunk.copy(store, end);
        this.buffer = store.subarray(start, end + chunk.length);
        return;
      }
    }
    const grown = Buffer.allocUnsafeSlow(Math.max(2 * (view.length + chunk.length), 64 * 1024));
    view.copy(grown, 0);
    chunk.copy(grown, view.length);
    this.store = grown;
    this.buffer = grown.subarray(0, view.length + chunk.length);
  }

  /** The client will send nothing more; answer what we have, then close our side (allowHalfOpen). */
  private onEnd(): void {
    this.clientEnded = true;
    this.stopParsing = true;
    this.finishIfDone();
  }

  private onError(): void {
    // ECONNRESET and friends: the peer is gone and there is no one to answer. 'close' follows.
    this.socket.destroy();
  }

  private onClose(): void {
    this.queue.length = 0;
    this.stopStream?.();
    this.onClosed(this);
  }

  private onDrain(): void {
    this.pausedForDrain = false;
    this.resumeIfAllowed();
  }

  /** Parses as many whole requests as the buffer holds and dispatches each in order. */
  private parseRequests(): void {
    while (!this.stopParsing) {
      if (this.queue.length >= this.options.maxPipelined) {
        this.pausedForQueue = true;
        this.socket.pause();
        return;
      }
      if (this.head === null && !this.readHead()) return;
      const head = this.head!;
      const body = readBody(this.buffer, this.headLength, head.framing, this.bodyState, this.options);
      if (body.kind === 'incomplete') return;
      if (body.kind === 'error') return this.refuse(body.error);
      const request = toRequest(head, body.body, this.remoteAddress);
      if (body.end === this.buffer.length) this.buffer = EMPTY;
      else {
        this.buffer = this.buffer.subarray(body.end);
        this.corkUntilNextTurn();
      }
      this.head = null;
      this.requestStartedAt = 0;
      if (!head.keepAlive) this.stopParsing = true; // RFC 9112 §9.6: nothing after "Connection: close" is read
      this.dispatch(request);
    }
  }

  /** Parses the head at the start of the buffer; false means "wait for more bytes" or "refused". */
  private readHead(): boolean {
    if (this.buffer.length === 0) return false;
    if (this.requestStartedAt === 0) this.requestStartedAt = Date.now();
    const result = parseHead(this.buffer, 0, this.options);
    if (result.kind === 'incomplete') return false;
    if (result.kind === 'error') {
      this.refuse(result.error);
      return false;
    }
    this.head = result.head;
    this.headLength = result.headLength;
    this.bodyState = newBodyState();
    this.continueOwed = result.head.expectContinue;
    this.sendOwedContinue();
    return true;
  }

  /** A 100 must not overtake the answers to earlier pipelined requests, so it waits until they are out. */
  private sendOwedContinue(): void {
    if (!this.continueOwed || this.head === null || this.queue.length > 0 || this.streaming || this.socket.destroyed) return;
    this.continueOwed = false;
    this.socket.write(CONTINUE);
  }

  private dispatch(request: Request): void {
    const slot: Slot = { method: request.method, http10: request.version === 'HTTP/1.0', close: !request.keepAlive, response: null };
    this.queue.push(slot);
    let result: Response | Promise<Response>;
    try {
      result = this.handler(request);
    } catch (error) {
      console.error('[WeApRous] handler threw:', error);
      result = errorResponse(500, 'Internal Server Error');
    }
    if (result instanceof Promise) {
      result.then(
        (res) => this.settle(slot, res),
        (error) => {
          console.error('[WeApRous] handler failed:', error);
          this.settle(slot, errorResponse(500, 'Internal Server Error'));
        },
      );
    } else {
      this.settle(slot, result);
    }
  }

  private settle(slot: Slot, res: Response): void {
    // A handler written in plain JavaScript can return anything; null here would stall the queue for good.
    if (typeof res !== 'object' || res === null) {
      console.error(`[WeApRous] handler returned ${String(res)} instead of a Response`);
      res = errorResponse(500, 'Internal Server Error');
    }
    slot.response = res;
    this.flush();
  }

  /** Answers a request that cannot be parsed, then closes: the byte stream is no longer trustworthy. */
  private refuse(error: ParseError): void {
    this.stopParsing = true;
    this.head = null;
    this.buffer = EMPTY;
    // Lingering starts in closeAfterWrite, once this answer is out: answers queued before it may take a while.
    const res = errorResponse(error.status, error.reason);
    this.queue.push({ method: 'GET', http10: false, close: true, response: res });
    this.flush();
  }

  /** Writes every response that is ready, in request order. */
  private flush(): void {
    while (this.queue.length > 0 && this.queue[0].response !== null && !this.streaming) {
      if (this.socket.destroyed) return;
      const slot = this.queue.shift()!;
      const lastBeforeDrain = this.draining && this.queue.length === 0 && this.head === null;
      const close = slot.close || lastBeforeDrain || (this.clientEnded && this.queue.length === 0);
      if (this.write(slot, close)) return;
    }
    this.lastActive = Date.now();
    this.sendOwedContinue();
    if (this.pausedForQueue && this.queue.length < this.options.maxPipelined) {
      this.pausedForQueue = false;
      this.resumeIfAllowed();
      this.parseRequests();
    }
    this.finishIfDone();
  }

  /** Writes one response; returns true when the connection is closing after it. */
  private write(slot: Slot, closeRequested: boolean): boolean {
    const res = slot.response!;
    let serialized;
    try {
      serialized = serializeHead(res, { close: closeRequested, headRequest: slot.method === 'HEAD', http10: slot.http10 });
    } catch (error) {
      console.error('[WeApRous] invalid response:', error);
      slot.response = errorResponse(500, 'Internal Server Error');
      return this.write(slot, closeRequested);
    }
    const { head, chunked, close } = serialized;
    const body = res.body;
    const sendBody = slot.method !== 'HEAD' && bodyAllowed(res.status) && body !== null;
    if (!sendBody || Buffer.isBuffer(body)) {
      this.send(sendBody ? joinHeadAndBody(head, body as Buffer) : Buffer.from(head, 'latin1'));
    } else {
      this.send(Buffer.from(head, 'latin1'));
      this.streaming = true;
      void this.pump(body as AsyncIterable<Buffer | string>, chunked, close);
      return true;
    }
    if (close) this.closeAfterWrite();
    return close;
  }

  /** Writes a streamed body chunk by chunk, waiting for 'drain' whenever the socket's buffer is full. */
  private async pump(body: AsyncIterable<Buffer | string>, chunked: boolean, close: boolean): Promise<void> {
    try {
      const chunks = body[Symbol.asyncIterator]();
      // If the client goes away, tell the producer (an event stream, say) so it can stop and clean up.
      this.stopStream = () => void chunks.return?.().catch(() => {});
      for (;;) {
        const next = await chunks.next();
        if (next.done || this.socket.destroyed) break;
        const data = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
        if (data.length === 0) continue;
        if (chunked) for (const part of encodeChunk(data)) this.send(part);
        else this.send(data);
        if (this.pausedForDrain) await this.waitForDrain();
      }
      if (chunked && !this.socket.destroyed) this.send(LAST_CHUNK);
    } catch (error) {
      // Headers are gone already; the only honest signal left is to cut the connection.
      console.error('[WeApRous] streamed body failed:', error);
      this.socket.destroy();
      return;
    } finally {
      this.stopStream = null;
    }
    this.streaming = false;
    if (close) this.closeAfterWrite();
    else this.flush();
  }

  private waitForDrain(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private send(data: Buffer): void {
    if (!this.socket.write(data)) {
      this.pausedForDrain = true;
      this.socket.pause();
    }
  }

  private resumeIfAllowed(): void {
    if (!this.pausedForDrain && !this.pausedForQueue && !this.socket.destroyed) this.socket.resume();
  }

  /** End our side; keep reading (and discarding) for a while so the client is not reset before it reads. */
  private closeAfterWrite(): void {
    this.stopParsing = true;
    this.queue.length = 0;
    this.lingeringSince ||= Date.now();
    this.socket.end();
    this.pausedForQueue = false;
    this.pausedForDrain = false;
    this.socket.resume();
  }

  private finishIfDone(): void {
    if (this.queue.length > 0 || this.streaming || this.socket.destroyed) return;
    if (this.clientEnded || (this.draining && this.head === null)) this.closeAfterWrite();
  }

  /** Called about once a second by the backend: enforce the header, body and keep-alive timeouts. */
  checkTimeouts(now: number): void {
    if (this.socket.destroyed) return;
    if (this.socket.writableLength > 0) {
      // Still handing an answer to a slow reader: that is activity, and destroying now would cut it short.
      this.lastActive = now;
      if (this.lingeringSince) this.lingeringSince = now;
    }
    if (this.lingeringSince) {
      if (now - this.lingeringSince > this.options.lingerMs) this.socket.destroy();
      return;
    }
    const busy = this.queue.length > 0 || this.streaming;
    if (this.requestStartedAt && !busy && now - this.requestStartedAt > this.options.headersTimeoutMs) {
      this.refuse({ status: 408, code: 'REQUEST_TIMEOUT', reason: 'The request took too long to arrive.' });
    } else if (!busy && this.buffer.length === 0 && now - this.lastActive > this.options.keepAliveTimeoutMs) {
      this.closeAfterWrite();
    }
  }

  /** Graceful shutdown: finish what is in flight, then close; an idle connection closes at once. */
  drain(): void {
    this.draining = true;
    if (this.head === null && this.buffer.length === 0) this.stopParsing = true;
    this.finishIfDone();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** One buffer for head and body: one write, one packet for small responses. */
function joinHeadAndBody(head: string, body: Buffer): Buffer {
  const headLength = head.length; // latin1: one byte per character
  const out = Buffer.allocUnsafe(headLength + body.length);
  out.write(head, 0, 'latin1');
  body.copy(out, headLength);
  return out;
}
