/**
 * One client connection of the reverse proxy: reads request heads with the server's own parser, picks the
 * virtual host by `Host` and a backend by its `dist_policy`, hands the request to an `Exchange`
 * (`upstream.ts`), and answers errors itself (400, 404, 502, 504). One request at a time, so pipelined
 * requests are answered in order. The proxy's twin of `httpadapter.ts`; ports WeApRous `daemon/proxy.py`.
 */

import type { Socket } from 'node:net';
import { parseHead, type ParserLimits, type RequestHead } from './request';
import { errorResponse, serializeHead } from './response';
import { findVirtualHost, type VirtualHost } from './proxyconf';
import type { Balancer, RandomSource } from './balancer';
import { BodyTracker, clientIp, upstreamRequestHead } from './forwarding';
import { describeFailure, Exchange, type ClientSide, type Outcome, type UpstreamPool } from './upstream';

export interface ProxyOptions extends ParserLimits {
  /** A request head that has not fully arrived after this long gets 408. */
  headersTimeoutMs: number;
  /** An idle client connection closes after this long. */
  keepAliveTimeoutMs: number;
  /** A request body that stops arriving for this long gets 408 and the connection closes. */
  bodyTimeoutMs: number;
  /** A client that reads none of our output for this long is cut (it would make us hold its answers). */
  writeTimeoutMs: number;
  /** A backend that sends nothing for this long: 504 (or a cut connection if its response had started). */
  upstreamTimeoutMs: number;
  connectTimeoutMs: number;
  /** Idle pooled backend connections close after this long: below the backends' keep-alive timeout (5 s). */
  upstreamIdleMs: number;
  /** After a response with `Connection: close`, keep reading (and discarding) this long before closing. */
  lingerMs: number;
  random: RandomSource;
  /** The clock for passive health (`max_fails`/`fail_timeout`); tests pass their own. */
  now: () => number;
  /** Called with one line per request, e.g. for the console; null for silence. */
  onLog: ((line: string) => void) | null;
  /** How long `close()` lets in-flight requests finish before cutting connections. */
  closeGraceMs: number;
}

/** What every client connection shares: the virtual hosts, their balancers and the backend pool. */
export interface ProxyContext {
  hosts: readonly VirtualHost[];
  balancers: Map<VirtualHost, Balancer>;
  pool: UpstreamPool;
  options: ProxyOptions;
}

const EMPTY = Buffer.alloc(0);
// RFC 9110 §9.2.2: sending these twice has the effect of sending them once, so a retry is safe.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** The request being forwarded on a client connection. */
interface Forwarding {
  head: RequestHead;
  vhost: VirtualHost;
  balancer: Balancer;
  upstreamHead: Buffer;
  body: BodyTracker;
  /** Body bytes read before a backend connection was ready; all of them, when the body is complete. */
  received: Buffer[];
  /** The whole request is in `received`, so it can be sent again to another backend. */
  resendable: boolean;
  tried: Set<number>;
  failures: string[];
  /** Index of the backend being tried, -1 between attempts. */
  backend: number;
  exchange: Exchange | null;
}

type TimerKind = 'idle' | 'headers' | 'body' | 'linger' | null;
/**
 * Answers queued for a client that is not reading, beyond which no further pipelined request is started
 * (and no more is read from it): without this, a client that sends requests and never reads the answers
 * makes the proxy hold every answer in memory.
 */
export const OUTPUT_HIGH_WATER = 64 * 1024;

/** One client connection: reads request heads, forwards one request at a time, answers errors itself. */
export class ProxyAdapter {
  /** Bytes read from the client and not used yet: the start of the next request. */
  private buffer: Buffer = EMPTY;
  private current: Forwarding | null = null;
  /**
   * Why reading from the client is paused: 'connect', 'upstream' (backend full), 'pipeline' (enough queued),
   * 'output' (the client is not reading its answers).
   */
  private readonly holds = new Set<string>();
  /** No further request will be read: the client asked to close, sent garbage, or the proxy is stopping. */
  private closing = false;
  /** The client sent FIN: the requests already read are still answered, in order, then the connection closes. */
  private ended = false;
  private timer: NodeJS.Timeout | null = null;
  private timerKind: TimerKind = null;
  /** Runs while our output waits for the client to read it; the client is cut when it fires. */
  private writeTimer: NodeJS.Timeout | null = null;
  private readonly options: ProxyOptions;

