/**
 * The peer's outgoing side of the peer-to-peer half: connect to a peer, broadcast to every connected peer,
 * send to one, say goodbye. Requests go straight to the other peers (never through the tracker), all at
 * once, over the shared keep-alive `HttpClient`, each with its own timeout, so one dead or hung peer
 * delays nobody. Ports `connect_to_peer`, `broadcast_message` and `send_direct_message` of WeApRous
 * `apps/peer.py`, which sent one `urllib2` request after another and stalled on the first dead peer.
 */

import { ClientError, type HttpClient } from '../../../daemon/client';
import type { ConnectBody, PeerEntry } from '../../protocol';
import { type Address, type Outcome, Refused } from '../delivery/delivery';
import type { ChatMessage } from '../model/message';
import type { Trust } from '../identity/trust';
import { expectOk } from './tracker-client';
import type { ChatState, PeerInfo } from '../model/peers';
import type { Failure } from '../console/lines';

export interface BroadcastResult {
  sent: number;
  total: number;
  failures: Failure[];
  /** Peers that refused the connection: nothing listens there any more, so they were dropped. */
  dropped: PeerInfo[];
  /** Peers the message waits for in their outbox, and how many wait for each. */
  queued: Array<{ peer: PeerInfo; waiting: number }>;
}

/** Hands one message to one peer: at once, or through its outbox (`Delivery.deliver`). */
export type Deliver = (peer: PeerInfo, message: ChatMessage) => Promise<Outcome>;

/** A peer to connect to: an entry of the tracker's list. */
type Target = PeerEntry;

export class Mesh {
  constructor(
    private readonly client: HttpClient,
    private readonly state: ChatState,
    private readonly timeoutMs = 3_000,
    deliver?: Deliver,
  ) {
    this.deliver = deliver ?? ((peer, message) => this.sendNow(peer, message));
  }

  private readonly deliver: Deliver;
  /** Peers that answered `/messages/` with 404 or 405: they take one message per request. */
  private readonly singleOnly = new Set<string>();
  /** Signs what this peer sends, once the peer has its identity; unsigned without. */
  trust: Trust | null = null;

  private signed<T extends object>(body: T): T {
    return this.trust ? this.trust.sign(body) : body;
  }

  /** `POST /connect-peer/` with our address and name; the answer tells the other peer's name. */
  async connect(target: Target): Promise<PeerInfo> {
    const [result] = await this.connectAll([target]);
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }

