/**
 * The routes that answer the other peers, as methods carrying `@app.route`: `/connect-peer/` adds the caller
 * to the connected peers, `/broadcast-peer/`, `/send-peer/` and `/messages/` take messages (`inbox.ts` checks
 * and stores them; the 2xx is the acknowledgement, sent once they are on disk), `/history/` answers catch-up,
 * `/identity/` says whose key listens here, `/disconnect-peer/` drops a peer that leaves. Ports `setup_routes()`
 * of WeApRous `apps/peer.py` (`/disconnect-peer/`, `/messages/`, `/history/` and `/identity/` are new).
 */

import { WeApRous } from '../../../daemon/weaprous';
import { HttpError } from '../../../daemon/status';
import type { Request } from '../../../daemon/request';
import { json } from '../../../daemon/response';
import { channelName, GENERAL_CHANNEL, MESSAGE_EXAMPLE, readConnectBody, readPeerIdBody } from '../../protocol';
import { readJsonObject } from '../../json-fields';
import { notForNow } from '../../signature';
import type { Identity } from '../identity/identity';
import type { Notify } from '../model/notices';
import { type ChatState, MAX_CONNECTED, type PeerInfo } from '../model/peers';
import { type BatchResult, Inbox, type InboxParts, notMemberYet, type RequestProof } from './inbox';
import { CHANNEL_PROOF_EXAMPLE, CHANNEL_PROOF_PATH, type ChannelProofs } from './channel-proof';
import { normalAddress, shareOf } from '../../../daemon/admission';

/** Messages in one `GET /history/` answer, unless the asker says `limit`; and the most it may ask. */
export const HISTORY_PAGE = 100;
export const MAX_HISTORY_PAGE = 500;

/** What the routes answer with once the peer is built: the inbox's parts, and who hears of a new connection. */
export interface PeerParts extends InboxParts {
  /** Hears each peer that connects (messages waiting for it go now). */
  onConnect?: (peer: PeerInfo) => void;
  /** Answers `POST /channel-proof/`: members of a private channel prove its key to each other. */
  proofs?: ChannelProofs;
}

/**
 * `createPeerServer(state, { history, trust, gate }, notify).prepareAddress('0.0.0.0', 5001).run()`. `parts`
 * may still be coming: the peer listens first (so a second process on a port in use never touches the first
 * one's files), and each request waits for them.
 */
