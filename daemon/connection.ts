/**
 * The life of one client connection, shared by the server (httpadapter.ts) and the reverse proxy
 * (proxyadapter.ts): the socket's events, the unread bytes, the phase of the request being read, every
 * timer (head, whole request, body rate, keep-alive, write, linger), back-pressure and closing. A subclass
 * says what the bytes mean through `ConnectionHooks`. New: WeApRous's `HttpAdapter.handle_client` read once,
 * answered once and closed.
 */

import type { Socket } from 'node:net';
import { GrowableBuffer } from './buffer';
import { lastTick, seconds, type ConnectionOptions } from './timeouts';
import type { ConnectionTrace } from './trace';

/** However long a client keeps sending after our last answer, we stop discarding its bytes after this long. */
const MAX_LINGER_MS = 30_000;

/**
 * Where a connection is: between requests (`idle`), reading a request's head or body, `closing` (no
 * further request will be read; answers still go out), `lingering` (our side has ended; input is
 * discarded until the client closes or `lingerMs` passes).
 */
export type Phase = 'idle' | 'head' | 'body' | 'closing' | 'lingering';

/**
 * What each kind of connection says about its bytes (httpadapter.ts from an app, proxyadapter.ts from a
 * backend): `Connection` calls these, and they call back its protected steps (`beginHead`, `hold`, `send`, ...).
 */
export interface ConnectionHooks {
  /** Parses and answers as many requests as the unread bytes hold and the holds allow. */
  readRequests(): void;
  /** Refuses the request being read (a parse error, 408 from a timer, 503 over budget), then closes. */
  refuse(status: number, code: string, reason: string): void;
  /** An answer is in progress or waiting its turn: the keep-alive clock does not run. */
  isBusy(): boolean;
  /** The socket has closed: stop whatever is still in flight. */
  onGone(): void;
  /** The client waits for us before it sends its body (`Expect: 100-continue`): no stall is its fault. By default no. */
  serverOwesReply(): boolean;
}

export abstract class Connection implements ConnectionHooks {
  protected phase: Phase = 'idle';
  protected readonly input = new GrowableBuffer();
  /** The client has sent its FIN: nothing more will arrive. */
  protected clientEnded = false;
  /** The server is shutting down: finish the request in progress, read no further one. */
  protected draining = false;
  /** Read once: `socket.remoteAddress` asks the operating system every time. */
  protected readonly remoteAddress: string | undefined;
  /** What `--trace` prints of this connection (trace.ts); null, and never called, without it. */
  protected readonly trace: ConnectionTrace | null;
  /** Why reading is paused ('pipeline', 'output', 'upstream', ...); reading goes on when it is empty. */
  private readonly holds = new Set<string>();
  private phaseSince = lastTick();
  /** When the last bytes arrived while lingering: we linger until the client has been quiet for `lingerMs`. */
  private lastInputAt = 0;
  private requestStartedAt = 0;
  private windowStartedAt = 0;
  private bytesInWindow = 0;
  /** What the write timeout watches: our output's size and total at the last tick, and when it last moved. */
  private lastUnsent = 0;
  private lastWritten = 0;
  private lastWriteProgress = lastTick();

