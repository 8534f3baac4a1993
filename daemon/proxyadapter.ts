/**
 * One client connection of the reverse proxy: reads request heads with the server's own parser, picks the
 * virtual host by `Host` and a backend by its `dist_policy`, hands the request to an `Exchange`
 * (`upstream.ts`), and answers errors itself (400, 404, 408, 502, 504). One request at a time, so pipelined
 * requests are answered in order. Like `httpadapter.ts` it is a `Connection` (connection.ts): the same
 * phases, timers, back-pressure and closing; only what a request is for differs. Ports WeApRous `daemon/proxy.py`.
 */

import type { Socket } from 'node:net';
import { newHeadScan, parseRequestHead, type HeadScan, type RequestHead } from './parser';
import { errorResponse, serializeHead, wantsJson } from './response';
import { findVirtualHost } from './proxyconf';
import { clientIp } from './forwarding';
import { describeFailure, Exchange, type ClientSide, type Outcome } from './upstream';
import { Connection } from './connection';
import { isIdempotent } from './pool';
import type { ProxyContext, ProxyOptions } from './proxycontext';
import { endAttempt, newForwarding, type Forwarding } from './proxyrequest';

const EMPTY = Buffer.alloc(0);

/** One client connection: reads request heads, forwards one request at a time, answers errors itself. */
export class ProxyAdapter extends Connection {
  private current: Forwarding | null = null;
  /** Where the parser stopped in a head still arriving, so a head that trickles in is read once. */
  private headScan: HeadScan = newHeadScan();

  constructor(
    socket: Socket,
    private readonly context: ProxyContext,
    onClosed: (connection: ProxyAdapter) => void,
  ) {
    super(socket, context.options, onClosed as (connection: Connection) => void);
  }

  private get settings(): ProxyOptions {
    return this.context.options;
  }

  /** Passes on the body of the request in flight, or reads the next request when there is none. */
  readRequests(): void {
    const current = this.current;
    if (current) {
      if (!current.body.done) this.feedRequestBody(current);
      return this.holdForPipeline();
    }
    if (this.phase === 'closing' || this.phase === 'lingering' || this.socket.destroyed) return this.finishIfDone();
    // The client has not read what we sent: no new request until it does ('drain' reads on).
    if (this.outputFull()) return this.hold('output');
    if (this.input.length === 0) return this.finishIfDone();
    this.beginHead();
    const result = parseRequestHead(this.input.bytes, 0, this.settings, this.headScan);
    // After the client's FIN, a head that is not complete now never will be.
    if (result.kind === 'incomplete') return this.clientEnded ? this.closeAfterWrite() : undefined;
    this.headScan = newHeadScan();
    if (result.kind === 'error') return this.answer(result.error.status, result.error.reason, true);
    this.startRequest(result.head, result.headLength);
  }

  /**
   * Stops reading while more than a head's worth of pipelined bytes wait, and reads again once they have
   * been used: requests are answered one at a time, so reading faster than that only fills memory.
   */
  private holdForPipeline(): void {
    if (this.input.length > this.settings.maxHeaderBytes) this.hold('pipeline');
    else this.releaseWithoutReading('pipeline');
  }

  private startRequest(head: RequestHead, headLength: number): void {
    const raw = this.input.bytes.toString('latin1', 0, headLength);
    this.trace?.requestHead(this.input.bytes, headLength, head.framing);
    this.input.consume(headLength);
    const vhost = findVirtualHost(this.context.hosts, head.headers.get('host'));
    if (!vhost) return this.answerUnknownHost(head);

    const current = newForwarding(head, raw, vhost, this.context, this.remoteAddress ?? '');
    this.current = current;
    this.beginBody(this.input.length);
    if (current.body.done) this.endRequest(!head.keepAlive);
    else this.feedRequestBody(current);
    if (this.current !== current) return; // the body was malformed and has been answered
    this.holdForPipeline();
    current.resendable = current.body.done;
    this.tryNextBackend();
  }

  /** 404 naming only the Host asked for: the list of configured hosts is the internal setup, for our log only. */
  private answerUnknownHost(head: RequestHead): void {
    const host = head.headers.get('host');
    const reason =
      host === undefined
        ? 'The request has no Host header, so this proxy cannot tell which site it is for.'
        : `No virtual host "${host}" on this proxy.`;
    // The unread body would be taken for the next request: simplest is to close after answering.
    const close = head.framing.kind !== 'none' || !head.keepAlive;
    this.answer(404, reason, close, head, ` (configured: ${this.context.hosts.map((h) => h.name).join(', ')})`);
  }

