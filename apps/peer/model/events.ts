/**
 * The chat's event log: everything that happens, in order, once each. The console prints from it and every
 * browser's `GET /events/` streams it; the newest events stay in a bounded ring, so a browser that reconnects
 * with `Last-Event-ID` gets what it missed, or is told to reload. No sockets, no timers. New, not in WeApRous.
 */

import { randomBytes } from 'node:crypto';

/** One event as kept and sent: `frame` is its server-sent-events text, built once for every subscriber. */
export interface ChatEvent<T = unknown> {
  /** `<run>-<seq>`, what the browser sends back as `Last-Event-ID`. */
  id: string;
  seq: number;
  type: string;
  data: T;
  frame: string;
}

/** Where a reconnecting browser starts: the events after its last one, or `reload` when they are gone. */
export type Resume = { kind: 'events'; events: ChatEvent[] } | { kind: 'reload' };

export interface EventLogOptions {
  /** Names this run of the peer, so ids from before a restart are recognised as such. */
  run?: string;
  /** Events kept for replay. */
  limit?: number;
  /** Bytes of event text kept for replay: ten big messages must not hold 600 KB each forever. */
  maxBytes?: number;
}

export const EVENT_LIMIT = 1_000;
export const EVENT_BYTES = 4 * 1024 * 1024;

export class EventLog {
  readonly run: string;
  private seq = 0;
  private readonly ring: ChatEvent[] = [];
  private bytes = 0;
  private readonly listeners = new Set<(event: ChatEvent) => void>();
  private readonly limit: number;
  private readonly maxBytes: number;

  constructor(options: EventLogOptions = {}) {
    // Start time and a random part: two runs never share a name, even when started in the same millisecond.
    this.run = options.run ?? `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    this.limit = options.limit ?? EVENT_LIMIT;
    this.maxBytes = options.maxBytes ?? EVENT_BYTES;
  }

  /** The id of the newest event, `<run>-0` before the first: where a fresh subscriber starts. */
  get lastId(): string {
    return `${this.run}-${this.seq}`;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Records an event and tells every listener, in the order they subscribed. `emit('message', view)` */
  emit<T>(type: string, data: T): ChatEvent<T> {
    this.seq += 1;
    const id = `${this.run}-${this.seq}`;
    // JSON.stringify escapes CR and LF, so `data` is one line and cannot end the event early.
    const event: ChatEvent<T> = { id, seq: this.seq, type, data, frame: `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n` };
    this.ring.push(event);
    this.bytes += event.frame.length;
    while (this.ring.length > this.limit || (this.bytes > this.maxBytes && this.ring.length > 1)) {
      this.bytes -= this.ring.shift()!.frame.length;
    }
    for (const listener of [...this.listeners]) listener(event);
    return event;
  }

  /** Calls `listener` with each event from now on; returns the way to stop. */
  on(listener: (event: ChatEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events after `seq`, oldest first; null when some of them have left the ring. */
  after(seq: number): ChatEvent[] | null {
    if (seq >= this.seq) return [];
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    if (seq + 1 < oldest) return null;
    return this.ring.slice(seq + 1 - oldest);
  }

  /**
   * Where a browser that last saw `lastEventId` picks up: the events it missed, or `reload` when the id is
   * from another run (the peer restarted), from the future, malformed, or too old for the ring.
   */
  resume(lastEventId: string): Resume {
    const seq = this.seqOf(lastEventId);
    const events = seq === null ? null : this.after(seq);
    return events === null ? { kind: 'reload' } : { kind: 'events', events };
  }

  /** The sequence number of an id of this run, else null. */
  seqOf(id: string): number | null {
    const dash = id.lastIndexOf('-');
    if (dash <= 0 || id.slice(0, dash) !== this.run || !/^\d{1,15}$/.test(id.slice(dash + 1))) return null;
    const seq = Number(id.slice(dash + 1));
    return seq <= this.seq ? seq : null;
  }

  /** Events held and their bytes, for tests and the docs' figures. */
  get held(): { events: number; bytes: number } {
    return { events: this.ring.length, bytes: this.bytes };
  }
}
