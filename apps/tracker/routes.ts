/**
 * The tracker's HTTP API on a WeApRous app: register (`/submit-info/`), list (`/get-list/`, `?channel=`),
 * unregister (`/remove/`), stay alive (`/heartbeat/`) and join or leave a channel (`/add-list/`), each
 * answering JSON and logging what it did. The state lives behind `Registry` and `Channels` (in memory, or in
 * Redis for several trackers), so every route awaits it; an id bound to a key is written only with its
 * signature (`binding.ts`). The clock and the log are passed in, so tests control both.
 * Ports the Task 2 routes of WeApRous `apps/sampleApp.py`, which built raw HTTP strings by hand.
 */

import { WeApRous, type Handler } from '../../daemon/weaprous';
import { HttpError } from '../../daemon/status';
import type { Request } from '../../daemon/request';
import { json, response, type Response } from '../../daemon/response';
import {
  channelName,
  GENERAL_CHANNEL,
  peerId,
  readChannelBody,
  readHeartbeatBody,
  readJsonObject,
  readPeerIdBody,
  readRegisterBody,
  type ChannelBody,
} from '../protocol';
import { RegistryUnavailable, type EntryJson, type PeerPage, type Registry } from './registry';
import { ChannelRegistry, type Channels } from './channels';
import { ChannelKeys } from './keys';
import { joinChannel, type JoinOutcome } from './join';
import { RateLimiter } from '../ratelimit';
import { registrationKey, requireSigned } from './binding';
import { statusRoutes } from './status';
import { readPageQuery, type PageQuery } from './paging';
import { ASK_KEY_TIMEOUT_MS, type AskKey, KeyOwners, keyMismatch } from '../owner';
import { HttpClient } from '../../daemon/client';
import { printable } from '../text';

export interface TrackerOptions {
  /** The peers: a `PeerRegistry` (in memory) or a `RedisRegistry` shared by several trackers. */
  registry: Registry;
  /** Prints one log line; `console.log` in the real tracker. */
  log: (line: string) => void;
  /** Milliseconds since the epoch; `Date.now` in the real tracker. */
  now: () => number;
  /** Channel membership; by default a new in-memory one whose empty private channels keep their key for the peer TTL. */
  channels?: Channels;
  /** The scrypt work for private channel keys; by default Node's cost, two at a time. */
  keys?: ChannelKeys;
  /** Writes per peer id; by default 10 at once, then 1 a second. */
  limiter?: RateLimiter;
  /** Asks an address for its peer's key before the first binding (`owner.ts`); by default `GET /identity/` there. */
  askKey?: AskKey;
  /**
   * Log only what changes (registrations, expiry, channels, refusals), not every request, body, heartbeat and
   * list: the document's log is three lines per heartbeat, 10,000 lines a second at 100,000 peers.
   */
  quiet?: boolean;
}

/** Builds the tracker app: `createTrackerApp({ registry, log: console.log, now: Date.now })`. */
export function createTrackerApp(options: TrackerOptions): WeApRous {
  // One channel registry, shared by the routes and the status page (`GET /`, `status.ts`).
  const channels = options.channels ?? new ChannelRegistry(options.registry.ttlMs);
  const routes = new TrackerRoutes({ ...options, channels });
  const logged = (handler: Handler) => (request: Request) => routes.logged(request, handler);
  const app = new WeApRous()
    .addRoute(
      'POST',
      '/submit-info/',
      logged((request) => routes.submitInfo(request)),
    )
    .addRoute(
      'GET',
      '/get-list/',
      logged((request) => routes.getList(request)),
    )
    .addRoute(
      'POST',
      '/add-list/',
      logged((request) => routes.addList(request)),
    )
    .addRoute(
      'POST',
      '/remove/',
      logged((request) => routes.remove(request)),
    )
    .addRoute(
      'POST',
      '/heartbeat/',
      logged((request) => routes.heartbeat(request)),
    );
  return statusRoutes(app, { registry: options.registry, channels, now: options.now });
}

