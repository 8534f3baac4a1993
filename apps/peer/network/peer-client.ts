/**
 * The client towards the other peers: connect, post messages (the courier `delivery/` hands them to), ask for
 * a page of history, say goodbye. Requests go straight to the other peers, over the shared keep-alive
 * `HttpClient`, each with its own timeout, signed by this peer's key (messages to a peer whose box key it holds
 * carry the pair's MAC instead: `identity/pair-keys.ts`). Ports `connect_to_peer` and the sending
 * half of `broadcast_message` and `send_direct_message` of WeApRous `apps/peer.py`.
 */

import type { HttpClient } from '../../../daemon/client';
import type { ConnectBody, PeerEntry } from '../../protocol';
import { reasonOf } from '../../text';
import { type Courier, Refused } from '../delivery/courier';
import { pairAuthorization } from '../identity/pair-keys';
import type { Trust } from '../identity/trust';
import type { ChatMessage } from '../model/message';
import type { Address, ChatState, PeerInfo } from '../model/peers';
import { expectOk } from './tracker-client';

/** A peer to connect to: an entry of the tracker's list. */
type Target = PeerEntry;

export class PeerClient implements Courier {
  /** Peers that answered `/messages/` with 404 or 405: they take one message per request. */
  private readonly singleOnly = new Set<string>();