  /** Passes the body bytes read so far on (or keeps them until a backend is connected). */
  private feedRequestBody(current: Forwarding): void {
    const chunk = this.input.bytes;
    const result = current.body.push(chunk);
    if (result.kind === 'error') return this.failRequestBody(result.error.status, result.error.reason);
    const piece = chunk.subarray(0, result.used);
    this.input.consume(result.used);
    if (current.exchange) current.exchange.sendRequest(piece, result.done);
    else {
      if (piece.length > 0) current.received.push(piece);
      if (!result.done) this.hold('connect'); // hold the rest back until a backend is connected
    }
    if (result.done) this.endRequest(!current.head.keepAlive); // RFC 9112 §9.6: nothing after "close" is read
  }

  /** The client's body is malformed (400) or too slow (408): answer that if the backend has not started answering, else cut. */
  private failRequestBody(status: number, reason: string): void {
    const current = this.current!;
    const answered = current.exchange?.responding ?? false;
    current.exchange?.abort();
    endAttempt(current);
    if (answered) this.socket.destroy();
    else this.answer(status, reason, true, current.head);
  }

  /** A timer ran out (connection.ts): the head (408), the whole request (408) or the body's rate (408). */
  refuse(status: number, _code: string, reason: string): void {
    if (this.current) this.failRequestBody(status, reason);
    else this.answer(status, reason, true);
  }

  /** Picks the next backend not tried yet for this request; 502 when none is left. */
  private tryNextBackend(): void {
    const current = this.current!;
    const index = current.balancer.pick(current.tried, this.settings.now());
    if (index === null) {
      const reason = `No backend of ${current.vhost.name} could be reached: ${current.failures.join('; ')}.`;
      return this.answer(502, reason, !current.body.done, current.head);
    }
    current.tried.add(index);
    // A pooled connection may turn out to have been closed by the backend just as we send: then the request is
    // sent again on a fresh one. Only a request that may safely arrive twice (RFC 9110 §9.2.2) takes that risk;
    // a POST gets a fresh connection, which costs a handshake and never runs it twice.
    this.tryBackend(index, current.resendable && isIdempotent(current.head.method));
  }

  /** Sends the request to backend `index`, on a pooled connection when `allowPooled`. */
  private tryBackend(index: number, allowPooled: boolean): void {
    const current = this.current!;
    const backend = current.vhost.backends[index];
    current.backend = index;
    current.balancer.begin(index);
    const pooled = allowPooled ? this.context.pool.take(backend) : null;
    if (pooled) return this.startExchange(current, pooled, true);
    this.context.pool.open(backend, this.settings.connectTimeoutMs, (error, socket) => {
      if (this.current !== current || this.socket.destroyed) {
        socket?.destroy(); // the client left meanwhile
        return;
      }
      if (!error) return this.startExchange(current, socket!, false);
      endAttempt(current);
      this.markFailed(current, index);
      current.failures.push(describeFailure(error, backend));
      this.tryNextBackend(); // nothing was sent: any method may go to the next backend
    });
  }

  private startExchange(current: Forwarding, upstream: Socket, reused: boolean): void {
    const backend = current.vhost.backends[current.backend];
    this.trace?.answeredBy(`backend ${backend.key}`);
    const client: ClientSide = {
      write: this.trace ? (data) => (this.trace!.responseWrite(data), this.send(data)) : (data) => this.send(data),
      http10: current.head.version === 'HTTP/1.0',
      holdForUpstream: (hold) => (hold ? this.hold('upstream') : this.release('upstream')),
      // Decided when the response head is written; a body still arriving means the exchange ends early.
      canKeepAlive: () => current.head.keepAlive && !this.draining && current.body.done,
    };
    const options = { method: current.head.method, backend, timeoutMs: this.settings.upstreamTimeoutMs, maxResponseHeadBytes: 64 * 1024 };
    const exchange = new Exchange(upstream, client, this.context.pool, options, (outcome) => this.onExchangeDone(current, reused, outcome));
    current.exchange = exchange;
    exchange.sendRequest(Buffer.concat([current.upstreamHead, ...current.received]), current.body.done);
    if (!current.resendable) current.received = []; // from now on the body streams straight through
    this.release('connect');
  }