/** One method per route, sharing the registry, the log and the clock. */
class TrackerRoutes {
  private readonly registry: Registry;
  private readonly log: (line: string) => void;
  /** The log of every request (`quiet` turns it off); changes always go to `log`. */
  private readonly trace: (line: string) => void;
  private readonly now: () => number;
  private readonly channels: Channels;
  private readonly keys: ChannelKeys;
  private readonly limiter: RateLimiter;
  private readonly askKey: AskKey;
  /** The last whole `/get-list/` answer and the registry version it shows: see `wholeList`. */
  private wholeListCache?: { version: number; count: number; body: Buffer };

  constructor({ registry, log, now, channels, keys, limiter, askKey, quiet }: TrackerOptions) {
    this.registry = registry;
    this.log = log;
    this.trace = quiet ? () => {} : log;
    this.now = now;
    this.channels = channels ?? new ChannelRegistry(registry.ttlMs);
    this.keys = keys ?? new ChannelKeys();
    this.limiter = limiter ?? new RateLimiter();
    if (askKey) this.askKey = askKey;
    else {
      // 1 s (ASK_KEY_TIMEOUT_MS of owner.ts), well inside the peer's own 3 s: a wrong --ip is then told to the
      // peer as the 401 it is, not hidden behind a timeout of its registration.
      const owners = new KeyOwners(new HttpClient({ timeoutMs: ASK_KEY_TIMEOUT_MS }), ASK_KEY_TIMEOUT_MS);
      this.askKey = (address, source) => owners.keyAt(address, source);
    }
  }

  /** Every write names the peer it is about; one id may not be written to faster than the limiter allows. */
  private limit(id: string): void {
    const wait = this.limiter.take(id, this.now());
    if (wait === 0) return;
    const { burst, perSecond } = this.limiter;
    const why = `Too many requests for ${id}: at most ${burst} at once, then ${perSecond} a second; try again in ${wait} s`;
    throw new HttpError(429, why, { 'Retry-After': String(wait) });
  }

  /** A write for an id bound to a key must be signed by that key (`binding.ts`); else 401. */
  private async requireOwner(id: string, request: Request): Promise<void> {
    const key = await this.registry.keyOf(id);
    if (key !== undefined) requireSigned(id, readJsonObject(request, '{}'), key, this.now());
  }

  /** Every request logs itself and first drops the peers whose TTL ran out, so no list is ever stale. */
  async logged(request: Request, handler: Handler) {
    const target = Object.keys(request.query).length > 0 ? printable(request.target, LOG_LINE_CHARS) : request.path;
    this.trace(`[Tracker] ${request.method} ${target}`);
    if (request.body.length > 0) this.trace(`[Tracker] Body: ${bodyLine(request.body.toString('utf8'))}`);
    try {
      await this.expire(this.now());
      return await handler(request);
    } catch (error) {
      if (error instanceof HttpError) this.log(`[Tracker] Rejected (${error.status}): ${error.message}`);
      if (!(error instanceof RegistryUnavailable)) throw error;
      // Redis down or restarting: the peer's next heartbeat tries again, so say so instead of a bare 500.
      this.log(`[Tracker] ${error.message}`);
      throw new HttpError(503, `${error.message}; try again in a few seconds`, { headers: { 'Retry-After': '5' }, expose: true });
    }
  }

  private async expire(now: number): Promise<void> {
    const gone = await this.registry.expire(now);
    if (gone.length > 0) {
      const total = await this.registry.count();
      for (const id of gone) {
        this.log(`[Tracker] Expired: ${id} (not seen for ${this.registry.ttlMs / 1000} s) - Total: ${total}`);
        await this.leaveAll(id, now);
      }
    }
    await this.channels.expire(now);
  }

  async submitInfo(request: Request) {
    const peer = readRegisterBody(request);
    const id = peerId(peer.ip, peer.port);
    this.limit(id);
    const bound = await this.registry.keyOf(id);
    const key = registrationKey(id, readJsonObject(request, '{}'), bound, this.now());
    if (key !== undefined && bound === undefined) {
      // A first key is bound only if the peer at that address holds it: else a stranger could take a classmate's id.
      const mismatch = keyMismatch(id, key, await this.askKey(peer, request.remoteAddress));
      if (mismatch !== null) throw new HttpError(401, mismatch);
    }
    // The registry refuses, in the same step as it writes, an id another tracker or request bound meanwhile.
    const registered = await this.registry.register(peer, this.now(), key);
    if ('boundTo' in registered) throw new HttpError(401, `${id} was bound to another key meanwhile; only its holder can register it`);
    if (key !== undefined && bound === undefined) this.log(`[Tracker] Key bound: ${id} (${key})`);
    this.log(`[Tracker] Registered: ${id} - Total: ${await this.registry.count()}`);
    return { status: 'ok', peer_id: registered.entry.peer_id };
  }