  constructor(
    private readonly client: HttpClient,
    private readonly state: ChatState,
    /** Signs what this peer sends and checks the keys of the peers it meets; without it, nothing is signed. */
    private readonly trust: Trust | null,
    private readonly timeoutMs = 3_000,
  ) {}

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
   * Connects to several peers at once, in the order given, at most `MAX_CONNECTING` out at a time. Each joins the
   * connected peers the moment it answers, and `onEach` hears it then (with how long it took), not after the rest:
   * a list full of addresses that never answer must not hold up the peers that do.
   */
  async connectAll(
    targets: Target[],
    onEach: (target: Target, result: PromiseSettledResult<PeerInfo>, elapsedMs: number) => void = () => {},
  ): Promise<PromiseSettledResult<PeerInfo>[]> {
    // At most MAX_CONNECTING at once: a tracker list poisoned with 1,000 ports that never answer must not use
    // up this peer's descriptors (its own server would then reset the connections coming in).
    const results: PromiseSettledResult<PeerInfo>[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < targets.length; i = next++) {
        const started = Date.now();
        results[i] = await this.introduce(targets[i]).then(
          (value): PromiseSettledResult<PeerInfo> => ({ status: 'fulfilled', value }),
          (reason: unknown): PromiseSettledResult<PeerInfo> => ({ status: 'rejected', reason }),
        );
        if (results[i].status === 'fulfilled') this.state.connect((results[i] as PromiseFulfilledResult<PeerInfo>).value);
        onEach(targets[i], results[i], Date.now() - started);
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_CONNECTING, targets.length) }, worker));
    return results;
  }

  private async introduce(target: Target): Promise<PeerInfo> {
    const { ip, port, peer_id, name, scheme } = this.state.self;
    const hello: ConnectBody & Record<string, unknown> = { ip, port, peer_id, name };
    if (scheme === 'https') hello.scheme = scheme; // the other peer reaches us over TLS; absent: the document's hello
    // The tracker's list says how to reach it for this hello (`urlOf` takes `target.scheme`); it is remembered only
    // once the peer answered with its key (`ChatState.connect`): a stranger's registration of the id cannot pin it.
    if (this.trust) {
      const { publicKey, boxKey, boxKeySignature } = this.trust.identity;
      // Signed for its receiver and now (`notForNow` in signature.ts): a copy cannot connect us elsewhere, or later.
      Object.assign(hello, { public_key: publicKey, box_key: boxKey, box_key_signature: boxKeySignature, ...this.addressed(target) });
    }
    const body = expectOk(await this.post(target, '/connect-peer/', this.signed(hello)));
    if (
      this.trust &&
      !this.trust.answered(target.peer_id, body.public_key, { box_key: body.box_key, box_key_signature: body.box_key_signature })
    ) {
      throw new Error(`${target.peer_id} answered with a different key from the one this peer remembers; not connected`);
    }
    const peerName = typeof body.name === 'string' && body.name !== '' ? body.name : target.peer_id;
    const peer: PeerInfo = { peer_id: target.peer_id, ip: target.ip, port: target.port, name: peerName };
    return target.scheme === 'https' ? { ...peer, scheme: 'https' } : peer;
  }

  /**
   * Posts a message now: `/send-peer/` for a direct one, `/broadcast-peer/` otherwise. Resolves on 2xx;
   * rejects with `Refused` on 4xx (sending again cannot help), with the reason otherwise.
   */
  async send(peer: Address, message: ChatMessage): Promise<void> {
    const path = message.channel.startsWith('@') ? '/send-peer/' : '/broadcast-peer/';
    const body = this.signedMessage(message);
    const pairKey = this.pairKeyWith(peer);
    let response = await this.post(peer, path, body, pairKey);
    // A 401 to a MAC: one of the two may hold an old box key of the other. Once more on the signature alone.
    if (pairKey && response.status === 401) response = await this.post(peer, path, body);
    try {
      expectOk(response);
    } catch (error) {
      // 429 (too many at once) and 409 (not a member yet) are "later", not "never": the message stays in the outbox.
      if (response.status >= 400 && response.status < 500 && !isLater(response.status)) throw new Refused(reasonOf(error));
      throw error;
    }
  }

  /**
   * Posts several messages to one peer in one request (`POST /messages/`); resolves with each one's
   * outcome: null when the peer has it, else the reason it refused it (4xx: sending again cannot help). Rejects
   * when none may have been stored (no answer, 5xx). Resolves null for a peer without `/messages/` (404, 405:
   * the document's kind), remembered as such: it takes one message per request (`courier.ts`).
   */
  async sendBatch(peer: Address, messages: ChatMessage[]): Promise<Array<string | null> | null> {
    if (this.singleOnly.has(peer.peer_id)) return null;
    // For this receiver and now, and checked once for all its messages: by the pair's MAC when this peer shares a
    // key with it, else by a signature of the whole batch (a receiver that takes neither checks each message's own).
    const batch = { messages: messages.map((message) => this.signedMessage(message)), ...this.addressed(peer) };
    const pairKey = this.pairKeyWith(peer);
    let response = await this.post(peer, '/messages/', pairKey ? batch : this.signed(batch), pairKey);
    if (pairKey && response.status === 401) response = await this.post(peer, '/messages/', this.signed(batch)); // as in `send`
    if (response.status === 404 || response.status === 405) {
      this.singleOnly.add(peer.peer_id);
      return null;
    }
    const body = expectOk(response);
    const results = Array.isArray(body.results) ? body.results : [];
    if (results.length !== messages.length)
      throw new Error(`${peer.peer_id} answered ${results.length} results for ${messages.length} messages`);
    return results.map((result: unknown) => {
      const r = (typeof result === 'object' && result !== null ? result : {}) as { status?: unknown; code?: unknown; error?: unknown };
      if (r.status === 'received') return null;
      const code = typeof r.code === 'number' ? r.code : 500;
      if (code >= 500 || isLater(code)) throw new Error(`${peer.peer_id} did not take a message now: ${String(r.error)}`);
      return typeof r.error === 'string' ? r.error : `refused (${code})`;
    });
  }

  /** `to` and `time` for a signed request to `peer` (none when nothing is signed: the document's bodies). */
  private addressed(peer: Address): { to?: string; time?: number } {
    return this.trust ? { to: peer.peer_id, time: Date.now() } : {};
  }

  /** A message as sent: with the signature it was stored with, or signed now. */
  private signedMessage(message: ChatMessage): ChatMessage {
    return message.signature !== undefined ? message : this.signed(message);
  }

  /**
   * `GET /history/?channel=...&since=...&after=...&peer=<us>`: one page of a channel from another peer, from just
   * after the message `(since, after)` (a clock and an id; `after` empty: from the clock on); with `arrived`, what
   * the peer stored from that place on (a peer that answers by clock only ignores it: its answer has no `arrived`).
   */
  async historyPage(peer: Address, channel: string, from: PageFrom): Promise<HistoryAnswer> {
    // `to` and `time` make a captured query useless to another peer, or a few minutes later (`notForNow` in signature.ts).
    const asked: Record<string, string> = {
      channel,
      since: String(from.since),
      peer: this.state.self.peer_id,
      to: peer.peer_id,
      time: String(Date.now()),
    };
    if (from.after !== undefined && from.after !== '') asked.after = from.after;
    if (from.arrived !== undefined) asked.arrived = String(from.arrived);
    const params: Record<string, string> = this.signed(asked);
    const query = Object.entries(params)
      .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
      .join('&');
    const url = `${this.urlOf(peer)}/history/?${query}`;
    const body = expectOk(await this.client.request(url, { timeoutMs: this.timeoutMs, maxBodyBytes: MAX_PAGE_BYTES }));
    const answer: HistoryAnswer = { messages: Array.isArray(body.messages) ? body.messages : [], more: body.more === true };
    const { arrived, history } = body as { arrived?: unknown; history?: unknown };
    if (
      typeof arrived === 'number' &&
      Number.isSafeInteger(arrived) &&
      arrived >= 0 &&
      typeof history === 'string' &&
      history.length <= 100
    )
      return { ...answer, arrived, history };
    return answer;
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

  /** `https://...` for a peer heard to serve HTTPS (`ChatState.schemeOf`), even when `peer` came from its id alone. */
  private urlOf(peer: Address): string {
    return peerUrl({ ...peer, scheme: peer.scheme ?? this.state.schemeOf(peer.peer_id) });
  }

  /** The key this peer shares with `peer` (`identity/pair-keys.ts`), once its box key is known. */
  private pairKeyWith(peer: Address): Buffer | undefined {
    return this.trust?.pairKeyWith(this.state.self.peer_id, peer.peer_id);
  }

  /**
   * A POST whose answer is small (`{"status":"ok",...}`): a peer answering megabytes is cut off. With the pair's
   * key, it carries `Authorization: Pair <mac>` of the exact bytes sent.
   */
  private post(peer: Address, path: string, json: unknown, pairKey?: Buffer) {
    const body = Buffer.from(JSON.stringify(json), 'utf8');
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (pairKey) {
      const request = { from: this.state.self.peer_id, to: peer.peer_id, method: 'POST', path, body };
      headers.Authorization = pairAuthorization(pairKey, request);
    }
    return this.client.request(this.urlOf(peer) + path, {
      method: 'POST',
      headers,
      body,
      timeoutMs: this.timeoutMs,
      maxBodyBytes: MAX_ANSWER_BYTES,
    });
  }
}

