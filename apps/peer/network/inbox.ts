/**
 * Inbox: what another peer sends this one, checked alone (fields, the pair's MAC or the sender's signature,
 * channel membership) and stored once, by `/broadcast-peer/`, `/send-peer/`, or several at once by `/messages/`
 * (one write for them all). The 2xx is the acknowledgement and comes only once they are on disk. Ports the
 * message half of `setup_routes()` of WeApRous `apps/peer.py`; batches are new.
 */

import { HttpError } from '../../../daemon/status';
import { GENERAL_CHANNEL, MAX_BATCH_MESSAGES } from '../../protocol';
import type { JsonObject } from '../../json-fields';
import { isRequestMac, pairMacOf } from '../identity/pair-keys';
import { isSealed } from '../identity/sealed';
import type { Trust } from '../identity/trust';
import type { Notify } from '../model/notices';
import type { History } from '../storage/history';
import { type ChatMessage, derivedId, directChannel, type IncomingMessage, readMessage } from '../model/message';
import { RateLimiter } from '../../ratelimit';
import { notForNow } from '../../signature';
import { shareOf } from '../../../daemon/admission';

import type { ChatState } from '../model/peers';
import { HistoryFull } from '../storage/store';
import { OverShare } from '../storage/history';

export type MessageType = 'broadcast' | 'direct';

/** What the inbox works with; `trust` and `gate` are optional, so the routes run alone in a test. */
export interface InboxParts {
  history: History;
  /** Signatures and known keys: without it, every `from` is taken at its word. */
  trust?: Trust;
  /** Channel membership: without it, only #general is taken. */
  gate?: {
    isMember(channel: string): boolean;
    /** Whether `from` is in `channel`, as this peer knows (it may ask the tracker again). */
    admits(channel: string, from: string): Promise<boolean>;
    /** Whether `channel` was joined with a key: its members prove the key (`channel-proof.ts`). */
    isPrivate?(channel: string): boolean;
  };
  /** Shows a stored message (channels, unread, mentions); without it, a `message` notice. */
  onMessage?: (type: MessageType, message: ChatMessage) => void;
  /** Runs the showing of a batch's messages, so a screen can draw them at once (`Terminal.hold`). */
  showing?: <T>(work: () => T) => T;
}

/** One message's outcome in a batch: stored (or held already), or refused with a status and a reason. */
export type BatchResult = { status: 'received' } | { status: 'error'; code: number; error: string };

/**
 * Messages from senders this peer has no key for, per source address: 200 at once, then 10 a second. Any
 * number of made-up senders fit behind one address, and each message is stored; this is what keeps a
 * flood from another machine from filling the history file in seconds. Known senders are not limited, and
 * neither is this machine itself (loopback: the curl examples, scripts, the benchmark's baseline), as the
 * server's per-address connection cap does not count it (`daemon/admission.ts`).
 */
export const UNVERIFIED_BURST = 200;
export const UNVERIFIED_PER_SECOND = 10;

/** What one request's checks share: its source address, and the membership answers already had. */
interface Checking {
  source: string;
  members: Map<string, Promise<void>>;
  /** The sender the pair's MAC or a batch's signature proved sent the request: its messages need no signature check. */
  vouchedFor?: string;
}

/** The request's `Authorization: Pair` MAC, if it carries one; a `Pair` header without a MAC is 401. */
function macOf(proof: RequestProof | undefined): string | undefined {
  const mac = pairMacOf(proof?.authorization);
  if (mac === null) throw new HttpError(401, 'The Authorization header names Pair but carries no MAC (44 characters of base64); refused');
  return mac;
}

/** What a pair's MAC (`identity/pair-keys.ts`) is checked against: the request's `Authorization` header, path and exact body. */
export interface RequestProof {
  authorization?: string;
  path: string;
  body: Buffer;
}

export class Inbox {
  private saidFull = false;
  private readonly strangers = new RateLimiter(UNVERIFIED_BURST, UNVERIFIED_PER_SECOND, 10_000);
  /** Messages checked against their sender's known key on the way in, until they are stored and shown. */
  private readonly signedByKey = new WeakSet<IncomingMessage>();

