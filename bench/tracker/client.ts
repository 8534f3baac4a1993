/**
 * The tracker benchmark's load generator side: one keep-alive HTTP/1.1 connection that sends a request, reads
 * exactly one response (by `Content-Length`, the only framing the tracker uses) and times it, and a pool of
 * them that sends queued requests on whichever connection is free. Deliberately small, so the generator's
 * CPU goes to load, not parsing: bodies are kept as bytes. New: no WeApRous twin.
 */

import { connect, type Socket } from 'node:net';

export interface Answer {
  status: number;
  /** The body, as received. */
  body: Buffer;
  /** From the first byte written to the last byte read, in microseconds. */
  micros: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

export class Connection {
  private chunks: Buffer[] = [];
  private received = 0;
  /** Where the body starts and how long it is, once the head has been read. */
  private framing?: { status: number; bodyStart: number; length: number };
  private waiting?: { started: bigint; done: (answer: Answer) => void; fail: (error: Error) => void };
  /** The tracker closes a connection idle for 5 s (its keep-alive timeout); a write to it would vanish. */
  closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly host: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (error) => this.failWith(error));
    socket.on('close', () => {
      this.closed = true;
      this.failWith(new Error('the tracker closed the connection'));
    });
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Connection(socket, `127.0.0.1:${port}`));
      });
    });
  }

  /** Sends one request and resolves with its answer; one at a time per connection. */
  request(method: 'GET' | 'POST', path: string, body?: string): Promise<Answer> {
    if (this.waiting) return Promise.reject(new Error('one request at a time on a connection'));
    if (this.closed) return Promise.reject(new Error('the tracker closed the connection'));
    const payload = body === undefined ? '' : body;
    const head =
      `${method} ${path} HTTP/1.1\r\nHost: ${this.host}\r\n` +
      (body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`) +
      '\r\n';
    return new Promise((done, fail) => {
      this.waiting = { started: process.hrtime.bigint(), done, fail };
      this.socket.write(head + payload);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (!this.framing) {
      const all = Buffer.concat(this.chunks);
      this.chunks = [all];
      const end = all.indexOf(HEAD_END);
      if (end === -1) return;
      const head = all.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      this.framing = { status: Number(head.slice(9, 12)), bodyStart: end + 4, length };
    }
    const { status, bodyStart, length } = this.framing;
    if (this.received < bodyStart + length) return;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const waiting = this.waiting!;
    const micros = Number(process.hrtime.bigint() - waiting.started) / 1000;
    // The tracker answers one request at a time on a connection, so nothing follows the body.
    this.chunks = [];
    this.received = 0;
    this.framing = undefined;
    this.waiting = undefined;
    waiting.done({ status, body: all.subarray(bodyStart, bodyStart + length), micros });
  }

  private failWith(error: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.fail(error);
  }
}

/** A request waiting for a free connection, and what to do with its answer. */
interface Job {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  done: (answer: Answer) => void;
}

/**
 * Connections that take queued requests in order; `backlog` says how far the tracker is behind. The free
 * connection used longest ago goes first, so all stay busy; one the tracker closed is opened again.
 */
export class Pool {
  private readonly idle: Connection[] = [];
  private readonly queue: Job[] = [];
  private busy = 0;
  failures = 0;
  lastFailure = '';

  private constructor(
    private readonly port: number,
    connections: Connection[],
  ) {
    this.idle.push(...connections);
  }

  static async open(port: number, size: number): Promise<Pool> {
    return new Pool(port, await Promise.all(Array.from({ length: size }, () => Connection.open(port))));
  }

  get backlog(): number {
    return this.queue.length;
  }

  /** Queues a request; `done` runs with its answer (a failed one counts in `failures`). */
  send(method: 'GET' | 'POST', path: string, body: string | undefined, done: (answer: Answer) => void): void {
    this.queue.push({ method, path, body, done });
    this.pump();
  }

  /** Resolves when every queued request has been answered. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.busy > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  close(): void {
    for (const connection of this.idle) connection.close();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const connection = this.idle.shift()!;
      if (connection.closed) {
        this.reopen();
        continue;
      }
      const job = this.queue.shift()!;
      this.busy++;
      connection.request(job.method, job.path, job.body).then(
        (answer) => {
          this.busy--;
          this.idle.push(connection);
          job.done(answer);
          this.pump();
        },
        (error: Error) => {
          this.busy--;
          this.failures++;
          this.lastFailure = error.message;
          this.reopen();
        },
      );
    }
  }

  private reopen(): void {
    this.busy++;
    Connection.open(this.port).then(
      (connection) => {
        this.busy--;
        this.idle.push(connection);
        this.pump();
      },
      (error: Error) => {
        this.busy--;
        this.failures++;
        this.lastFailure = error.message;
      },
    );
  }
}
