/**
 * The proxy's backend side: `Exchange` sends one request to a backend and streams the response back to the
 * client, with back-pressure in both directions; the backend connection comes from, and goes back to, the
 * shared pool (pool.ts). It touches the backend socket only; proxyadapter.ts owns the client socket.
 * WeApRous `daemon/proxy.py` opened a new connection per request and relayed 1024 bytes.
 */

import type { Socket } from 'node:net';
import { discard, type ConnectionPool } from './pool';
import { MAX_INTERIM_RESPONSES, newHeadScan, parseResponseHead } from './parser';
import { responseFraming, wantsKeepAlive } from './framing';
import { BodyTracker, clientResponseHead } from './forwarding';
import type { Upstream } from './proxyconf';

type ResponseHead = Extract<ReturnType<typeof parseResponseHead>, { kind: 'head' }>;

/** A sentence for why a backend could not be reached: "127.0.0.1:9001 refused the connection". */
export function describeFailure(error: Error, backend: Upstream): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return `${backend.key} refused the connection`;
    case 'ECONNRESET':
      return `${backend.key} reset the connection`;
    case 'CONNECT_TIMEOUT':
      return `${backend.key} did not accept the connection in time`;
    case 'ENOTFOUND':
      return `${backend.key}: unknown host name`;
    default:
      return `${backend.key}: ${code ?? error.message}`;
  }
}

/** What `proxyadapter.ts` provides to an exchange: the client socket and a way to hold its reading. */
export interface ClientSide {
  /** Writes to the client; false when its socket is full (then wait for `onClientDrain`). */
  write(data: Buffer): boolean;
  http10: boolean;
  /** Stop (`true`) or allow (`false`) reading from the client because the backend is not keeping up. */
  holdForUpstream(hold: boolean): void;
  /** Asked when the response head is written: may the client connection stay open after this response? */
  canKeepAlive(): boolean;
}

/** How an exchange ended. `failed` means nothing final was written to the client yet, so it can still be answered. */
export type Outcome =
  | { kind: 'complete'; status: number; keepClient: boolean }
  | { kind: 'failed'; status: 502 | 504; reason: string; mayResend: boolean }
  | { kind: 'broken' };

export interface ExchangeOptions {
  method: string;
  backend: Upstream;
  /** No byte from the backend for this long: 504 (or a cut connection if the response had started). */
  timeoutMs: number;
  maxResponseHeadBytes: number;
}

const EMPTY = Buffer.alloc(0);
// Only the first `100 Continue` is passed on (RFC 9110 §15.2.1: it tells the client to send the body;
// saying it again means nothing); past MAX_INTERIM_RESPONSES (parser.ts) the backend gets a 502.
export { MAX_INTERIM_RESPONSES };

/**
 * One request/response on one backend connection. `proxyadapter.ts` calls `sendRequest` with the head and each
 * piece of the body as it arrives; the exchange parses the response head, rewrites it, and streams the
 * body to the client, pausing the backend whenever the client's socket is full. `onDone` is called once.
 */
export class Exchange {
  /** Response bytes until the final head is complete. */
  private buffer: Buffer = EMPTY;
  private body: BodyTracker | null = null;
  private received = false;
  private requestDone = false;
  private keepClient = false;
  /** The backend's answer allows sending the next request on this connection. */
  private reusable = false;
  private pausedForClient = false;
  private finished = false;
  private lastError: Error | null = null;
  private closeDelimited = false;
  private status = 0;
  private interim = 0;
  /** Where the parser stopped in a response head still arriving, so it is read once. */
  private headScan = newHeadScan();
  private continueSent = false;

  constructor(
    private readonly upstream: Socket,
    private readonly client: ClientSide,
    private readonly pool: ConnectionPool,
    private readonly options: ExchangeOptions,
    private readonly onDone: (outcome: Outcome) => void,
  ) {
    upstream.on('data', this.onUpstreamData);
    upstream.on('end', this.onUpstreamEnd);
    upstream.on('error', this.onUpstreamError);
    upstream.on('close', this.onUpstreamClose);
    upstream.on('drain', this.onUpstreamDrain);
    // on(), not setTimeout's callback argument: that one is a once() listener, and the timeout is armed again
    // after the proxy held the backend back (onClientDrain), so it must be able to fire again.
    upstream.on('timeout', this.onUpstreamTimeout);
    upstream.setTimeout(options.timeoutMs);
  }

  /** Sends request bytes to the backend; `last` marks the end of the request body. */
  sendRequest(data: Buffer, last: boolean): void {
    if (this.finished) return;
    if (data.length > 0 && !this.upstream.write(data)) this.client.holdForUpstream(true);
    if (last) this.requestDone = true;
  }

  /** The response head has gone to the client: from now on a failure can only cut the connection. */
  get responding(): boolean {
    return this.body !== null;
  }

  /** The client's socket has room again: let the backend's bytes flow. */
  onClientDrain(): void {
    if (this.pausedForClient && !this.finished) {
      this.pausedForClient = false;
      this.upstream.resume();
      // The backend's silence while we held it back was ours: its timeout starts again. (A socket's timeout
      // fires once; resume() alone would leave it spent, and a backend that then went quiet would hang us.)
      this.upstream.setTimeout(this.options.timeoutMs);
    }
  }

  /** The client went away: nobody is waiting, and a half-used connection cannot be reused. */
  abort(): void {
    if (this.finished) return;
    this.detach();
    discard(this.upstream);
  }

  private readonly onUpstreamData = (chunk: Buffer): void => {
    this.received = true;
    if (this.body) return this.forwardBody(chunk);
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.readHead();
  };

  private readonly onUpstreamDrain = (): void => this.client.holdForUpstream(false);