  constructor(
    private readonly socket: Socket,
    private readonly context: ProxyContext,
    private readonly onClosed: (connection: ProxyAdapter) => void,
  ) {
    this.options = context.options;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => this.socket.destroy()); // the client is gone; 'close' follows
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.onDrain());
    socket.on('finish', () => this.clearWriteTimer());
    this.armTimer();
  }

  private onData(chunk: Buffer): void {
    if (this.current && !this.current.body.done) chunk = this.feedRequestBody(chunk);
    if (chunk.length === 0 || this.closing) return; // after "Connection: close" nothing more is read (RFC 9112 §9.6)
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.holdForPipeline();
    if (!this.current) this.readRequest();
  }

  /**
   * Stops reading while more than a head's worth of pipelined bytes wait, and reads again once they have
   * been used: requests are answered one at a time, so reading faster than that only fills memory.
   */
  private holdForPipeline(): void {
    this.hold('pipeline', this.buffer.length > this.options.maxHeaderBytes);
  }

  /**
   * The client will send nothing more. Half-close is allowed (RFC 9112 §9.6): every request it sent before
   * is answered in order; only a request cut short by the FIN can never be completed.
   */
  private onEnd(): void {
    this.ended = true;
    if (this.current && !this.current.body.done) return void this.socket.destroy();
    if (!this.current && !this.holds.has('output')) this.readRequest(); // else onDrain goes on
  }

  /** Our output has been read: the backend may send more, and a waiting pipelined request may start. */
  private onDrain(): void {
    this.clearWriteTimer();
    this.current?.exchange?.onClientDrain();
    if (!this.holds.has('output')) return;
    this.hold('output', false);
    this.nextRequest();
  }

  private onClose(): void {
    this.setTimer(null);
    this.clearWriteTimer();
    const current = this.current;
    if (current) {
      current.exchange?.abort();
      this.endAttempt(current);
      this.current = null;
    }
    this.onClosed(this);
  }

  /** Parses the next request head from the buffer and starts forwarding it. */
  private readRequest(): void {
    if (this.current || this.closing || this.socket.destroyed) return;
    // After the client's FIN, a head that is not complete now never will be.
    if (this.buffer.length === 0) return this.ended ? this.closeAfterWrite() : this.armTimer();
    const result = parseHead(this.buffer, 0, this.options);
    if (result.kind === 'incomplete') return this.ended ? this.closeAfterWrite() : this.armTimer();
    if (result.kind === 'error') return this.answer(result.error.status, result.error.reason, true);
    this.setTimer(null);
    this.startRequest(result.head, result.headLength);
  }

  private startRequest(head: RequestHead, headLength: number): void {
    const raw = this.buffer.toString('latin1', 0, headLength);
    const afterHead = this.buffer.subarray(headLength);
    this.buffer = EMPTY;
    if (!head.keepAlive) this.closing = true;
    const vhost = findVirtualHost(this.context.hosts, head.headers.get('host'));
    if (!vhost) return this.answerUnknownHost(head, afterHead);

    this.current = {
      head, vhost, balancer: this.context.balancers.get(vhost)!,
      upstreamHead: upstreamRequestHead(raw, head, vhost, this.socket.remoteAddress ?? ''),
      body: new BodyTracker(head.framing, this.options.maxBodyBytes),
      received: [], resendable: false, tried: new Set(), failures: [], backend: -1, exchange: null,
    };
    const rest = this.feedRequestBody(afterHead);
    if (!this.current) return; // the body was malformed and has been answered
    if (!this.closing) this.buffer = rest; // the next pipelined request, if any
    this.holdForPipeline();
    this.current.resendable = this.current.body.done;
    this.tryNextBackend();
  }

  /** 404 naming only the Host asked for: the list of configured hosts is the internal setup, for our log only. */
  private answerUnknownHost(head: RequestHead, afterHead: Buffer): void {
    const host = head.headers.get('host');
    const reason = host === undefined
      ? 'The request has no Host header, so this proxy cannot tell which site it is for.'
      : `No virtual host "${host}" on this proxy.`;
    // The unread body would be taken for the next request: simplest is to close after answering.
    const close = head.framing.kind !== 'none';
    if (!close && !this.closing) this.buffer = afterHead;
    this.holdForPipeline();
    this.answer(404, reason, close, head, ` (configured: ${this.context.hosts.map((h) => h.name).join(', ')})`);
  }

  /** Passes request body bytes on (or keeps them until a backend is connected); returns what follows the body. */
  private feedRequestBody(chunk: Buffer): Buffer {
    const current = this.current!;
    const result = current.body.push(chunk);
    if (result.kind === 'error') {
      this.failRequestBody(result.error.status, result.error.reason);
      return EMPTY;
    }
    const piece = chunk.subarray(0, result.used);
    if (current.exchange) current.exchange.sendRequest(piece, result.done);
    else {
      if (piece.length > 0) current.received.push(piece);
      if (!result.done) this.hold('connect', true); // hold the rest back until a backend is connected
    }
    this.armBodyTimer(true);
    return chunk.subarray(result.used);
  }

  /** The client's body is malformed (400) or stalled (408): answer that if the backend has not started answering, else cut. */
  private failRequestBody(status: number, reason: string): void {
    const current = this.current!;
    const answered = current.exchange?.responding ?? false;
    current.exchange?.abort();
    this.endAttempt(current);
    if (answered) this.socket.destroy();
    else this.answer(status, reason, true, current.head);
  }

  /** Picks the next backend not tried yet for this request; 502 when none is left. */
  private tryNextBackend(): void {
    const current = this.current!;
    const index = current.balancer.pick(current.tried, this.options.now());
    if (index === null) {
      const reason = `No backend of ${current.vhost.name} could be reached: ${current.failures.join('; ')}.`;
      return this.answer(502, reason, !current.body.done, current.head);
    }
    current.tried.add(index);
    this.tryBackend(index, current.resendable);
  }

  /** Sends the request to backend `index`, on a pooled connection when the request could be resent. */
  private tryBackend(index: number, allowPooled: boolean): void {
    const current = this.current!;
    const backend = current.vhost.backends[index];
    current.backend = index;
    current.balancer.begin(index);
    const pooled = allowPooled ? this.context.pool.take(backend) : null;
    if (pooled) return this.startExchange(current, pooled, true);
    this.context.pool.open(backend, this.options.connectTimeoutMs, (error, socket) => {
      if (this.current !== current || this.socket.destroyed) {
        socket?.destroy(); // the client left meanwhile
        return;
      }
      if (!error) return this.startExchange(current, socket!, false);
      this.endAttempt(current);
      this.markFailed(current, index);
      current.failures.push(describeFailure(error, backend));
      this.tryNextBackend(); // nothing was sent: any method may go to the next backend
    });
  }

  private startExchange(current: Forwarding, upstream: Socket, reused: boolean): void {
    const backend = current.vhost.backends[current.backend];
    const client: ClientSide = {
      socket: this.socket,
      write: (data) => this.write(data),
      http10: current.head.version === 'HTTP/1.0',
      holdForUpstream: (hold) => this.hold('upstream', hold),
      // Decided when the response head is written; a body still arriving means the exchange ends early.
      canKeepAlive: () => !this.closing && current.body.done,
    };
    const options = { method: current.head.method, backend, timeoutMs: this.options.upstreamTimeoutMs, maxResponseHeadBytes: 64 * 1024 };
    const exchange = new Exchange(upstream, client, this.context.pool, options, (outcome) => this.onExchangeDone(current, reused, outcome));
    current.exchange = exchange;
    exchange.sendRequest(Buffer.concat([current.upstreamHead, ...current.received]), current.body.done);
    if (!current.resendable) current.received = []; // from now on the body streams straight through
    this.hold('connect', false);
  }

  private onExchangeDone(current: Forwarding, reused: boolean, outcome: Outcome): void {
    if (this.current !== current) return;
    const index = current.backend;
    const backend = current.vhost.backends[index];
    current.exchange = null;
    this.endAttempt(current);
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
    if (resend && IDEMPOTENT.has(current.head.method)) {
      current.failures.push(outcome.reason);
      return this.tryNextBackend();
    }
    this.answer(outcome.status, `${current.vhost.name}: ${outcome.reason}.`, !current.body.done, current.head);
  }

  /** Passive health: counts a failure of backend `index`, and says so in the log when that marks it down. */
  private markFailed(current: Forwarding, index: number): void {
    if (!current.balancer.failed(index, this.options.now())) return;
    const { failTimeoutMs } = current.vhost;
    this.options.onLog?.(`backend ${current.vhost.backends[index].key} of ${current.vhost.name} marked down for ${failTimeoutMs} ms`);
  }

  /** The balancer's in-flight count for the backend being tried goes down, exactly once per attempt. */
  private endAttempt(current: Forwarding): void {
    if (current.backend === -1) return;
    current.balancer.end(current.backend);
    current.backend = -1;
  }

  /** Answers from the proxy itself (parse errors, unknown host, 502, 504), in JSON unless a browser asked. */
  private answer(status: number, reason: string, close: boolean, head?: RequestHead, logNote = ''): void {
    if (this.socket.destroyed) return;
    const wantsJson = !(head?.headers.get('accept') ?? '').includes('text/html');
    const res = errorResponse(status, reason, wantsJson);
    const closeNow = close || this.closing;
    const serialized = serializeHead(res, { close: closeNow, http10: head?.version === 'HTTP/1.0', headRequest: head?.method === 'HEAD' });
    const body = head?.method === 'HEAD' ? EMPTY : (res.body as Buffer);
    this.write(Buffer.concat([Buffer.from(serialized.head, 'latin1'), body]));
    if (head) this.log(head, `-> proxy ${status}${logNote}`);
    this.current = null;
    this.finishRequest(!serialized.close);
  }

  /** The response is out: close, or go on with the next request on this connection. */
  private finishRequest(keepOpen: boolean): void {
    this.current = null;
    if (this.timerKind === 'body') this.setTimer(null);
    this.holds.delete('upstream');
    this.holds.delete('connect');
    if (!keepOpen || this.closing) return this.closeAfterWrite();
    // The client has not read what we sent: no new request until it does ('drain' calls nextRequest).
    if (this.socket.writableLength > OUTPUT_HIGH_WATER) return this.hold('output', true);
    this.nextRequest();
  }

  private nextRequest(): void {
    // Not a direct call: a long run of pipelined requests answered at once must not grow the stack.
    if (this.buffer.length > 0 || this.ended) setImmediate(() => this.readRequest());
    else this.armTimer();
  }

  private hold(reason: string, on: boolean): void {
    if (on) this.holds.add(reason);
    else this.holds.delete(reason);
    if (this.socket.destroyed) return;
    if (this.holds.size > 0) this.socket.pause();
    else this.socket.resume();
    this.armBodyTimer(false);
  }

  /** Every write to the client goes here: a client that stops reading is cut after `writeTimeoutMs`. */
  private write(data: Buffer): boolean {
    const flushed = this.socket.write(data);
    if (!flushed) this.watchOutput();
    return flushed;
  }

  /**
   * Starts the write timeout unless it runs already; 'drain' or 'finish' (the client read it all) stops it.
   * A slow reader that took some of it meanwhile gets another period: only no progress at all is cut.
   */
  private watchOutput(): void {
    if (this.writeTimer || this.socket.destroyed) return;
    const waiting = this.socket.writableLength;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      if (this.socket.writableLength < waiting) return this.watchOutput();
      this.options.onLog?.(`${clientIp(this.socket.remoteAddress)} read nothing for ${this.options.writeTimeoutMs} ms: connection closed`);
      this.socket.destroy();
    }, this.options.writeTimeoutMs);
    this.writeTimer.unref();
  }

  private clearWriteTimer(): void {
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = null;
  }

  /**
   * While a request body is arriving, the client has `bodyTimeoutMs` between pieces (408 after that).
   * Not while we hold its reading ourselves: then the wait is ours, not its. `restart` after a piece.
   */
  private armBodyTimer(restart: boolean): void {
    const waiting = this.current !== null && !this.current.body.done && this.holds.size === 0;
    if (!waiting) {
      if (this.timerKind === 'body') this.setTimer(null);
    } else if (restart || this.timerKind !== 'body') this.setTimer('body');
  }

  /** Ends our side, then reads and discards for a moment so the client is not reset before it reads the answer. */
  private closeAfterWrite(): void {
    this.closing = true;
    this.buffer = EMPTY;
    this.holds.clear();
    if (this.socket.destroyed) return;
    this.socket.end();
    this.socket.resume();
    this.setTimer(null);
    // The linger starts once the answer has left; until then a client that does not read meets the write timeout.
    if (this.socket.writableLength === 0) return this.setTimer('linger');
    this.watchOutput();
    this.socket.once('finish', () => this.setTimer('linger'));
  }

  /** Between requests: the idle timeout if nothing has arrived, the headers timeout once a head has started. */
  private armTimer(): void {
    if (this.current || this.closing) return;
    const kind = this.buffer.length === 0 ? 'idle' : 'headers';
    if (this.timerKind !== kind) this.setTimer(kind); // the headers timeout runs from the first byte, not the last
  }

  private setTimer(kind: TimerKind): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerKind = kind;
    if (kind === null) return;
    const ms = {
      idle: this.options.keepAliveTimeoutMs, headers: this.options.headersTimeoutMs,
      body: this.options.bodyTimeoutMs, linger: this.options.lingerMs,
    }[kind];
    this.timer = setTimeout(() => this.onTimer(kind), ms);
    this.timer.unref();
  }

  private onTimer(kind: TimerKind): void {
    this.timer = null;
    this.timerKind = null;
    if (kind === 'idle') this.closeAfterWrite();
    else if (kind === 'headers') this.answer(408, 'The request head took too long to arrive.', true);
    else if (kind === 'body' && this.current) this.failRequestBody(408, `The request body stopped arriving for ${this.options.bodyTimeoutMs} ms.`);
    else this.socket.destroy();
  }


  private log(head: RequestHead, result: string): void {
    this.context.options.onLog?.(`${clientIp(this.socket.remoteAddress)} ${head.method} ${head.target} (Host: ${head.headers.get('host') ?? '-'}) ${result}`);
  }

  /** Graceful stop: an idle connection closes now, a busy one after its response. */
  drain(): void {
    this.closing = true;
    if (!this.current) this.closeAfterWrite();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