export function createPeerServer(state: ChatState, parts: PeerParts | Promise<PeerParts>, notify: Notify): WeApRous {
  const app = new WeApRous();
  const ready = Promise.resolve(parts);
  const inbox = ready.then((built) => new Inbox(state, built, notify));
  const self = state.self;

  class PeerRoutes {
    @app.route('/connect-peer/', { methods: ['POST'] })
    async connectPeer(request: Request) {
      const peer: PeerInfo = readConnectBody(request);
      if (peer.peer_id === self.peer_id)
        throw new HttpError(400, `"${peer.peer_id}" is this peer's own id; a peer does not connect to itself`);
      const body = readJsonObject(request, '{}');
      const { trust, onConnect } = await ready;
      await trust?.introduce(peer, body, self.peer_id, request.remoteAddress); // asked at its address, over TLS if it says https
      // Its "scheme" counts only when its key signed the hello: anyone can send an unsigned one, and an https
      // stays for good (docs/protocol.md), so a stranger's would cut this peer off from a plain peer.
      const heard = trust === undefined || trust.knows(peer.peer_id) ? peer : withoutScheme(peer);
      // A peer that reconnects unchanged (both sides connecting at once) is not announced twice.
      const source = normalAddress(request.remoteAddress ?? '');
      const added = state.connect(heard, { source, proven: trust?.knows(peer.peer_id) ?? false, capped: shareOf(source) !== null });
      if (added === 'full')
        throw new HttpError(503, `This peer has as many proven peers connected as it keeps (${MAX_CONNECTED}); try again later`);
      if (added !== 'same') notify({ kind: 'peer-connected', peer: heard });
      onConnect?.(heard);
      const answer = { status: 'ok', message: 'Connected', peer_id: self.peer_id, name: self.name };
      // A caller that sent its key gets ours; the document's curl request gets the document's answer.
      return trust && body.public_key !== undefined ? { ...answer, ...keysOf(trust.identity) } : answer;
    }

    @app.route('/broadcast-peer/', { methods: ['POST'] })
    async broadcastPeer(request: Request) {
      const body = readJsonObject(request, MESSAGE_EXAMPLE);
      return answer(await (await inbox).receiveOne(body, 'broadcast', request.remoteAddress, proofOf(request)));
    }

    @app.route('/send-peer/', { methods: ['POST'] })
    async sendPeer(request: Request) {
      const body = readJsonObject(request, MESSAGE_EXAMPLE);
      return answer(await (await inbox).receiveOne(body, 'direct', request.remoteAddress, proofOf(request)));
    }

    /** Several messages in one request, each answered on its own: what this peer's delivery sends in a burst. */
    @app.route('/messages/', { methods: ['POST'] })
    async messages(request: Request) {
      const body = readJsonObject(request, '{"messages":[{"id":"127.0.0.1:5002/lq2x8k-1",...}]}');
      const results = await (await inbox).receiveBatch(body, request.remoteAddress, proofOf(request));
      return { status: 'received', results };
    }

    @app.route('/history/')
    async history(request: Request) {
      return answerHistory(request, await ready, self.peer_id);
    }

    /** Who listens here: asked before another peer or the tracker binds this address to a key (`owner.ts`). */
    @app.route('/identity/')
    async identity() {
      const { trust } = await ready;
      const answer = { status: 'ok', peer_id: self.peer_id, name: self.name };
      return trust ? { ...answer, ...keysOf(trust.identity) } : answer;
    }

    @app.route('/disconnect-peer/', { methods: ['POST'] })
    async disconnectPeer(request: Request) {
      const peerId = readPeerIdBody(request);
      const body = readJsonObject(request, '{}');
      const { trust } = await ready;
      trust?.check(peerId, body);
      // Signed by a known peer: it must be for this peer and fresh, else a copy of a goodbye could be replayed
      // to anyone, at any time, and cut that peer out of their broadcasts.
      const replayed = trust?.knows(peerId) ? notForNow(body, self.peer_id, Date.now()) : null;
      if (replayed !== null) throw new HttpError(401, replayed);
      const peer = state.disconnect(peerId);
      if (!peer) return { status: 'ok', message: 'Was not connected' };
      notify({ kind: 'peer-left', peer });
      return { status: 'ok', message: 'Disconnected' };
    }

    /** Members of a private channel prove its key to each other, one request both ways (`channel-proof.ts`). */
    @app.route(CHANNEL_PROOF_PATH, { methods: ['POST'] })
    async channelProof(request: Request) {
      const body = readJsonObject(request, CHANNEL_PROOF_EXAMPLE);
      const { proofs } = await ready;
      if (!proofs) throw new HttpError(404, 'This peer has no private channels');
      return proofs.answer(body);
    }
  }
  new PeerRoutes();
  return app;
}

/** A message's outcome as the answer: `{"status":"received"}`, or the refusal with its status. */
/** A hello's peer without its `"scheme"`: reached at `http://` unless its key said otherwise. */
function withoutScheme({ scheme: _said, ...plain }: PeerInfo): PeerInfo {
  return plain;
}

/** What a pair's MAC covers, from the request as it came: `Authorization`, the path and the body's exact bytes. */
function proofOf(request: Request): RequestProof {
  return { authorization: request.headers.get('authorization'), path: request.path, body: request.body };
}

function answer(result: BatchResult) {
  return result.status === 'received' ? result : json(result, result.code);
}

/**
 * `GET /history/?channel=general&since=12&after=<id>&limit=100&peer=127.0.0.1:5002`: a page of a channel, for a peer
 * catching up. #general is open to anyone (as its messages are); another channel only to a member; `@<asker>`, the
 * direct conversation with the asker, only to that peer, signed and fresh. With `arrived=<position>` instead of
 * `since`, the page is what this peer stored from that place in its file on, in that order, and the answer says
 * where to ask next (`arrived`) and in which file (`history`): docs/protocol.md, "Catch-up".
 */