  constructor(
    private readonly state: ChatState,
    private readonly parts: InboxParts,
    private readonly notify: Notify,
  ) {}

  /** `/broadcast-peer/` or `/send-peer/`: stored, or 507 when the history is full; throws `HttpError` 4xx. */
  async receiveOne(body: JsonObject, type: MessageType, source = '', proof?: RequestProof): Promise<BatchResult> {
    const vouchedFor = this.macSender(body.from, macOf(proof), proof);
    const incoming = await this.check(body, type, { source, members: new Map(), vouchedFor });
    const [result] = await this.store([{ incoming, type }], source);
    return result;
  }

  /** `/messages/`: `{"messages":[...]}`, each message as `/broadcast-peer/` (a channel) or `/send-peer/` (`@...`) takes it. */
  async receiveBatch(body: JsonObject, source = '', proof?: RequestProof): Promise<BatchResult[]> {
    const list = body.messages;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH_MESSAGES)
      throw new HttpError(400, `"messages" must be a list of 1 to ${MAX_BATCH_MESSAGES} messages, each as /broadcast-peer/ takes one`);
    const results: BatchResult[] = [];
    const checking: Checking = { source, members: new Map(), vouchedFor: this.voucher(body, list, proof) };
    const good: Array<{ incoming: IncomingMessage; type: MessageType; at: number }> = [];
    for (const item of list) {
      try {
        if (typeof item !== 'object' || item === null || Array.isArray(item))
          throw new HttpError(400, 'Each message must be a JSON object');
        const type = typeof item.channel === 'string' && item.channel.startsWith('@') ? 'direct' : 'broadcast';
        good.push({ incoming: await this.check(item as JsonObject, type, checking), type, at: results.length });
        results.push({ status: 'received' });
      } catch (error) {
        if (!(error instanceof HttpError) || error.status >= 500) throw error;
        results.push({ status: 'error', code: error.status, error: error.message });
      }
    }
    const stored = await this.store(good, source);
    good.forEach(({ at }, i) => (results[at] = stored[i]));
    return results;
  }

  /**
   * One message body, as the document's routes take it: the document's payload (no id, channel or clock)
   * belongs to #general for a broadcast and to this peer for a direct message. Throws `HttpError` 4xx.
   */
  private async check(body: JsonObject, type: MessageType, checking: Checking): Promise<IncomingMessage> {
    const self = this.state.self;
    const channel = type === 'broadcast' ? GENERAL_CHANNEL : directChannel(self.peer_id);
    const read = readMessage(body, { channel, now: Date.now() / 1000 });
    if (!read.ok) throw new HttpError(400, read.reason);
    const incoming = read.value;
    if (incoming.from === self.peer_id) throw new HttpError(400, `"from" is this peer's own id; a peer does not send to itself`);
    // An id is its sender's: else anyone could take another peer's next ids, and its real messages would be dropped as copies.
    if (!incoming.id.startsWith(`${incoming.from}/`))
      throw new HttpError(400, `"id" must start with the sender's id and "/", here "${incoming.from}/"`);
    if (type === 'direct' && incoming.channel !== channel)
      throw new HttpError(400, `"channel" of a direct message to this peer must be "${channel}" (or leave it out)`);
    await this.checkSender(incoming, body, checking.source, checking.vouchedFor);
    // Two peers with keys never fall back to clear text: a keyed sender seals (docs/identity.md, "Who gets clear text").
    if (type === 'direct' && !isSealed(incoming) && this.parts.trust?.knows(incoming.from))
      throw new HttpError(403, clearDirectReason(incoming.from));
    if (type === 'broadcast' && incoming.channel !== GENERAL_CHANNEL) {
      // One question per channel and sender per request: a batch of 100 need not ask the tracker 100 times.
      const key = `${incoming.channel} ${incoming.from}`;
      const known = checking.members.get(key) ?? this.checkMembers(incoming.channel, incoming.from);
      checking.members.set(key, known);
      await known;
      if (this.parts.gate?.isPrivate?.(incoming.channel) && !isSealed(incoming)) throw new HttpError(400, clearInPrivate(incoming.channel));
    }
    // No name sent: the one it connected with, else its id.
    if (body.name === undefined || body.name === null) incoming.name = this.state.get(incoming.from)?.name ?? incoming.from;
    return incoming;
  }

  /**
   * Who sent it. A signed message from a sender not met yet makes this peer ask the sender's own address for
   * its key (`Trust.learn`); a known sender must have signed it (401). A sender still without a key cannot
   * prove an id is its own, so the message gets the id made from what it says (`derivedId`, as the document's
   * payloads do) and loses its signature: a stranger cannot take a real peer's next ids and make its real
   * messages be dropped as copies. Such messages are rate-limited per source address (429).
   */
  private async checkSender(incoming: IncomingMessage, body: JsonObject, source: string, vouchedFor?: string): Promise<void> {
    const trust = this.parts.trust;
    if (!trust) return;
    if (vouchedFor !== undefined && incoming.from === vouchedFor) {
      this.signedByKey.add(incoming); // the batch's signature covers this message
      return;
    }
    if (!trust.knows(incoming.from) && typeof body.signature === 'string') await trust.learn(incoming.from, source);
    const known = trust.knows(incoming.from);
    trust.check(incoming.from, body);
    if (known) {
      this.signedByKey.add(incoming);
      return;
    }
    const wait = shareOf(source) === null ? 0 : this.strangers.take(source, Date.now());
    if (wait > 0) {
      const why = `Too many messages from senders this peer has no key for, from ${source || 'your address'}; try again in ${wait} s`;
      throw new HttpError(429, why, { headers: { 'Retry-After': String(wait) } });
    }
    const id = derivedId(incoming.from, incoming.channel, incoming.timestamp, incoming.msg);
    if (incoming.id !== id) {
      incoming.id = id;
      delete incoming.signature;
    }
  }

  /**
   * A batch proved as a whole (`PeerClient.sendBatch`): when every message names one sender whose key this peer
   * knows, and the pair's MAC or that key's signature covers the batch, one check stands for all (verifying a
   * signature costs about a quarter of a millisecond, most of what a message costs its receiver). Each message
   * still carries its own signature, stored for catch-up, where whoever gets it checks it. A bad MAC or batch
   * signature from a known sender is refused (401); with neither, each message is checked on its own.
   */
  private voucher(body: JsonObject, list: unknown[], proof?: RequestProof): string | undefined {
    const trust = this.parts.trust;
    const mac = macOf(proof); // a `Pair` header without a MAC is refused whoever the batch is from
    if (!trust) return undefined;
    const first = list[0] as JsonObject | null;
    const from = typeof first === 'object' && first !== null ? first.from : undefined;
    if (typeof from !== 'string' || !trust.knows(from)) return undefined;
    if (!list.every((item) => typeof item === 'object' && item !== null && (item as JsonObject).from === from)) return undefined;
    if (this.macSender(from, mac, proof) === undefined) {
      if (typeof body.signature !== 'string') return undefined;
      trust.check(from, body);
    }
    // The batch names this peer and now: a copy of it vouches for nothing elsewhere, or later.
    const replayed = notForNow(body, this.state.self.peer_id, Date.now());
    if (replayed !== null) throw new HttpError(401, replayed);
    return from;
  }

  /**
   * `from`, when the request's `Authorization: Pair <mac>` (read by `macOf`) is the MAC the key this peer shares with `from` makes
   * of it (`identity/pair-keys.ts`); undefined without such a header, or while no key is shared with `from` (then
   * signatures decide). A MAC that does not check is refused (401), never taken for "no MAC".
   */
  private macSender(from: unknown, mac: string | undefined, proof: RequestProof | undefined): string | undefined {
    const trust = this.parts.trust;
    if (!trust || proof === undefined || mac === undefined || typeof from !== 'string') return undefined;
    const self = this.state.self.peer_id;
    const key = trust.pairKeyWith(self, from);
    if (key === undefined) return undefined;
    if (!isRequestMac(key, { from, to: self, method: 'POST', path: proof.path, body: proof.body }, mac))
      throw new HttpError(401, `The Authorization header is not ${from}'s MAC of this request to this peer; refused`);
    return from;
  }

  /**
   * A channel message needs both ends in the channel, as far as this peer knows. This peer not in it: 403, final.
   * The sender not (yet) known as a member: 409 with `Retry-After`, "not yet", since after a tracker restart the
   * sender's claim may simply not be back (docs/protocol.md, "Not a member yet"); the sender keeps it and retries.
   */
  private async checkMembers(channel: string, from: string): Promise<void> {
    const gate = this.parts.gate;
    if (!gate?.isMember(channel))
      throw new HttpError(403, `This peer is not in #${channel}; it takes broadcasts in #${GENERAL_CHANNEL} only`);
    if (await gate.admits(channel, from)) return;
    throw notMemberYet(channel, from, gate.isPrivate?.(channel) ?? false);
  }

  /** Stores checked messages together and shows each new one, in order; a full history refuses with 507, a spent share 429. */
  private async store(items: Array<{ incoming: IncomingMessage; type: MessageType }>, source: string): Promise<BatchResult[]> {
    // This machine (the curl examples, the demo's peers) is not charged, as its connections are not capped.
    const charged = shareOf(source) ?? undefined;
    const outcomes = await Promise.allSettled(items.map(({ incoming }) => this.parts.history.accept(incoming, charged)));
    const show = () =>
      outcomes.map((outcome, i): BatchResult => {
        if (outcome.status === 'rejected') return this.refusal(outcome.reason);
        const { status, message } = outcome.value;
        // `checkSender` checked it against its sender's key (or the batch's signature did): no second check.
        if (status === 'added' && this.signedByKey.has(items[i].incoming)) this.parts.trust?.vouch(message);
        if (status === 'added') this.display(items[i].type, message);
        return { status: 'received' };
      });
    return items.length > 1 && this.parts.showing ? this.parts.showing(show) : show();
  }

  private display(type: MessageType, message: ChatMessage): void {
    if (this.parts.onMessage) this.parts.onMessage(type, message);
    else this.notify({ kind: 'message', type, message });
  }

  /** Not stored, so not acknowledged: the sender keeps it in its outbox. Said once here, every time to the sender. */
  private refusal(error: unknown): BatchResult {
    if (error instanceof OverShare) return { status: 'error', code: 429, error: error.message };
    if (!(error instanceof HistoryFull)) throw error;
    if (!this.saidFull) this.notify({ kind: 'history-full', reason: error.message });
    this.saidFull = true;
    return { status: 'error', code: 507, error: error.message };
  }
}