  constructor(
    protected readonly socket: Socket,
    protected readonly options: ConnectionOptions,
    private readonly onClosed: (connection: Connection) => void,
  ) {
    this.remoteAddress = socket.remoteAddress;
    this.trace = options.trace?.open(socket) ?? null;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => socket.destroy()); // ECONNRESET and friends: nobody to answer; 'close' follows
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.outputDrained());
  }

  abstract readRequests(): void;
  abstract refuse(status: number, code: string, reason: string): void;
  abstract isBusy(): boolean;
  abstract onGone(): void;

  serverOwesReply(): boolean {
    return false;
  }

  private inRead = false;

  private onData(chunk: Buffer): void {
    if (this.phase === 'lingering') {
      this.lastInputAt = lastTick(); // a client still sending has not read our answer yet: keep discarding
      return;
    }
    if (this.phase === 'closing') return; // nothing after the last request is read
    if (this.phase === 'body') this.bytesInWindow += chunk.length;
    this.input.append(chunk);
    if (this.holds.size === 0) this.read();
  }

  /** `readRequests`, marked as running (see `release`). */
  protected read(): void {
    this.inRead = true;
    try {
      this.readRequests();
    } finally {
      this.inRead = false;
    }
  }

  private onEnd(): void {
    this.clientEnded = true;
    this.clientFinished();
  }

  /** The client's FIN: by default answer what was read, then close; the proxy refines this. */
  protected clientFinished(): void {
    if (this.holds.size === 0) this.read();
    this.finishIfDone();
  }

  private onClose(): void {
    this.holds.clear();
    this.input.clear();
    this.onGone();
    this.onClosed(this);
  }

  /** A request's first byte is being read. */
  protected beginHead(): void {
    if (this.phase !== 'idle') return;
    this.setPhase('head');
    this.requestStartedAt = this.phaseSince;
  }

  /** The head is in; its body (if any) follows, and must keep coming at the minimum rate. */
  protected beginBody(bytesAlreadyHere: number): void {
    this.setPhase('body');
    this.windowStartedAt = this.phaseSince;
    this.bytesInWindow = bytesAlreadyHere;
  }

  /**
   * The request has been read whole: back to idle, or to closing when it was the last one. (After the
   * client's FIN, requests already read are still answered; the reader closes when the bytes run out.)
   */
  protected endRequest(last: boolean): void {
    this.requestStartedAt = 0;
    this.setPhase(last || this.draining ? 'closing' : 'idle');
  }

  protected setPhase(phase: Phase): void {
    this.phase = phase;
    this.phaseSince = lastTick();
  }

  /** The client has read everything we wrote: go on reading (and, in a subclass, writing). */
  protected outputDrained(): void {
    this.release('output');
  }

  /** Stops reading for `reason` until `release(reason)`. */
  protected hold(reason: string): void {
    this.holds.add(reason);
    this.socket.pause();
  }

  /**
   * Ends the hold for `reason` and looks at the unread bytes again (`readRequests` itself decides what other
   * holds still allow). A release that happens while `readRequests` is running (a synchronous handler's answer
   * went out from inside it) does not start a second, nested read: the running one goes on by itself.
   */
  protected release(reason: string): void {
    if (this.releaseWithoutReading(reason) && !this.inRead) this.read();
  }

  /** Ends the hold for `reason`; with none left, the socket is read again. False when there was no such hold. */
  protected releaseWithoutReading(reason: string): boolean {
    if (!this.holds.delete(reason) || this.socket.destroyed) return false;
    if (this.holds.size === 0) {
      this.restartBodyWindow(); // a body we did not read while held has not stalled
      if (this.phase !== 'lingering') this.socket.resume();
    }
    return true;
  }

  /** The body-rate window starts again now: after a wait that was ours, not the client's. */
  protected restartBodyWindow(): void {
    this.windowStartedAt = lastTick();
    this.bytesInWindow = 0;
  }

  /** An answer has just gone out: the keep-alive clock of an idle connection starts again from now. */
  protected restartIdleClock(): void {
    if (this.phase === 'idle') this.phaseSince = lastTick();
  }

  protected get reading(): boolean {
    return this.holds.size === 0;
  }

  /** More output is waiting than the client has read: read no further request until it drains. */
  protected outputFull(): boolean {
    return this.socket.writableLength > this.options.maxUnsentBytes;
  }

  /** Writes to the socket. False: the socket's buffer is full (wait for 'drain'). */
  protected send(data: Buffer): boolean {
    return this.socket.write(data);
  }

  /** When nothing is left to answer: close if the client has finished, or the server is draining. */
  protected finishIfDone(): void {
    if (this.isBusy() || this.socket.destroyed || this.phase === 'lingering') return;
    if (this.phase === 'closing') return this.closeAfterWrite();
    // After the client's FIN, requests read but held back (the client was not reading) are still answered.
    if (this.clientEnded && this.input.length > 0 && !this.reading) return;
    const partial = this.phase === 'head' || this.phase === 'body';
    if (this.clientEnded || (this.draining && !partial)) this.closeAfterWrite();
  }

  /** Ends our side; keeps reading (and discarding) for a while so the client is not reset before it reads. */
  protected closeAfterWrite(): void {
    if (this.phase === 'lingering') return;
    this.setPhase('lingering');
    this.holds.clear();
    this.input.clear();
    this.socket.end();
    this.socket.resume();
  }

  /**
   * Called about once a second by the server (`watchTimeouts`): enforces every timer of this connection. While
   * the server is `crowded`, a head has `crowdedHeadersTimeoutMs` to arrive instead of `headersTimeoutMs`. Returns
   * when a check next has work if the connection only waits (idle, lingering): the server may sleep until then.
   */
  checkTimeouts(now: number, crowded = false): number | undefined {
    if (this.socket.destroyed) return;
    if (this.writeStalled(now)) return void this.onWriteTimeout();
    const { options } = this;
    const waits = this.socket.writableLength === 0;
    if (this.phase === 'lingering') {
      const since = Math.max(this.phaseSince, this.lastInputAt);
      // nginx's lingering_timeout and lingering_time: quiet for a while, or at most 30 s in all.
      if (waits && (now - since > options.lingerMs || now - this.phaseSince > MAX_LINGER_MS)) this.socket.destroy();
      else if (waits) return Math.min(since + options.lingerMs, this.phaseSince + MAX_LINGER_MS) + 1;
    } else if (this.phase === 'idle') {
      const quiet = !this.isBusy() && this.input.length === 0 && waits;
      if (quiet && now - this.phaseSince > options.keepAliveTimeoutMs) this.closeAfterWrite();
      else if (quiet) return this.phaseSince + options.keepAliveTimeoutMs + 1;
    } else if (this.phase === 'head' && this.reading) {
      const limit = crowded ? Math.min(options.headersTimeoutMs, options.crowdedHeadersTimeoutMs) : options.headersTimeoutMs;
      if (now - this.requestStartedAt > limit) {
        const busy = crowded && limit < options.headersTimeoutMs ? ' (the server is busy)' : '';
        this.refuse(408, 'HEADERS_TIMEOUT', `The request line and headers took longer than ${seconds(limit)} to arrive${busy}.`);
      }
    } else if (this.phase === 'body') {
      this.checkBody(now);
    }
  }

  private checkBody(now: number): void {
    const { options } = this;
    if (now - this.requestStartedAt > options.requestTimeoutMs) {
      this.refuse(408, 'REQUEST_TIMEOUT', `The request took longer than ${seconds(options.requestTimeoutMs)} to arrive.`);
    } else if (this.reading && !this.serverOwesReply() && now - this.windowStartedAt >= options.bodyRateWindowMs) {
      if (this.bytesInWindow < options.minBodyBytes) {
        const why = `The request body stalled: fewer than ${options.minBodyBytes} bytes arrived in ${seconds(options.bodyRateWindowMs)}.`;
        return this.refuse(408, 'BODY_STALLED', why);
      }
      this.windowStartedAt = now;
      this.bytesInWindow = 0;
    }
  }

  /** The client has read nothing of our output for `writeTimeoutMs`: no answer can reach it. */
  protected onWriteTimeout(): void {
    this.socket.destroy();
  }

  /** Output is waiting and no write has completed for `writeTimeoutMs`. */
  private writeStalled(now: number): boolean {
    // Progress: a write completed (less is unsent) or a new one went out (only after 'drain', once output is full).
    const unsent = this.socket.writableLength;
    const written = this.socket.bytesWritten;
    const moved = unsent === 0 || unsent < this.lastUnsent || written !== this.lastWritten;
    this.lastUnsent = unsent;
    this.lastWritten = written;
    if (moved) this.lastWriteProgress = now;
    return !moved && now - this.lastWriteProgress > this.options.writeTimeoutMs;
  }

  /** Graceful shutdown: finish what is in flight, then close; an idle connection closes at once. */
  drain(): void {
    this.draining = true;
    if (this.phase === 'idle' && this.input.length === 0) this.setPhase('closing');
    this.finishIfDone();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