async function answerHistory(request: Request, parts: PeerParts, selfId: string) {
  const { query } = request;
  const channel = query.channel?.startsWith('@') ? directWith(query, parts) : channelName(query.channel ?? '');
  if (channel === null) throw new HttpError(400, '"channel" must be a channel name, e.g. /history/?channel=general&since=0');
  const since = wholeNumber(query.since, -1, -1, Number.MAX_SAFE_INTEGER, '"since" must be a clock (a whole number from -1), e.g. since=0');
  const limit = wholeNumber(query.limit, HISTORY_PAGE, 1, MAX_HISTORY_PAGE, `"limit" must be a whole number from 1 to ${MAX_HISTORY_PAGE}`);
  const arrived = query.arrived === undefined ? undefined : wholeNumber(query.arrived, 0, 0, Number.MAX_SAFE_INTEGER, ARRIVED_RULE);
  checkAsker(query, parts, selfId);
  if (channel !== GENERAL_CHANNEL && !channel.startsWith('@')) await checkMember(channel, query.peer, parts);
  if (arrived !== undefined) {
    const page = await parts.history.arrivedAfter(channel, arrived, limit);
    const { messages, more, position } = page;
    return { status: 'ok', channel, count: messages.length, messages, more, arrived: position, history: parts.history.fileId };
  }
  const after = query.after ?? '';
  if (after.length > 300) throw new HttpError(400, '"after" must be the id of the last message of the page before');
  const page = await parts.history.page(channel, since, limit, after);
  return { status: 'ok', channel, count: page.messages.length, messages: page.messages, more: page.more };
}

const ARRIVED_RULE = '"arrived" must be a place in the history (a whole number from 0, as the last answer said), e.g. arrived=0';

/**
 * `channel=@<asker>`: the direct conversation between this peer and the asker, which only the asker may read: the
 * query must name it (`peer`), and be signed by its known key and fresh (`checkAsker`, which runs next).
 */
function directWith(query: Record<string, string>, { trust }: PeerParts): string {
  const asker = query.channel.slice(1);
  if (query.peer !== asker)
    throw new HttpError(403, 'A direct conversation is given only to the peer in it: "peer" must be the id after "@"');
  if (!trust?.knows(asker))
    throw new HttpError(401, 'A direct conversation is given to a peer this peer knows the key of; connect first (POST /connect-peer/)');
  return query.channel;
}

/**
 * A query that names its asker is signed by it when its key is known, for this peer (`to`) and now (`time`):
 * a copied query cannot be sent to another peer, or again later.
 */
function checkAsker(query: Record<string, string>, { trust }: PeerParts, selfId: string): void {
  if (query.peer === undefined || !trust) return;
  trust.check(query.peer, { ...query });
  const replayed = trust.knows(query.peer) ? notForNow(query, selfId, Date.now()) : null;
  if (replayed !== null) throw new HttpError(401, replayed);
}

/**
 * Another channel than #general is read only by a member this peer knows the key of; a private one only by a
 * peer that proved the channel's key (`gate.admits` asks it, `channel-proof.ts`), whatever the tracker lists.
 */
async function checkMember(channel: string, asker: string | undefined, { gate, trust }: PeerParts): Promise<void> {
  if (!gate?.isMember(channel)) throw new HttpError(403, `This peer is not in #${channel}`);
  if (!asker) throw new HttpError(403, `Only members of #${channel} may read its history; say who asks with &peer=<your peer id>`);
  if (!(await gate.admits(channel, asker))) throw notMemberYet(channel, asker, gate.isPrivate?.(channel) ?? false);
  // A member's id alone proves nothing (curl can name anyone): the query must be signed by a key this peer knows.
  if (trust && !trust.knows(asker))
    throw new HttpError(401, `History of #${channel} is given to a member this peer knows the key of; connect first (POST /connect-peer/)`);
}

/** A query value as a whole number in [min, max]; `fallback` when absent; else 400 with `rule`. */
function wholeNumber(value: string | undefined, fallback: number, min: number, max: number, rule: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new HttpError(400, rule);
  return n;
}

/** This peer's keys as `/identity/` and `/connect-peer/` say them: the identity, and the box key it signed. */
function keysOf(identity: Identity) {
  return { public_key: identity.publicKey, box_key: identity.boxKey, box_key_signature: identity.boxKeySignature };
}