  /**
   * Connects to several peers at once. They join the connected peers in the order given (the tracker's),
   * not in the order their answers happen to arrive, so `/peers` lists them as the start-up lines did.
   */
  async connectAll(targets: Target[]): Promise<PromiseSettledResult<PeerInfo>[]> {
    // At most MAX_CONNECTING at once: a tracker list poisoned with 1,000 ports that never answer must not use
    // up this peer's descriptors (its own server would then reset the connections coming in).
    const results: PromiseSettledResult<PeerInfo>[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < targets.length; i = next++) {
        results[i] = await this.introduce(targets[i]).then(
          (value): PromiseSettledResult<PeerInfo> => ({ status: 'fulfilled', value }),
          (reason: unknown): PromiseSettledResult<PeerInfo> => ({ status: 'rejected', reason }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_CONNECTING, targets.length) }, worker));
    for (const result of results) if (result.status === 'fulfilled') this.state.connect(result.value);
    return results;
  }

  private async introduce(target: Target): Promise<PeerInfo> {
    const { ip, port, peer_id, name } = this.state.self;
    const hello: ConnectBody & { public_key?: string } = { ip, port, peer_id, name };
    if (this.trust) hello.public_key = this.trust.identity.publicKey;
    const body = expectOk(await this.post(target, '/connect-peer/', this.signed(hello)));
    if (this.trust && !this.trust.answered(target.peer_id, body.public_key)) {
      throw new Error(`${target.peer_id} answered with a different key from the one this peer remembers; not connected`);
    }
    const peerName = typeof body.name === 'string' && body.name !== '' ? body.name : target.peer_id;
    return { peer_id: target.peer_id, ip: target.ip, port: target.port, name: peerName };
  }

  /**
   * Hands a stored message to every connected peer, and to `owed` (peers not connected that messages still
   * wait for), all at once; drops the connected peers that turn out to be gone. The body is the message
   * itself: the document's fields (`from`, `name`, `msg`, `timestamp`) and `id`, `channel`, `clock`.
   */
  async broadcast(message: ChatMessage, owed: PeerInfo[] = []): Promise<BroadcastResult> {
    return this.multicast(message, [...this.state.peers(), ...owed.filter((peer) => !this.state.isConnected(peer.peer_id))]);
  }

  /** Hands a stored message to each of `peers` at once (a channel's members); as `broadcast` reports. */
  async multicast(message: ChatMessage, peers: PeerInfo[]): Promise<BroadcastResult> {
    const outcomes = await Promise.all(peers.map((peer) => this.deliver(peer, message)));
    const result: BroadcastResult = { sent: 0, total: peers.length, failures: [], dropped: [], queued: [] };
    outcomes.forEach((outcome, i) => {
      if (outcome.kind === 'sent') return void (result.sent += 1);
      result.failures.push({ peer: peers[i], reason: outcome.reason });
      if (outcome.kind === 'queued') result.queued.push({ peer: peers[i], waiting: outcome.waiting });
      if (isRefused(outcome.error) && this.state.disconnect(peers[i].peer_id)) result.dropped.push(peers[i]);
    });
    return result;
  }

  /** Hands a stored message to one peer (`POST /send-peer/`): sent, queued in its outbox, or failed. */
  direct(peer: PeerInfo, message: ChatMessage): Promise<Outcome> {
    return this.deliver(peer, message);
  }

  /**
   * Posts a message now: `/send-peer/` for a direct one, `/broadcast-peer/` otherwise. Resolves on 2xx;
   * rejects with `Refused` on 4xx (sending again cannot help), with the reason otherwise.
   */
  async send(peer: Address, message: ChatMessage): Promise<void> {
    const response = await this.post(
      peer,
      message.channel.startsWith('@') ? '/send-peer/' : '/broadcast-peer/',
      this.signedMessage(message),
    );
    try {
      expectOk(response);
    } catch (error) {
      // 429 (too many at once) is "later", not "never": the message stays in the outbox and goes again.
      if (response.status >= 400 && response.status < 500 && response.status !== 429) throw new Refused(reasonOf(error));
      throw error;
    }
  }

  /**
   * Posts several messages to one peer in one request (`POST /messages/`); resolves with each one's
   * outcome: null when the peer has it, else the reason it refused it (4xx: sending again cannot help). Rejects
   * when none may have been stored (no answer, 5xx). A peer without `/messages/` (404, 405: the document's
   * kind) gets them one by one, in order, and is remembered as such.
   */
  async sendBatch(peer: Address, messages: ChatMessage[]): Promise<Array<string | null>> {
    if (messages.length === 1 || this.singleOnly.has(peer.peer_id)) return this.sendEach(peer, messages);
    // Signed as a whole too: the receiver checks one signature for the batch, not one per message.
    const response = await this.post(peer, '/messages/', this.signed({ messages: messages.map((message) => this.signedMessage(message)) }));
    if (response.status === 404 || response.status === 405) {
      this.singleOnly.add(peer.peer_id);
      return this.sendEach(peer, messages);
    }
    const body = expectOk(response);
    const results = Array.isArray(body.results) ? body.results : [];
    if (results.length !== messages.length)
      throw new Error(`${peer.peer_id} answered ${results.length} results for ${messages.length} messages`);
    return results.map((result: unknown) => {
      const r = (typeof result === 'object' && result !== null ? result : {}) as { status?: unknown; code?: unknown; error?: unknown };
      if (r.status === 'received') return null;
      const code = typeof r.code === 'number' ? r.code : 500;
      if (code >= 500 || code === 429) throw new Error(`${peer.peer_id} did not take a message now: ${String(r.error)}`);
      return typeof r.error === 'string' ? r.error : `refused (${code})`;
    });
  }

  /** One request per message, in order: a refusal is that message's outcome, anything else stops the rest. */
  private async sendEach(peer: Address, messages: ChatMessage[]): Promise<Array<string | null>> {
    const outcomes: Array<string | null> = [];
    for (const message of messages) {
      try {
        await this.send(peer, message);
        outcomes.push(null);
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        outcomes.push(error.message);
      }
    }
    return outcomes;
  }

  /** A message as sent: with the signature it was stored with, or signed now. */
  private signedMessage(message: ChatMessage): ChatMessage {
    return message.signature !== undefined ? message : this.signed(message);
  }

  /** Without an outbox: sent, or failed with the reason. */
  private async sendNow(peer: PeerInfo, message: ChatMessage): Promise<Outcome> {
    try {
      await this.send(peer, message);
      return { kind: 'sent' };
    } catch (error) {
      return { kind: 'failed', reason: reasonOf(error), error };
    }
  }

  /**
   * `GET /history/?channel=...&since=...&after=...&peer=<us>`: one page of a channel from another peer,
   * from just after the message `(since, after)` (a clock and an id; `after` empty: from the clock on).
   */
  async historyPage(peer: Address, channel: string, since: number, after = ''): Promise<{ messages: unknown[]; more: boolean }> {
    // `time` makes a captured query useless a few minutes later (`staleTime` in signature.ts).
    const asked: Record<string, string> = { channel, since: String(since), peer: this.state.self.peer_id, time: String(Date.now()) };
    if (after !== '') asked.after = after;
    const params: Record<string, string> = this.signed(asked);
    const query = Object.entries(params)
      .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
      .join('&');
    const url = `${peerUrl(peer)}/history/?${query}`;
    const body = expectOk(await this.client.request(url, { timeoutMs: this.timeoutMs, maxBodyBytes: MAX_PAGE_BYTES }));
    return { messages: Array.isArray(body.messages) ? body.messages : [], more: body.more === true };
  }

  /**
   * Tells every connected peer that we leave (`POST /disconnect-peer/`), so their /peers drop us. Each is
   * signed for its receiver (`to`) and now (`time`): a copy cannot be replayed to another peer, or later.
   */
  async leave(): Promise<void> {
    const self = this.state.self.peer_id;
    await Promise.allSettled(
      this.state
        .peers()
        .map((peer) => this.post(peer, '/disconnect-peer/', this.signed({ peer_id: self, to: peer.peer_id, time: Date.now() }))),
    );
  }

  /** A POST whose answer is small (`{"status":"ok",...}`): a peer answering megabytes is cut off. */
  private post(peer: { ip: string; port: number }, path: string, json: unknown) {
    return this.client.request(peerUrl(peer) + path, { method: 'POST', json, timeoutMs: this.timeoutMs, maxBodyBytes: MAX_ANSWER_BYTES });
  }
}

/** Requests to connect to other peers out at once (`connectAll`). */
export const MAX_CONNECTING = 64;

/** The largest answer to a POST to another peer: results of a batch of 100, or a connect answer, need far less. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The largest history page taken from another peer. A peer answers at most about 1 MB of messages a page
 * (`MAX_PAGE_ANSWER_BYTES` of server.ts), and one message can be 60 KB; a bigger answer is refused, not held.
 */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

/** `http://127.0.0.1:5002`, with brackets around an IPv6 address. */
export function peerUrl(peer: { ip: string; port: number }): string {
  return `http://${peer.ip.includes(':') ? `[${peer.ip}]` : peer.ip}:${peer.port}`;
}

export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isRefused(error: unknown): boolean {
  return error instanceof ClientError && error.code === 'ECONNREFUSED';
}
