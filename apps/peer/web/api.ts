/**
 * The browser chat's API, JSON under `/api/` and the event stream at `/events/`. Every route needs a session
 * (401 otherwise); every POST also needs this page's own `Origin` (403 otherwise). Reading: the state (self,
 * channels with unread counts, direct conversations, peers) and a page of a conversation, newest first, older
 * pages by a cursor. Changing: send, join, leave, mark read, each through the same `Chat` operation the
 * console's command uses. Each route is a method with `@app.route`. New, not in WeApRous.
 */

import { stream } from '../../../daemon/response';
import type { Request } from '../../../daemon/request';
import { HttpError } from '../../../daemon/status';
import type { WeApRous } from '../../../daemon/weaprous';
import { channelName, GENERAL_CHANNEL } from '../../protocol';
import type { Channels } from '../model/channels';
import type { Chat } from '../chat';
import type { Result } from '../model/chat-events';
import type { ChatState } from '../model/peers';
import type { EventLog } from '../model/events';
import { type Gate, guarded, originProblem, secure } from './guard';
import type { PeerList } from './peers';
import type { SessionRecord, Sessions } from './sessions';
import type { EventStreams } from './sse';
import type { ChannelEntry, ConversationEntry } from '../model/views';

export interface ApiParts extends Gate {
  /** The chat, once the peer has opened its history: handlers wait for it. */
  chat: Promise<Chat>;
  channels: Channels;
  state: ChatState;
  peers: PeerList;
  events: EventLog;
  streams: EventStreams;
  sessions: Sessions;
  cookie: string;
  now?: () => number;
}

/** Messages in one page unless the page asks for `limit`, and the most it may ask for. */
export const PAGE = 50;
export const MAX_PAGE = 200;
/** Direct conversations listed in the state, the most recent first: strangers can open them at will. */
export const MAX_CONVERSATIONS = 100;

/**
 * Adds the API to `app`: each method of `ChatApi` is one route, carrying `@app.route` (Flask style, as WeApRous
 * `apps/sampleApp.py` writes them) and `@guard` (`secured()`: the source and host checks, `ready`, the security headers).
 */
