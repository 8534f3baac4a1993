/**
 * The peer's incoming side: a WeApRous app answering the other peers. `/connect-peer/` adds the caller to
 * the connected peers, `/broadcast-peer/` and `/send-peer/` store a message and show it once (the 2xx is the
 * acknowledgement: it comes only after the message is on disk), `/messages/` does so for several at once
 * (`inbox.ts` checks and stores them all), `/disconnect-peer/` drops a peer that leaves.
 * What to print goes to `show`, so the app runs in a test with no terminal.
 * Ports `setup_routes()` of WeApRous `apps/peer.py` (`/disconnect-peer/`, `/messages/`, `/history/` and `/identity/` are new).
 */

import { WeApRous } from '../../../daemon/weaprous';
import { HttpError } from '../../../daemon/status';
import type { Request } from '../../../daemon/request';
import { channelName, GENERAL_CHANNEL, MESSAGE_EXAMPLE, readConnectBody, readJsonObject, readPeerIdBody } from '../../protocol';
import { peerConnectedLine, peerLeftLine } from '../console/lines';
import type { History } from '../storage/history';
import { type BatchResult, Inbox } from './inbox';
import { json } from '../../../daemon/response';
import type { Trust } from '../identity/trust';
import { staleTime } from '../../signature';
import type { ChatMessage } from '../model/message';
import { type ChatState, MAX_CONNECTED, type PeerInfo } from '../model/peers';

/** Messages in one `GET /history/` answer, unless the asker says `limit`; and the most it may ask. */
export const HISTORY_PAGE = 100;
export const MAX_HISTORY_PAGE = 500;

/** A query value as a whole number in [min, max]; `fallback` when absent; else 400 with `rule`. */
function wholeNumber(value: string | undefined, fallback: number, min: number, max: number, rule: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new HttpError(400, rule);
  return n;
}

/** What the console adds to the server; each is optional, so the routes run alone in a test. */
export interface ServerHooks {
  /** Signatures and known keys: without it, every `from` is taken at its word. */
  trust?: Trust;
  /** Hears each peer that connects. */
  onConnect?: (peer: PeerInfo) => void;
  /** Channel membership: without it, only #general is taken. */
  gate?: {
    isMember(channel: string): boolean;
    /** Whether `from` is in `channel`, as this peer knows (it may ask the tracker again). */
    admits(channel: string, from: string): Promise<boolean>;
  };
  /** Shows a stored message instead of the plain `[BROADCAST]`/`[DIRECT]` line (channels, unread, mentions). */
  onMessage?: (type: 'broadcast' | 'direct', message: ChatMessage) => void;
}

/**
 * `createPeerServer(state, history, (line) => terminal.print(line)).prepareAddress('0.0.0.0', 5001).run()`.
 * `hooks` add what the console needs (see `ServerHooks`). `history` may still be opening (the peer listens first, so a second process on a port in use never touches
 * the first one's files): messages wait for it.
 */