  async getList(request: Request) {
    const page = readPageQuery(request.query);
    if (request.query.channel === undefined && page === undefined) return this.wholeList();
    if (request.query.channel === undefined) {
      const { entries, next } = await this.registry.page(page!.after, page!.limit);
      this.trace(`[Tracker] Returning ${entries.length} peers${pageNote(next)}`);
      return listAnswer({ status: 'ok', count: entries.length, ...(next === undefined ? {} : { next }) }, entries);
    }
    const name = channelName(request.query.channel);
    if (name === null) {
      throw new HttpError(
        400,
        '"channel" must be a channel name of 1 to 32 letters, digits, "-" or "_", e.g. /get-list/?channel=team (a "#" is written %23 or left out)',
      );
    }
    const found = await this.channelList(name, page);
    if (found === undefined)
      throw new HttpError(
        404,
        `No channel #${name}: nobody is in it; join it with POST /add-list/ {"peer_id":"127.0.0.1:5001","channel":"${name}"}`,
      );
    const { entries, next } = found;
    this.trace(`[Tracker] Returning ${entries.length} peers in #${name}${pageNote(next)}`);
    return listAnswer({ status: 'ok', channel: name, count: entries.length, ...(next === undefined ? {} : { next }) }, entries);
  }

  /**
   * The document's `/get-list/`. Heartbeats, most of a tracker's traffic, never change it, so the answer is
   * kept and sent again until the registry's version moves: at 100,000 peers (6 MB) that turns tens of
   * milliseconds of work and garbage per request into one write (docs/benchmarks.md, the tracker).
   */
  private async wholeList(): Promise<Response> {
    const version = await this.registry.version();
    if (this.wholeListCache?.version !== version) {
      const entries = await this.registry.list();
      this.wholeListCache = {
        version,
        count: entries.length,
        body: listAnswer({ status: 'ok', count: entries.length }, entries).body as Buffer,
      };
    }
    this.trace(`[Tracker] Returning ${this.wholeListCache.count} peers`);
    return response(200, this.wholeListCache.body, { 'Content-Type': 'application/json; charset=utf-8' });
  }

  /** The members of `name` (join order), or one page of them (id order); undefined when there is no such channel. */
  private async channelList(name: string, page: PageQuery | undefined): Promise<PeerPage | undefined> {
    if (name === GENERAL_CHANNEL) return page ? this.registry.page(page.after, page.limit) : { entries: await this.registry.list() };
    if (page === undefined) {
      const ids = await this.channels.members(name);
      return ids && { entries: await this.registry.entries(ids) };
    }
    const members = await this.channels.page(name, page.after, page.limit);
    if (members === undefined) return undefined;
    const entries = await this.registry.entries(members.ids);
    return members.next === undefined ? { entries } : { entries, next: members.next };
  }

  async addList(request: Request) {
    const body = readChannelBody(request);
    this.limit(body.peer_id);
    await this.requireOwner(body.peer_id, request);
    if (!(await this.registry.has(body.peer_id)))
      throw new HttpError(404, `${body.peer_id} is not registered; register it first with POST /submit-info/`);
    if (body.leave) return this.leave(body);
    const outcome = await joinChannel(this.channels, this.keys, body.peer_id, body.channel, body.key);
    if (!outcome.ok) throw refusal(outcome);
    if (await this.dropIfGone(body.peer_id)) throw new HttpError(404, `${body.peer_id} unregistered while joining #${body.channel}`);
    await this.logJoin(outcome.result, body.peer_id, body.channel);
    if (outcome.result === 'member') this.log(`[Tracker] Already in #${body.channel}: ${body.peer_id}`);
    const messages = { general: 'Every peer is always in #general', member: 'Already in', joined: 'Joined', created: 'Created' };
    const message = outcome.result === 'general' ? messages.general : `${messages[outcome.result]} #${body.channel}`;
    return {
      status: 'ok',
      channel: body.channel,
      private: await this.channels.isPrivate(body.channel),
      message,
      count: await this.countIn(body.channel),
    };
  }