export function apiRoutes(app: WeApRous, parts: ApiParts): void {
  const guard = guarded(parts);

  class ChatApi {
    @app.route('/api/state/')
    @guard
    async state(request: Request) {
      session(request, parts);
      const chat = await parts.chat;
      const channels: ChannelEntry[] = parts.channels
        .list()
        .map((c) => ({ name: c.name, private: c.private, unread: chat.unread.of(c.name) }));
      return {
        status: 'ok',
        self: chat.self,
        last_event: parts.events.lastId,
        channels,
        conversations: conversations(chat, parts.state),
        peers: parts.peers.snapshot(),
      };
    }

    /** The latest page of a conversation (`?conversation=general&limit=50`); the page before it with `&before=<older>`. */
    @app.route('/api/messages/')
    @guard
    async messages(request: Request) {
      session(request, parts);
      const chat = await parts.chat;
      const conversation = readConversation(request.query.conversation ?? '', chat, parts);
      const limit = Number(request.query.limit ?? PAGE);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
        throw new HttpError(400, `"limit" must be a whole number from 1 to ${MAX_PAGE}`);
      const all = chat.history.recent(conversation, Number.MAX_SAFE_INTEGER).messages;
      let end = all.length;
      if (request.query.before !== undefined) {
        end = all.findIndex((message) => message.id === request.query.before);
        if (end === -1) throw new HttpError(404, `No message ${request.query.before} in this conversation any more; load it again`);
      }
      const start = Math.max(0, end - limit);
      const messages = all.slice(start, end).map((message) => chat.view(message));
      return { status: 'ok', conversation, messages, older: start > 0 ? all[start].id : null };
    }

    @app.route('/api/send/', { methods: ['POST'] })
    @guard
    async send(request: Request) {
      const body = change(request, parts);
      const chat = await parts.chat;
      const sent = await chat.send(field(body, 'conversation', 'general'), field(body, 'text', 'Hello'), 'web');
      return answer(sent, (message) => ({ status: 'ok', message }));
    }

    @app.route('/api/join/', { methods: ['POST'] })
    @guard
    async join(request: Request) {
      const body = change(request, parts);
      const key = body.key === undefined || body.key === '' ? undefined : field(body, 'key', 's3cret');
      const chat = await parts.chat;
      const joined = await chat.join(field(body, 'channel', 'team'), key, 'web');
      // Not the console's line: it goes on "plain text goes there now", which is true of the console only.
      return answer(joined, ({ channel, said, members, warning }) => ({
        status: 'ok',
        channel,
        message: `${said}: you are in #${channel} (${members} member${members === 1 ? '' : 's'})${warning ? `. ${warning}` : ''}`,
        ...(warning ? { warning } : {}),
      }));
    }

    @app.route('/api/leave/', { methods: ['POST'] })
    @guard
    async leave(request: Request) {
      const channel = field(change(request, parts), 'channel', 'team');
      const left = await (await parts.chat).leave(channel, 'web');
      return answer(left, ({ channel }) => ({ status: 'ok', channel, message: `Left #${channel}` }));
    }

    @app.route('/api/read/', { methods: ['POST'] })
    @guard
    async read(request: Request) {
      const typed = field(change(request, parts), 'conversation', 'general');
      const chat = await parts.chat;
      const conversation = readConversation(typed, chat, parts);
      chat.markRead(conversation, 'web');
      return { status: 'ok', conversation, unread: 0 };
    }

    /** The event stream (`sse.ts`), for as long as the session lasts. */
    @app.route('/events/')
    @guard
    async events(request: Request) {
      const { id } = session(request, parts);
      const headers = { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' };
      // HEAD gets the headers only: a stream opened for it would never be read, nor closed.
      if (request.method === 'HEAD') return stream(empty(), headers);
      const token = request.cookies[parts.cookie];
      const last = request.headers.get('last-event-id') ?? request.query.last;
      const events = parts.streams.open(last, id, () => parts.sessions.find(token, now(parts)) !== null);
      if (!events) {
        const why = 'Too many open event streams on this peer; close a tab and reload';
        throw new HttpError(503, why, { headers: { 'Retry-After': '5' }, expose: true });
      }
      return secure(stream(events, headers));
    }
  }
  new ChatApi();
}

function now(parts: ApiParts): number {
  return (parts.now ?? Date.now)();
}

/** The session the request's cookie names, else 401. */
function session(request: Request, parts: ApiParts): SessionRecord {
  const found = parts.sessions.find(request.cookies[parts.cookie], now(parts));
  if (!found) throw new HttpError(401, 'Log in first: open /login/ (the chat needs its session cookie)');
  return found;
}

/** A POST: this page's Origin (else 403), a session (else 401), and its JSON object body. */
function change(request: Request, parts: ApiParts): Record<string, unknown> {
  const problem = originProblem(request);
  if (problem) throw new HttpError(403, problem);
  session(request, parts);
  let body = request.json;
  if (body === undefined && request.body.length > 0) {
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      body = undefined;
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Send a JSON object body');
  return body as Record<string, unknown>;
}

function field(body: Record<string, unknown>, name: string, example: string): string {
  const value = body[name];
  if (typeof value !== 'string') throw new HttpError(400, `"${name}" must be a string, e.g. "${name}":"${example}"`);
  return value;
}

/** `general`, a joined channel, or `@<peer id>` of a connected peer or a conversation held; else 400 or 404. */
function readConversation(typed: string, chat: Chat, parts: ApiParts): string {
  if (typed.startsWith('@')) {
    const id = typed.slice(1);
    if (parts.state.isConnected(id) || chat.history.conversations().includes(typed)) return typed;
    throw new HttpError(404, `No conversation with ${id}`);
  }
  const channel = channelName(typed);
  if (channel === null) throw new HttpError(400, '"conversation" must be a channel such as "general" or "@" and a peer id');
  if (channel !== GENERAL_CHANNEL && !parts.channels.has(channel)) throw new HttpError(404, `This peer is not in #${channel}`);
  return channel;
}

/** The direct conversations held, the most recent first, each named by its peer. */
function conversations(chat: Chat, state: ChatState): ConversationEntry[] {
  const latest = chat.history
    .conversations()
    .filter((conversation) => conversation.startsWith('@'))
    .map((conversation) => ({ conversation, messages: chat.history.recent(conversation, 20).messages }))
    .filter(({ messages }) => messages.length > 0);
  latest.sort((a, b) => b.messages[b.messages.length - 1].clock - a.messages[a.messages.length - 1].clock);
  return latest.slice(0, MAX_CONVERSATIONS).map(({ conversation, messages }) => {
    const peerId = conversation.slice(1);
    const theirs = messages.filter((message) => message.from === peerId).pop();
    const name = state.get(peerId)?.name ?? theirs?.name ?? peerId;
    return { conversation, peer_id: peerId, name, unread: chat.unread.of(conversation) };
  });
}

/** An operation's value as JSON, or its sentence as the error, with its status. */
function answer<T>(result: Result<T>, shape: (value: T) => object): object {
  if (result.ok) return shape(result.value);
  throw new HttpError(result.status, result.reason, { expose: true }); // a 502 from the tracker says why too
}

async function* empty(): AsyncIterable<string> {}
