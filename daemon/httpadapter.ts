/**
 * One HTTP connection of the server: feeds the unread bytes to the pure parser, hands each request to the
 * app, and writes the answers back in request order (pipelining), with keep-alive, `Expect: 100-continue`
 * and streamed bodies. Each answer's bytes come from answer.ts; the socket's events, timers, back-pressure
 * and closing live in connection.ts, shared with the proxy. Ports WeApRous `daemon/httpadapter.py`
 * (HttpAdapter.handle_client), which read one 1024-byte chunk, answered once and closed.
 */

import type { Socket } from 'node:net';
import { DEFAULT_LIMITS, newHeadScan, parseRequestHead, type HeadScan, type ParserLimits, type RequestHead } from './parser';
import { newBodyState, readBody, toRequest, type BodyState, type Request } from './request';
import type { ParseError } from './status';
import { errorResponse } from './response';
import { writeBody } from './bodywriter';
import { callHandler, encodeAnswer, newSlot, type RequestHandler, type Slot } from './answer';
import { Connection } from './connection';
import { DEFAULT_CONNECTION_OPTIONS, type ConnectionOptions } from './timeouts';
import { MemoryBudget, type BodyAccount } from './admission';

// Re-exported: the app's side of the adapter's contract; answer.ts, which calls the handler, defines it.
export type { RequestHandler };

export interface AdapterOptions extends ParserLimits, ConnectionOptions {
  /** Requests read and not yet answered, at most; beyond it reading waits. */
  maxPipelined: number;
}

export const DEFAULT_ADAPTER_OPTIONS: AdapterOptions = {
  ...DEFAULT_LIMITS,
  ...DEFAULT_CONNECTION_OPTIONS,
  maxPipelined: 64,
};

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

export class HttpAdapter extends Connection {
  private head: RequestHead | null = null;
  private headLength = 0;
  /** Where the parser stopped in a head still arriving, so a head that trickles in is read once. */
  private headScan: HeadScan = newHeadScan();
  private bodyState: BodyState = newBodyState();
  /** Bytes of the body being read that are charged to the server's budget, and whose share they count against. */
  private charged = 0;
  private account: BodyAccount = UNLIMITED;
  private readonly queue: Slot[] = [];
  /** A body is being written piece by piece; later responses wait. */
  private streaming = false;
  private stopStream: (() => void) | null = null;
  private corked = false;
  /** The request being read asked for `100 Continue` and has not had it yet. */
  private continueOwed = false;

  constructor(
    socket: Socket,
    private readonly handler: RequestHandler,
    private readonly settings: AdapterOptions = DEFAULT_ADAPTER_OPTIONS,
    /** Whose share of the body budget a request's body counts against (backend.ts: its address's). */
    private readonly accountFor: (head: RequestHead) => BodyAccount = () => UNLIMITED,
    onClosed: (adapter: HttpAdapter) => void = () => {},
    /** The address a request speaks for (backend.ts: `Admission.clientOf`); the socket's by default. */
    private readonly clientOf?: (head: RequestHead) => string | undefined,
  ) {
    super(socket, settings, onClosed as (connection: Connection) => void);
  }

  /** Parses as many whole requests as the unread bytes hold and dispatches each in order. */
  readRequests(): void {
    while (this.phase !== 'closing' && this.phase !== 'lingering' && this.reading) {
      if (this.queue.length >= this.settings.maxPipelined) return this.hold('pipeline');
      if (this.outputFull()) return this.hold('output'); // the client is not reading: neither do we
      if (this.head === null && !this.readHead()) return this.endIfStranded();
      const body = readBody(this.input.bytes, this.headLength, this.head!.framing, this.bodyState, this.settings);
      if (body.kind === 'error') return this.refuseError(body.error);
      if (body.kind === 'incomplete') {
        if (this.chargeBody()) this.endIfStranded();
        return;
      }
      // Whole: it stays charged until its answer is written (the handler, and the queue of pipelined requests,
      // hold it that long); a body that came in one packet is charged here first.
      if (!this.charge(body.body.length)) return;
      const request = toRequest(this.head!, body.body, this.clientOf?.(this.head!) ?? this.remoteAddress);
      this.trace?.requestBody(body.body, request);
      this.input.consume(body.end);
      if (this.input.length > 0) this.corkUntilNextTurn();
      this.head = null;
      this.endRequest(!request.keepAlive); // RFC 9112 §9.6: nothing after "Connection: close" is read
      // HTTP/1.0 cannot frame a streamed answer except by closing: read on only once this answer is out.
      if (request.version === 'HTTP/1.0') this.hold('http10');
      const [account, charged] = [this.account, this.charged];
      this.dispatch(request, () => account.give(charged));
      this.charged = 0;
    }
  }

  /**
   * Raises this request's charge to `bytes` (never lowers it). Over its address's share, 429 and false: the
   * sender, not the server, holds too much (RFC 6585 §4); over the server's whole budget, 503 and false.
   */
  private charge(bytes: number): boolean {
    if (bytes <= this.charged) return true;
    const taken = this.account.take(bytes - this.charged);
    if (taken !== 'taken') {
      if (taken === 'address-full') this.refuse(429, 'ADDRESS_BUSY', ADDRESS_BUSY_REASON);
      else this.refuse(503, 'BUSY', BUSY_REASON);
      return false;
    }
    this.charged = bytes;
    return true;
  }

