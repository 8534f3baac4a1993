/**
 * What the chaos run's wire carried, request by request: each connection's client-to-server bytes go through
 * daemon/request.ts's own parser, so keep-alive (several requests on one connection, RFC 9112 §9.3) and a
 * request split across chunks count once each. Counts requests by kind and the messages they carry. Pure. New.
 */

import { parseRequest } from '../../daemon/request';

/** Requests seen on the wire, by what they are for; `carried` counts messages in message requests. */
export interface RequestCounts {
  sendPeer: number;
  broadcastPeer: number;
  /** `/messages/`: a batch, several messages in one request. */
  batches: number;
  /** Messages in `/send-peer/`, `/broadcast-peer/` and `/messages/` requests together. */
  carried: number;
  historyPages: number;
  connectPeer: number;
  /** `/identity/`, `/channel-proof/`, `/disconnect-peer/` and anything else to a peer. */
  otherPeer: number;
  /** Every request to the tracker (`/submit-info/`, `/heartbeat/`, `/get-list/`, `/add-list/`, ...). */
  tracker: number;
  /** Connections whose bytes were not HTTP this parser reads (TLS, or a refusal): counted, not parsed further. */
  unparsed: number;
}

export function emptyCounts(): RequestCounts {
  return { sendPeer: 0, broadcastPeer: 0, batches: 0, carried: 0, historyPages: 0, connectPeer: 0, otherPeer: 0, tracker: 0, unparsed: 0 };
}

export function totalRequests(counts: RequestCounts): number {
  const { sendPeer, broadcastPeer, batches, historyPages, connectPeer, otherPeer, tracker } = counts;
  return sendPeer + broadcastPeer + batches + historyPages + connectPeer + otherPeer + tracker;
}

/**
 * One connection's client-to-server direction: `feed` each chunk as it comes; whole requests are counted into
 * `counts` and sliced off, the rest waits for the next chunk. `toTracker` says where the connection goes.
 */
export class RequestStream {
  private pending: Buffer = Buffer.alloc(0);
  private broken = false;

  constructor(
    private readonly counts: RequestCounts,
    private readonly toTracker: boolean,
  ) {}

  feed(chunk: Buffer): void {
    if (this.broken) return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const result = parseRequest(this.pending);
      if (result.kind === 'incomplete') return;
      if (result.kind !== 'request') {
        this.broken = true;
        this.counts.unparsed++;
        this.pending = Buffer.alloc(0);
        return;
      }
      this.count(result.request.path, result.request.body);
      this.pending = this.pending.subarray(result.bytesConsumed);
    }
  }

  private count(path: string, body: Buffer): void {
    const c = this.counts;
    if (this.toTracker) c.tracker++;
    else if (path === '/send-peer/') c.sendPeer++;
    else if (path === '/broadcast-peer/') c.broadcastPeer++;
    else if (path === '/messages/') c.batches++;
    else if (path === '/history/') c.historyPages++;
    else if (path === '/connect-peer/') c.connectPeer++;
    else c.otherPeer++;
    if (this.toTracker) return;
    if (path === '/send-peer/' || path === '/broadcast-peer/') c.carried++;
    if (path === '/messages/') c.carried += messagesIn(body);
  }
}

/** How many messages a `/messages/` body holds: `{"messages":[...]}`; 0 when it is not that shape. */
function messagesIn(body: Buffer): number {
  try {
    const value = JSON.parse(body.toString('utf8')) as { messages?: unknown };
    return Array.isArray(value.messages) ? value.messages.length : 0;
  } catch {
    return 0;
  }
}