  private async leave(body: ChannelBody) {
    if (body.channel === GENERAL_CHANNEL) throw new HttpError(400, 'Every peer is in #general; it cannot be left');
    if (!(await this.channels.leave(body.peer_id, body.channel, this.now()))) {
      this.log(`[Tracker] Not in #${body.channel}: ${body.peer_id}`);
      return { status: 'ok', channel: body.channel, message: `Was not in #${body.channel}`, count: await this.countIn(body.channel) };
    }
    const count = await this.countIn(body.channel);
    this.log(`[Tracker] Left #${body.channel}: ${body.peer_id} - Members: ${count}`);
    return { status: 'ok', channel: body.channel, message: `Left #${body.channel}`, count };
  }

  async remove(request: Request) {
    const id = readPeerIdBody(request);
    this.limit(id);
    await this.requireOwner(id, request);
    if (await this.registry.unregister(id)) {
      this.log(`[Tracker] Unregistered: ${id} - Total: ${await this.registry.count()}`);
      await this.leaveAll(id, this.now());
      return { status: 'ok', message: 'Peer unregistered' };
    }
    // Removing twice is not an error: a peer quitting after its TTL ran out must still exit cleanly.
    this.log(`[Tracker] Not registered: ${id} (already removed)`);
    return { status: 'ok', message: 'Peer was not registered (already removed or expired)' };
  }

  async heartbeat(request: Request) {
    const { peer_id: id, channels } = readHeartbeatBody(request);
    this.limit(id);
    await this.requireOwner(id, request);
    if (await this.registry.heartbeat(id, this.now())) {
      this.trace(`[Tracker] Heartbeat: ${id}`);
      const answer = { status: 'ok', peer_id: id, ttl: this.registry.ttlMs / 1000 };
      return channels === undefined ? answer : { ...answer, ...(await this.rejoin(id, channels)) };
    }
    // 404 tells the peer the tracker forgot it (restart or TTL): it answers by registering again.
    this.log(`[Tracker] Heartbeat from unknown peer ${id} - asked it to register again`);
    return json({ status: 'error', error: 'unknown peer', peer_id: id, hint: 'register again with POST /submit-info/' }, 404);
  }

  /**
   * The heartbeat's channels: joins the peer to each it is not in yet (after a tracker restart, all of them),
   * one after another, and says which the tracker refused (a wrong key: someone else re-created the channel).
   */
  private async rejoin(id: string, claims: Array<{ channel: string; key?: string }>) {
    const refused: Array<{ channel: string; status: number; error: string }> = [];
    for (const { channel, key } of claims) {
      const outcome = await joinChannel(this.channels, this.keys, id, channel, key);
      if (outcome.ok) await this.logJoin(outcome.result, id, channel);
      else {
        this.log(`[Tracker] Refused #${channel} for ${id} (${outcome.status}): ${outcome.error}`);
        refused.push({ channel, status: outcome.status, error: outcome.error });
      }
    }
    await this.dropIfGone(id);
    return { channels: await this.channels.channelsOf(id), refused };
  }

  /** Logs a join that changed something; a heartbeat that only confirms its channels logs nothing more. */
  private async logJoin(result: JoinResultName, id: string, channel: string): Promise<void> {
    if (result !== 'created' && result !== 'joined') return;
    const members = `- Members: ${await this.countIn(channel)}`;
    if (result === 'created')
      this.log(`[Tracker] Created #${channel}${(await this.channels.isPrivate(channel)) ? ' (private)' : ''}: ${id} ${members}`);
    if (result === 'joined') this.log(`[Tracker] Joined #${channel}: ${id} ${members}`);
  }

  private async countIn(channel: string): Promise<number> {
    return channel === GENERAL_CHANNEL ? this.registry.count() : this.channels.memberCount(channel);
  }