/** A 4xx that means "not now" (docs/protocol.md): 429 too many at once, 409 not a channel's member yet. */
export function isLater(status: number): boolean {
  return status === 429 || status === 409;
}

/** Requests to connect to other peers out at once (`connectAll`). */
export const MAX_CONNECTING = 64;

/** The largest answer to a POST to another peer: results of a batch of 100, or a connect answer, need far less. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The largest history page taken from another peer. A peer answers at most about 1 MB of messages a page
 * (`MAX_PAGE_ANSWER_BYTES` of server.ts), and one message can be 60 KB; a bigger answer is refused, not held.
 */
/** Where a history page starts: after the message `(since, after)`, or, asked of a peer that answers by place, at `arrived`. */
export interface PageFrom {
  since: number;
  after?: string;
  arrived?: number;
}

/** A history page as read: its messages (unchecked), whether more follow, and where to ask next when the peer said. */
export interface HistoryAnswer {
  messages: unknown[];
  more: boolean;
  arrived?: number;
  history?: string;
}

export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

/** `http://127.0.0.1:5002` (`https://` for a peer that serves HTTPS), with brackets around an IPv6 address. */
export function peerUrl(peer: { ip: string; port: number; scheme?: string }): string {
  return `${peer.scheme === 'https' ? 'https' : 'http'}://${peer.ip.includes(':') ? `[${peer.ip}]` : peer.ip}:${peer.port}`;
}