  /** A close-delimited body ends when the backend closes (RFC 9112 §6.3, rule 8). */
  private readonly onUpstreamEnd = (): void => {
    if (this.body && this.closeDelimited) this.complete();
  };

  private readonly onUpstreamError = (error: Error): void => {
    this.lastError = error;
  };

  private readonly onUpstreamClose = (): void => {
    const key = this.options.backend.key;
    if (!this.received) {
      this.fail(
        502,
        this.lastError ? describeFailure(this.lastError, this.options.backend) : `${key} closed the connection without answering`,
      );
    } else {
      this.fail(502, `${key} closed the connection before its response was complete`);
    }
  };

  private readonly onUpstreamTimeout = (): void => {
    // The wait is the client's, not the backend's: its body stalls (408 from the proxy's body timeout) or it
    // does not read our output (its write timeout). The timer starts again with the next byte either way.
    const backendBlocks = this.upstream.writableNeedDrain;
    if (this.pausedForClient || (!this.requestDone && !backendBlocks)) {
      this.upstream.setTimeout(this.options.timeoutMs); // not the backend's fault: give it a full period again
      return;
    }
    // Never sent again elsewhere: the backend may still be working on it.
    this.fail(504, `${this.options.backend.key} did not answer within ${this.options.timeoutMs} ms`, false);
  };

  /** Parses the response head (after any 1xx interim responses) and writes our version of it. */
  private readHead(): void {
    for (;;) {
      const head = parseResponseHead(this.buffer, 0, this.options.maxResponseHeadBytes, this.headScan);
      if (head.kind === 'incomplete') return;
      this.headScan = newHeadScan();
      const key = this.options.backend.key;
      if (head.kind === 'error') return this.fail(502, `${key} sent an invalid response: ${head.reason}`);
      if (head.status === 101) return this.fail(502, `${key} tried to switch protocols; this proxy does not forward upgrades`);
      const raw = this.buffer.toString('latin1', 0, head.headLength);
      const rest = this.buffer.subarray(head.headLength);
      if (head.status >= 200) return this.startBody(raw, head, rest);
      if (++this.interim > MAX_INTERIM_RESPONSES)
        return this.fail(502, `${key} sent more than ${MAX_INTERIM_RESPONSES} interim (1xx) responses`);
      this.forwardInterim(raw, head);
      this.buffer = rest;
    }
  }

  /** RFC 9110 §15.2: a proxy forwards 1xx, except to HTTP/1.0 clients, which do not know them (and one 100 only). */
  private forwardInterim(raw: string, head: ResponseHead): void {
    if (this.client.http10 || (head.status === 100 && this.continueSent)) return;
    if (head.status === 100) this.continueSent = true;
    this.writeClient(clientResponseHead(raw, head, {}));
  }

  private startBody(raw: string, head: ResponseHead, rest: Buffer): void {
    const framing = responseFraming(this.options.method, head.status, head.headers);
    if (!framing) return this.fail(502, `${this.options.backend.key} sent an invalid Content-Length`);
    this.status = head.status;
    const dechunk = this.client.http10 && framing.kind === 'chunked';
    const backendKeepsAlive = wantsKeepAlive(head.headers.get('connection'), head.version);
    this.closeDelimited = framing.kind === 'close';
    this.reusable = backendKeepsAlive && framing.kind !== 'close';
    this.keepClient = framing.kind !== 'close' && !dechunk && this.client.canKeepAlive();
    this.body = new BodyTracker(framing, Number.MAX_SAFE_INTEGER, dechunk);
    this.buffer = EMPTY;
    this.writeClient(clientResponseHead(raw, head, { connection: this.keepClient ? 'keep-alive' : 'close', dechunk }));
    if (rest.length > 0 || this.body.done) this.forwardBody(rest);
  }

  private forwardBody(chunk: Buffer): void {
    const result = this.body!.push(chunk);
    if (result.kind === 'error') return this.fail(502, `${this.options.backend.key} sent an invalid chunked body`);
    if (result.data) for (const piece of result.data) this.writeClient(piece);
    else this.writeClient(result.used === chunk.length ? chunk : chunk.subarray(0, result.used));
    if (result.used < chunk.length) this.reusable = false; // bytes after the response: out of step
    if (result.done) this.complete();
  }

  private writeClient(data: Buffer): void {
    if (data.length > 0 && !this.client.write(data) && !this.pausedForClient) {
      this.pausedForClient = true;
      this.upstream.pause();
    }
  }

  private complete(): void {
    this.detach();
    if (this.reusable && this.requestDone) this.pool.release(this.options.backend, this.upstream);
    else discard(this.upstream);
    this.onDone({ kind: 'complete', status: this.status, keepClient: this.keepClient && this.requestDone });
  }

  /** `mayResend`: nothing came back, so the request may be sent again (see `proxyadapter.ts` for when it is). */
  private fail(status: 502 | 504, reason: string, mayResend = !this.received): void {
    if (this.finished) return;
    this.detach();
    discard(this.upstream);
    this.onDone(this.body ? { kind: 'broken' } : { kind: 'failed', status, reason, mayResend });
  }

  /** Takes our listeners off the backend socket, so the pool (or nobody) owns it. */
  private detach(): void {
    this.finished = true;
    this.upstream.off('data', this.onUpstreamData);
    this.upstream.off('end', this.onUpstreamEnd);
    this.upstream.off('error', this.onUpstreamError);
    this.upstream.off('close', this.onUpstreamClose);
    this.upstream.off('drain', this.onUpstreamDrain);
    this.upstream.off('timeout', this.onUpstreamTimeout);
    this.upstream.setTimeout(0);
    if (this.pausedForClient) this.upstream.resume();
    this.client.holdForUpstream(false);
  }
}
