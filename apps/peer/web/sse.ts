/**
 * `GET /events/`: each browser tab's subscription to the event log, sent as server-sent events (the
 * `text/event-stream` format of the HTML standard) through the framework's streamed responses (`stream()` in
 * daemon/response.ts). New, not in WeApRous.
 */

import type { EventLog } from '../model/events';

export interface StreamOptions {
  /** Open streams at most; one more is refused (503). */
  max?: number;
  /** A comment line after this long without an event, so a dead connection is noticed and proxies keep it open. */
  pingMs?: number;
}

export const MAX_STREAMS = 32;
export const PING_MS = 20_000;
/** How soon a browser reconnects after the connection drops (the `retry:` field), in ms. */
export const RETRY_MS = 1_000;

const DONE: IteratorResult<string> = { done: true, value: undefined };

/**
 * The open streams: opened by `GET /events/`, closed when the browser leaves, its session ends, or the peer
 * quits; at most `max` at once. A stream is only a cursor into the log's ring buffer, so what it has not sent
 * yet is at most the ring (1,000 events, 4 MiB, shared by every tab); a tab that falls further behind is sent
 * `reload` and goes on from the newest event.
 */
export class EventStreams {
  private readonly streams = new Set<EventStream>();
  private readonly max: number;
  private readonly pingMs: number;

  constructor(
    private readonly log: EventLog,
    options: StreamOptions = {},
  ) {
    this.max = options.max ?? MAX_STREAMS;
    this.pingMs = options.pingMs ?? PING_MS;
    log.on(() => {
      for (const stream of this.streams) stream.wake();
    });
  }

  get count(): number {
    return this.streams.size;
  }

  /**
   * A stream that starts after `lastEventId` (replaying what was missed, or `reload`), or with the next event
   * when there is none; `owner` names the session, `alive` says whether it is still logged in. Null when
   * `max` streams are open.
   */
  open(lastEventId: string | undefined, owner: string, alive: () => boolean): EventStream | null {
    if (this.streams.size >= this.max) return null;
    const resume = lastEventId === undefined ? null : this.log.resume(lastEventId);
    const cursor = resume?.kind === 'events' ? this.log.lastSeq - resume.events.length : this.log.lastSeq;
    const stream = new EventStream(this.log, cursor, resume?.kind === 'reload', owner, alive, this.pingMs, () =>
      this.streams.delete(stream),
    );
    this.streams.add(stream);
    return stream;
  }

  /** Ends the streams of one session (it logged out): each is sent `logout` first. */
  closeOwner(owner: string): void {
    for (const stream of this.streams) if (stream.owner === owner) stream.end('logout');
  }

  /** Ends every stream (the peer quits), so closing the server does not wait for them. */
  closeAll(): void {
    for (const stream of this.streams) stream.end();
  }
}

/** One tab's stream: an async iterator of text pieces for `stream()`, each a batch of whole events. */
export class EventStream implements AsyncIterable<string>, AsyncIterator<string> {
  private started = false;
  private closed = false;
  /** The last frame to send before ending (`logout`), if any. */
  private farewell: string | null = null;
  private waiting: (() => void) | null = null;

  constructor(
    private readonly log: EventLog,
    /** The seq of the last event this stream has sent (or skipped). */
    private cursor: number,
    private reloadOwed: boolean,
    readonly owner: string,
    private readonly alive: () => boolean,
    private readonly pingMs: number,
    private readonly onClose: () => void,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this;
  }

  async next(): Promise<IteratorResult<string>> {
    for (;;) {
      if (this.farewell !== null) {
        const last = this.farewell;
        this.farewell = null;
        this.close();
        return { done: false, value: last };
      }
      if (this.closed) return DONE;
      if (!this.alive()) {
        this.end('logout');
        continue;
      }
      const text = this.take();
      if (text !== '') return { done: false, value: text };
      if (await this.sleep()) return { done: false, value: ': ping\n\n' };
    }
  }

  /** The reader is gone (the browser closed the tab or the connection broke). */
  async return(): Promise<IteratorResult<string>> {
    this.close();
    return DONE;
  }

  /** New events: a stream waiting for them goes on. */
  wake(): void {
    this.waiting?.();
  }

  /** Ends the stream, after a last `event: <type>` when one is given. */
  end(type?: string): void {
    if (this.closed) return;
    if (type !== undefined) this.farewell = `event: ${type}\ndata: {}\n\n`;
    else this.close();
    this.wake();
  }

  /** What is owed now: the `retry:` field first, a `reload` if the browser's last event is gone, then events. */
  private take(): string {
    let text = '';
    if (!this.started) {
      this.started = true;
      text += `retry: ${RETRY_MS}\n\n`;
    }
    const events = this.log.after(this.cursor);
    if (events === null) this.reloadOwed = true; // fell behind the ring
    if (this.reloadOwed) {
      this.reloadOwed = false;
      this.cursor = this.log.lastSeq;
      // Its id moves the browser's Last-Event-ID to now, so the next reconnect does not ask for the gap again.
      return text + `id: ${this.log.lastId}\nevent: reload\ndata: {}\n\n`;
    }
    for (const event of events!) text += event.frame;
    if (events!.length > 0) this.cursor = events![events!.length - 1].seq;
    return text;
  }

  /** Waits for an event, the end, or `pingMs`; true when it was the ping time. */
  private sleep(): Promise<boolean> {
    return new Promise((done) => {
      const timer = setTimeout(() => finish(true), this.pingMs);
      const finish = (ping: boolean) => {
        clearTimeout(timer);
        this.waiting = null;
        done(ping);
      };
      this.waiting = () => finish(false);
    });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting?.();
    this.onClose();
  }
}