  private async leaveAll(id: string, now: number): Promise<void> {
    const left = await this.channels.leaveAll(id, now);
    if (left.length > 0) this.log(`[Tracker] ${id} left ${left.map((name) => `#${name}`).join(', ')}`);
  }

  /** A peer removed while its key was checked must not stay in the channel it just joined; true when it was. */
  private async dropIfGone(id: string): Promise<boolean> {
    if (await this.registry.has(id)) return false;
    await this.channels.leaveAll(id, this.now());
    return true;
  }
}

/** A refused join, with its sentence even for a 503, and `Retry-After` when waiting helps (`logged` logs it). */
function refusal(outcome: Extract<JoinOutcome, { ok: false }>): HttpError {
  const busy = outcome.status === 429 || outcome.status === 503;
  return new HttpError(outcome.status, outcome.error, { headers: busy ? { 'Retry-After': '1' } : {}, expose: true });
}

/**
 * `{...fields,"peers":[...]}`: what `json({ ...fields, peers })` would send, byte for byte, from entries that are
 * JSON already (`EntryJson`): the list is joined, not built and serialized again at every request.
 */
function listAnswer(fields: Record<string, unknown>, entries: EntryJson[]): Response {
  const head = JSON.stringify(fields).slice(0, -1);
  return response(200, `${head},"peers":[${entries.join(',')}]}`, { 'Content-Type': 'application/json; charset=utf-8' });
}

/** How a paged answer's log line ends: ` (page; next 127.0.0.1:5100)` when more follow; nothing otherwise. */
function pageNote(next: string | undefined): string {
  return next === undefined ? '' : ` (page; next ${next})`;
}

/** The banner printed before the tracker starts listening (the document's Test 1, now that routes answer JSON). */
export function trackerBanner(ip: string, port: number, ttlSeconds: number): string[] {
  const rule = '='.repeat(60);
  return [
    rule,
    'Task 2: Tracker Server (WeApRous)',
    rule,
    'Peers register here and fetch the list of peers;',
    'its API answers JSON. Chat messages never pass',
    'through the tracker: peers send them to each other.',
    rule,
    `IP: ${ip}`,
    `Port: ${port}`,
    `Peer TTL: ${ttlSeconds} s`,
    'Routes registered:',
    '  - POST /submit-info/  : Register a peer',
    '  - GET  /get-list/     : List the registered peers',
    '  - POST /remove/       : Unregister a peer',
    "  - POST /heartbeat/    : Refresh a peer's last_seen",
    '  - POST /add-list/     : Join or leave a channel',
    '  - GET  /get-list/?channel=team : List the members of a channel',
    '  - GET  /              : Status page (peers and channels, for a browser)',
    rule,
  ];
}

type JoinResultName = Extract<JoinOutcome, { ok: true }>['result'];

/** How much of a target or body one log line shows. */
const LOG_LINE_CHARS = 300;

/**
 * Where keys and signing fields are looked for: a body's first 16 KiB characters. The rest of a longer body (up to
 * the 1 MiB limit) is never shown, and a regular expression must not cost time in proportion to what a client sends.
 */
const HIDDEN_WINDOW = 16 * 1024;

/** A request body as one log line: keys and signing fields hidden, control characters escaped, long bodies cut. */
export function bodyLine(text: string): string {
  const head = hideSigning(hideKeys(text.slice(0, HIDDEN_WINDOW)));
  return printable(text.length > HIDDEN_WINDOW ? head + text.slice(HIDDEN_WINDOW) : head, LOG_LINE_CHARS);
}

/** `{"peer_id":"...","key":"s3cret"}` → `{"peer_id":"...","key":"***"}`: the tracker keeps no key, not even in its log. */
function hideKeys(text: string): string {
  return text.replace(/("key"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]]*)/g, '$1"***"');
}

/**
 * The body without the signing fields our peers append (`public_key`, `time`, `signature`), so the log reads
 * as the document shows; the key is logged once, when it is bound. A match starts only where a run of white space
 * does (`(?<!\s)`): tried at every space of a long run, `\s*,` would take time that grows with the run's square.
 */
function hideSigning(text: string): string {
  return text.replace(/(?<!\s)\s*,\s*"(?:public_key|time|signature)"\s*:\s*(?:"[^"\\]*"|-?[\d.eE+-]+)/g, '');
}