  private onExchangeDone(current: Forwarding, reused: boolean, outcome: Outcome): void {
    if (this.current !== current) return;
    const index = current.backend;
    const backend = current.vhost.backends[index];
    current.exchange = null;
    endAttempt(current);
    if (outcome.kind === 'complete') {
      current.balancer.succeeded(index);
      this.log(current.head, `-> ${backend.key} ${outcome.status}`);
      return this.finishRequest(outcome.keepClient);
    }
    if (outcome.kind === 'broken') {
      this.markFailed(current, index);
      this.log(current.head, `-> ${backend.key} response cut off`);
      this.socket.destroy(); // the head is out: closing is the only way left to say "incomplete"
      return;
    }
    const resend = outcome.mayResend && current.resendable;
    // A pooled connection the backend had just closed: the request never arrived, send it on a fresh one.
    // Not a failure of the backend: idle connections close, that is how keep-alive ends.
    if (resend && reused) return this.tryBackend(index, false);
    this.markFailed(current, index);
    if (resend && isIdempotent(current.head.method)) {
      current.failures.push(outcome.reason);
      return this.tryNextBackend();
    }
    this.answer(outcome.status, `${current.vhost.name}: ${outcome.reason}.`, !current.body.done, current.head);
  }

  /** Passive health: counts a failure of backend `index`, and says so in the log when that marks it down. */
  private markFailed(current: Forwarding, index: number): void {
    if (!current.balancer.failed(index, this.settings.now())) return;
    const { failTimeoutMs } = current.vhost;
    this.settings.onLog?.(`backend ${current.vhost.backends[index].key} of ${current.vhost.name} marked down for ${failTimeoutMs} ms`);
  }

  /** Answers from the proxy itself (parse errors, unknown host, 408, 502, 504), in JSON unless a browser asked. */
  private answer(status: number, reason: string, close: boolean, head?: RequestHead, logNote = ''): void {
    if (this.socket.destroyed) return;
    const res = errorResponse(status, reason, wantsJson(head?.headers.get('accept')));
    const closeNow = close || this.phase === 'closing' || this.draining;
    const serialized = serializeHead(res, { close: closeNow, http10: head?.version === 'HTTP/1.0', headRequest: head?.method === 'HEAD' });
    const body = head?.method === 'HEAD' ? EMPTY : (res.body as Buffer);
    const bytes = Buffer.concat([Buffer.from(serialized.head, 'latin1'), body]);
    this.trace?.answeredBy('the proxy itself');
    this.trace?.response(bytes);
    this.send(bytes);
    if (head) this.log(head, `-> proxy ${status}${logNote}`);
    this.finishRequest(!serialized.close);
  }

  /** The response is out: close, or go on with the next request on this connection. */
  private finishRequest(keepOpen: boolean): void {
    this.current = null;
    if (!keepOpen || this.phase === 'closing' || this.draining) return this.closeAfterWrite();
    this.restartIdleClock();
    // New holds first, old ones after: in between, the socket must not be read even for a moment.
    if (this.outputFull()) this.hold('output'); // 'drain' reads on
    this.holdForPipeline();
    this.releaseWithoutReading('upstream');
    this.releaseWithoutReading('connect');
    // Not a direct call: a long run of pipelined requests answered at once must not grow the stack.
    if (this.input.length > 0 || this.clientEnded) setImmediate(() => this.read());
  }

  isBusy(): boolean {
    return this.current !== null;
  }

  /** Our output has been read: the backend may send more, and a waiting pipelined request may start. */
  protected override outputDrained(): void {
    this.current?.exchange?.onClientDrain();
    super.outputDrained();
  }

  /**
   * The client will send nothing more. Half-close is allowed (RFC 9112 §9.6): every request it sent before
   * is answered in order; only a request cut short by the FIN can never be completed.
   */
  protected override clientFinished(): void {
    if (this.current && !this.current.body.done) return void this.socket.destroy();
    super.clientFinished();
  }

  protected override onWriteTimeout(): void {
    this.settings.onLog?.(`${clientIp(this.remoteAddress)} read nothing for ${this.settings.writeTimeoutMs} ms: connection closed`);
    super.onWriteTimeout();
  }

  onGone(): void {
    const current = this.current;
    if (!current) return;
    current.exchange?.abort();
    endAttempt(current);
    this.current = null;
  }

  private log(head: RequestHead, result: string): void {
    this.settings.onLog?.(
      `${clientIp(this.remoteAddress)} ${head.method} ${head.target} (Host: ${head.headers.get('host') ?? '-'}) ${result}`,
    );
  }
}
