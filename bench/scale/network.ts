/**
 * The simulated network of the scale bench: no sockets. It counts requests, pages, messages and bytes, and
 * charges each peer's link for the requests it takes part in; and it runs catch-up by arrival position between
 * two simulated peers (`Log`), both sides of a meeting, as the peer will (docs/history.md, "Catch-up").
 * New: the bench's model; the real catch-up is apps/peer/network/catch-up.ts.
 */

import { directChannel } from '../../apps/peer/model/message';
import type { Log } from './log';

/** How a request is charged: a round trip, and its bytes over the link; meetings run `concurrency` at a time. */
export interface LinkModel {
  latencyMs: number;
  bitsPerSecond: number;
  concurrency: number;
}

/** 1 ms a request, 100 Mbit/s, 16 meetings at a time (`MAX_MEET_RETRIES` and `meetAgain`'s 16 in discovery.ts). */
export const LAN: LinkModel = { latencyMs: 1, bitsPerSecond: 100e6, concurrency: 16 };

/** At most this many pages from one peer for one conversation per catch-up (`CATCH_UP_PAGES` of catch-up.ts). */
export const CATCH_UP_PAGES = 100;

/**
 * How catch-up asks. `arrival`: what arrived after the position last reached (the design being built).
 * `digest`: the ask carries, per author, the highest sequence held of the conversation, and the answer holds
 * only what the asker lacks (anti-entropy as Scuttlebutt's EBT does it; not built). `channelPeers`: how many of
 * the peers met a peer asks for its channels (it always asks each for their direct conversation).
 */
export interface AskModel {
  digest: boolean;
  channelPeers: number;
}

export const ASK_ALL: AskModel = { digest: false, channelPeers: Infinity };

/** What the network carried. */
export interface Counts {
  meetings: number;
  requests: number;
  pages: number;
  /** Messages carried in pages, new or not. */
  messages: number;
  /** Of those, messages the asker already held. */
  duplicates: number;
  bytes: number;
}

export class Network {
  readonly counts: Counts = { meetings: 0, requests: 0, pages: 0, messages: 0, duplicates: 0, bytes: 0 };
  /** Per peer: requests it took part in, and bytes over its link. */
  private readonly links = new Map<string, { requests: number; bytes: number }>();
  /** Catch-up cursors: per asker, answering peer and conversation, the position to ask from. */
  private readonly cursors = new Map<string, number>();

  /** Per peer, how many peers it has asked for its channels. */
  private readonly channelAsks = new Map<string, number>();

  constructor(
    readonly model: LinkModel = LAN,
    readonly asks: AskModel = ASK_ALL,
  ) {}

  /** One request between two peers carrying `bytes` (a page's body; a `/connect-peer/` counts none). */
  request(a: string, b: string, bytes: number): void {
    this.counts.requests += 1;
    this.counts.bytes += bytes;
    for (const peer of [a, b]) {
      const link = this.links.get(peer) ?? { requests: 0, bytes: 0 };
      this.links.set(peer, link);
      link.requests += 1;
      link.bytes += bytes;
    }
  }

  /**
   * Simulated seconds until the busiest peer is done: its requests' round trips, `concurrency` at a time, plus
   * its bytes through its own link (the switch is not the limit; each peer's link is).
   */
  seconds(): number {
    const { latencyMs, bitsPerSecond, concurrency } = this.model;
    let worst = 0;
    for (const { requests, bytes } of this.links.values())
      worst = Math.max(worst, (requests * latencyMs) / 1000 / concurrency + (bytes * 8) / bitsPerSecond);
    return worst;
  }

  /** Both sides of a meeting catch up: `/connect-peer/`, then each asks the other for `channels` and their direct conversation. */
  meet(a: Log, b: Log, channels: string[]): void {
    this.counts.meetings += 1;
    this.request(a.selfId, b.selfId, 0);
    this.catchUp(a, b, channels);
    this.catchUp(b, a, channels);
  }

  /** `asker` asks `answerer` for each channel, then for `@asker`, from where it last got to. */
  catchUp(asker: Log, answerer: Log, channels: string[]): void {
    const asked = this.channelAsks.get(asker.selfId) ?? 0;
    this.channelAsks.set(asker.selfId, asked + 1);
    if (asked < this.asks.channelPeers) for (const channel of channels) this.ask(asker, answerer, channel, channel);
    this.ask(asker, answerer, directChannel(asker.selfId), directChannel(asker.selfId));
  }

  /** Pages of one conversation, each charged; the cursor keeps the next position (it only grows). */
  private ask(asker: Log, answerer: Log, asked: string, held: string): void {
    const key = `${asker.selfId} ${answerer.selfId} ${asked}`;
    let position = this.cursors.get(key) ?? 0;
    for (let page = 0; page < CATCH_UP_PAGES; page++) {
      const lacks = this.asks.digest ? (id: string) => !asker.has(id) : undefined;
      const answer = answerer.pageAfter(held, position, asked, lacks);
      this.request(
        asker.selfId,
        answerer.selfId,
        answer.bodyBytes + (lacks ? asker.digestBytes(asked === held ? held : `@${answerer.selfId}`) : 0),
      );
      this.counts.pages += 1;
      this.counts.messages += answer.messages.length;
      for (const message of answer.messages) if (!asker.add(message)) this.counts.duplicates += 1;
      position = answer.next;
      if (!answer.more) break;
    }
    this.cursors.set(key, position);
  }
}