export function createPeerServer(
  state: ChatState,
  history: History | Promise<History>,
  show: (line: string) => void,
  hooks: ServerHooks = {},
): WeApRous {
  const app = new WeApRous();
  const self = state.self;

  app.addRoute('POST', '/connect-peer/', async (request) => {
    const peer: PeerInfo = readConnectBody(request);
    if (peer.peer_id === self.peer_id)
      throw new HttpError(400, `"${peer.peer_id}" is this peer's own id; a peer does not connect to itself`);
    const body = readJsonObject(request, '{}');
    await hooks.trust?.introduce(peer, body, request.remoteAddress);
    // A peer that reconnects unchanged (both sides connecting at once) is not announced twice.
    const added = state.connect(peer);
    if (added === 'full') throw new HttpError(503, `This peer has as many connected peers as it keeps (${MAX_CONNECTED}); try again later`);
    if (added !== 'same') show(peerConnectedLine(peer));
    hooks.onConnect?.(peer); // messages waiting for it go now
    const answer = { status: 'ok', message: 'Connected', peer_id: self.peer_id, name: self.name };
    // A caller that sent its key gets ours; the document's curl request gets the document's answer.
    return hooks.trust && body.public_key !== undefined ? { ...answer, public_key: hooks.trust.identity.publicKey } : answer;
  });

  const inbox = new Inbox(state, history, show, hooks);
  const answer = (result: BatchResult) => (result.status === 'received' ? result : json(result, result.code));
  app.addRoute('POST', '/broadcast-peer/', async (request) =>
    answer(await inbox.receiveOne(readJsonObject(request, MESSAGE_EXAMPLE), 'broadcast', request.remoteAddress)),
  );
  app.addRoute('POST', '/send-peer/', async (request) =>
    answer(await inbox.receiveOne(readJsonObject(request, MESSAGE_EXAMPLE), 'direct', request.remoteAddress)),
  );
  // Several messages in one request, each answered on its own: what this peer's delivery sends in a burst.
  app.addRoute('POST', '/messages/', async (request) => {
    const body = readJsonObject(request, '{"messages":[{"id":"127.0.0.1:5002/lq2x8k-1",...}]}');
    const results = await inbox.receiveBatch(body, request.remoteAddress);
    return { status: 'received', results };
  });

  app.addRoute('GET', '/history/', (request) => answerHistory(request));

  // Who listens here: asked before another peer or the tracker binds this address to a key (`owner.ts`).
  app.addRoute('GET', '/identity/', () => {
    const answer = { status: 'ok', peer_id: self.peer_id, name: self.name };
    return hooks.trust ? { ...answer, public_key: hooks.trust.identity.publicKey } : answer;
  });

  app.addRoute('POST', '/disconnect-peer/', (request) => {
    const peerId = readPeerIdBody(request);
    const body = readJsonObject(request, '{}');
    hooks.trust?.check(peerId, body);
    // Signed by a known peer: it must be for this peer and fresh, else a copy of a goodbye could be replayed
    // to anyone, at any time, and cut that peer out of their broadcasts.
    if (hooks.trust?.knows(peerId)) {
      if (body.to !== self.peer_id) throw new HttpError(401, `This goodbye is not for this peer ("to" must be "${self.peer_id}")`);
      const stale = staleTime(body.time, Date.now(), "this peer's");
      if (stale !== null) throw new HttpError(401, stale);
    }
    const peer = state.disconnect(peerId);
    if (!peer) return { status: 'ok', message: 'Was not connected' };
    show(peerLeftLine(peer));
    return { status: 'ok', message: 'Disconnected' };
  });

  /**
   * `GET /history/?channel=general&since=12&after=<id>&limit=100&peer=127.0.0.1:5002`: a page of a channel, for a peer
   * catching up. #general is open to anyone (as its messages are); another channel only to a member.
   */
  async function answerHistory(request: Request) {
    const { query } = request;
    const channel = channelName(query.channel ?? '');
    if (channel === null) throw new HttpError(400, '"channel" must be a channel name, e.g. /history/?channel=general&since=0');
    const since = wholeNumber(
      query.since,
      -1,
      -1,
      Number.MAX_SAFE_INTEGER,
      '"since" must be a clock (a whole number from -1), e.g. since=0',
    );
    const limit = wholeNumber(
      query.limit,
      HISTORY_PAGE,
      1,
      MAX_HISTORY_PAGE,
      `"limit" must be a whole number from 1 to ${MAX_HISTORY_PAGE}`,
    );
    if (query.peer !== undefined && hooks.trust) {
      hooks.trust.check(query.peer, { ...query });
      // Signed by a known peer: it must also be fresh, so a query copied off the network cannot be sent again later.
      const stale = hooks.trust.knows(query.peer) ? staleTime(query.time, Date.now(), "this peer's") : null;
      if (stale !== null) throw new HttpError(401, stale);
    }
    if (channel !== GENERAL_CHANNEL) {
      const asker = query.peer;
      if (!hooks.gate?.isMember(channel)) throw new HttpError(403, `This peer is not in #${channel}`);
      if (!asker || !(await hooks.gate.admits(channel, asker)))
        throw new HttpError(403, `Only members of #${channel} may read its history; say who asks with &peer=<your peer id>`);
      // A member's id alone proves nothing (curl can name anyone): the query must be signed by a key this peer knows.
      if (hooks.trust && !hooks.trust.knows(asker))
        throw new HttpError(
          401,
          `History of #${channel} is given to a member this peer knows the key of; connect first (POST /connect-peer/)`,
        );
    }
    const after = query.after ?? '';
    if (after.length > 300) throw new HttpError(400, '"after" must be the id of the last message of the page before');
    const page = (await history).page(channel, since, limit, after);
    return { status: 'ok', channel, count: page.messages.length, messages: page.messages, more: page.more };
  }

  return app;
}