/** Why a private channel's message in clear is refused: members seal every one (docs/security/channels.md). */
export function clearInPrivate(channel: string): string {
  return `Messages in #${channel} are sealed with a key derived from the channel's key ("enc"); this one came in clear, so it is not taken`;
}

/**
 * Why a direct message in clear from a sender with a key is refused (403: the same body from a key-less sender
 * is taken, so it is who sends it that is refused, RFC 9110 §15.5.4). A listener who strips "enc" gets 401 first.
 */
export function clearDirectReason(from: string): string {
  return (
    `${from} has a key, so its direct messages to this peer must be sealed ("enc", docs/identity.md "Direct messages, sealed"); ` +
    'this one came in clear and was not stored. Seal the text for the box key this peer gives at GET /identity/ and send it again.'
  );
}

/** Seconds a sender not known as a member yet is told to wait: about one heartbeat, when its claim is back. */
export const NOT_MEMBER_RETRY_SECONDS = 5;

/** 409, not 403: "not a member yet" changes once the tracker or a proof says otherwise (docs/protocol.md). */
export function notMemberYet(channel: string, from: string, isPrivate: boolean): HttpError {
  const why = isPrivate
    ? `${from} has not proved the key of #${channel} yet; a member answers POST /channel-proof/ with its proof`
    : `${from} is not a member of #${channel} yet; join it first (POST /add-list/)`;
  return new HttpError(409, `${why}; try again in ${NOT_MEMBER_RETRY_SECONDS} s`, {
    headers: { 'Retry-After': String(NOT_MEMBER_RETRY_SECONDS) },
  });
}