  /** Parses the head at the start of the unread bytes; false means "wait for more bytes" or "refused". */
  private readHead(): boolean {
    if (this.input.length === 0) return false;
    this.beginHead();
    const result = parseRequestHead(this.input.bytes, 0, this.settings, this.headScan);
    if (result.kind === 'incomplete') return false;
    this.headScan = newHeadScan();
    if (result.kind === 'error') {
      this.refuseError(result.error);
      return false;
    }
    this.head = result.head;
    this.trace?.requestHead(this.input.bytes, result.headLength, result.head.framing);
    this.account = this.accountFor(result.head);
    this.headLength = result.headLength;
    this.bodyState = newBodyState();
    this.beginBody(this.input.length - result.headLength);
    this.continueOwed = result.head.expectContinue; // sent once the body fits the budget (chargeBody)
    return true;
  }

  /**
   * The body is still arriving: charge what it will hold to the server's budget (all of a Content-Length
   * at once, a chunked body as it grows). Over budget, the request gets 503 instead of our memory.
   */
  private chargeBody(): boolean {
    const framing = this.head!.framing;
    const first = this.charged === 0;
    if (!this.charge(framing.kind === 'length' ? framing.length : this.input.length - this.headLength)) return false;
    if (framing.kind === 'length' && first) this.input.reserve(this.headLength + framing.length);
    this.sendOwedContinue();
    return true;
  }

  /** The client has finished sending, in the middle of a request that can now never be completed. */
  private endIfStranded(): void {
    if (this.clientEnded && this.phase !== 'lingering') {
      this.setPhase('closing');
      this.finishIfDone();
    }
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

  /** A 100 must not overtake the answers to earlier pipelined requests, so it waits until they are out. */
  private sendOwedContinue(): void {
    if (!this.continueOwed || this.head === null || this.queue.length > 0 || this.streaming || this.socket.destroyed) return;
    this.continueOwed = false;
    this.send(CONTINUE);
    this.trace?.responseHead(CONTINUE, null);
    this.restartBodyWindow(); // the client starts sending only now
  }

  override serverOwesReply(): boolean {
    return this.continueOwed;
  }

  /** Queues a slot for the request's answer, in request order, and asks the app for the answer. */
  private dispatch(request: Request, release: () => void): void {
    const slot = newSlot(request, release);
    this.queue.push(slot);
    callHandler(this.handler, request, (res) => {
      slot.response = res;
      this.flush();
    });
  }

  private refuseError(error: ParseError): void {
    this.refuse(error.status, error.code, error.reason);
  }

  /** Answers a request that cannot be read, after the answers queued before it, then closes. */
  refuse(status: number, _code: string, reason: string): void {
    if (this.phase === 'lingering') return;
    this.setPhase('closing'); // the byte stream is no longer trustworthy
    this.head = null;
    this.input.clear();
    this.account.give(this.charged);
    this.charged = 0;
    const res = errorResponse(status, reason);
    if (status === 503 || status === 429) res.headers.set('Retry-After', '5');
    this.queue.push({ method: 'GET', http10: false, close: true, response: res, release: () => {} });
    this.flush();
  }

  isBusy(): boolean {
    return this.queue.length > 0 || this.streaming;
  }

  protected override outputDrained(): void {
    this.flush();
    super.outputDrained();
  }

  /** Writes every response that is ready, in request order, while the client keeps up with reading. */
  private flush(): void {
    while (this.queue.length > 0 && this.queue[0].response !== null && !this.streaming) {
      if (this.socket.destroyed) return;
      if (this.outputFull()) return; // answers wait in the queue (at most maxPipelined) until 'drain'
      const slot = this.queue.shift()!;
      slot.release();
      const last = this.queue.length === 0 && (this.phase === 'closing' || (this.clientEnded && this.input.length === 0));
      const stop = this.writeAnswer(slot, slot.close || last);
      if (slot.http10 && !stop) this.release('http10'); // its answer is out whole: read the next request
      if (stop) return;
    }
    this.sendOwedContinue();
    if (this.queue.length === 0) this.restartIdleClock();
    if (this.queue.length < this.settings.maxPipelined) this.release('pipeline');
    this.finishIfDone();
  }

  /**
   * Writes one answer. Returns true when nothing more can be written now: the connection closes after this
   * answer, or its body is being streamed (the next answer waits for the stream to end).
   */
  private writeAnswer(slot: Slot, closeRequested: boolean): boolean {
    const output = encodeAnswer(slot, closeRequested, this.settings.maxUnsentBytes);
    if (output.kind === 'stream') {
      this.send(output.head);
      this.trace?.responseHead(output.head, 'streamed');
      void this.pump(output.body, output.chunked, output.close, slot);
      return true;
    }
    this.send(output.bytes);
    this.trace?.response(output.bytes);
    if (output.close) this.closeAfterWrite();
    return output.close;
  }

  /** Writes a body that is not all in memory (bodywriter.ts), then goes on with the next answer. */
  private async pump(body: AsyncIterable<Buffer | string>, chunked: boolean, close: boolean, slot: Slot): Promise<void> {
    this.streaming = true;
    const whole = await writeBody(this.socket, body, {
      chunked,
      sliceBytes: this.settings.maxUnsentBytes,
      send: (data) => this.send(data),
      onStart: (stop) => (this.stopStream = stop),
    });
    this.stopStream = null;
    if (!whole) return; // the connection is gone or cut: nothing more goes out on it
    this.streaming = false;
    if (close) return this.closeAfterWrite();
    if (slot.http10) this.release('http10');
    this.flush();
  }

  onGone(): void {
    for (const slot of this.queue) slot.release();
    this.queue.length = 0;
    this.account.give(this.charged);
    this.charged = 0;
    this.stopStream?.();
  }
}

/** A connection with no budget to share: tests, and an adapter made without a server. */
const UNLIMITED: BodyAccount = new MemoryBudget(Number.MAX_SAFE_INTEGER).account(null);
const BUSY_REASON = 'The server is holding too many request bodies right now; try again shortly.';
const ADDRESS_BUSY_REASON =
  'Your address is sending too many request bodies at once; finish or close some uploads, then try again in a few seconds.';
