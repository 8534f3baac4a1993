/**
 * The tracker's HTTP API on a WeApRous app, written as the course writes routes, `@app.route(path, { methods })`:
 * register (`/submit-info/`), list (`/get-list/`, `?channel=`), unregister (`/remove/`) and stay alive
 * (`/heartbeat/`) here; join or leave a channel (`/add-list/`) in `channel-routes.ts`. Every route answers JSON
 * and is `@logged`; the shared state is a `TrackerContext`. Ports the Task 2 routes of WeApRous `apps/sampleApp.py`.
 */

import { WeApRous } from '../../daemon/weaprous';
import { HttpError } from '../../daemon/status';
import type { Request } from '../../daemon/request';
import { json, jsonText, type Response } from '../../daemon/response';
import { channelName, GENERAL_CHANNEL, readHeartbeatBody, readPeerIdBody, readRegisterBody } from '../protocol';
import { peerId } from '../address';
import { readJsonObject } from '../json-fields';
import { keyMismatch } from '../owner';
import type { EntryJson, PeerPage } from './registry';
import { ChannelRegistry } from './channels';
import { registrationKey } from './binding';
import { statusRoutes } from './status';
import { readPageQuery, type PageQuery } from './paging';
import { TrackerContext, type TrackerOptions } from './context';
import { channelRoutes, rejoin } from './channel-routes';
import { logged } from './logging';
import { UNPROVEN_PER_ADDRESS } from './shares';

/** Builds the tracker app: `createTrackerApp({ registry, log: console.log, now: Date.now })`. */
export function createTrackerApp(options: TrackerOptions): WeApRous {
  // One channel registry, shared by the routes and the status page (`GET /`, `status.ts`).
  const channels = options.channels ?? new ChannelRegistry(options.registry.ttlMs);
  const tracker = new TrackerContext({ ...options, channels });
  const app = new WeApRous();
  peerRoutes(app, tracker);
  channelRoutes(app, tracker);
  return statusRoutes(app, { registry: options.registry, channels, now: options.now });
}

/** Adds the document's routes: `POST /submit-info/`, `GET /get-list/`, `POST /remove/`, `POST /heartbeat/`. */
function peerRoutes(app: WeApRous, tracker: TrackerContext): void {
  const { registry } = tracker;

  class PeerRoutes {
    /** What `@logged` logs to. */
    readonly tracker = tracker;
    /** The last whole `/get-list/` answer and the registry version it shows: see `wholeList`. */
    private wholeListCache?: { version: number; count: number; body: Buffer };

    @app.route('/submit-info/', { methods: ['POST'] })
    @logged
    async submitInfo(request: Request) {
      const peer = readRegisterBody(request);
      const id = peerId(peer.ip, peer.port);
      tracker.limit(id);
      const bound = await registry.keyOf(id);
      const key = registrationKey(id, readJsonObject(request, '{}'), bound, tracker.now());
      if (key !== undefined && bound === undefined) {
        // A first key is bound only if the peer at that address holds it: else a stranger could take a classmate's id.
        const mismatch = keyMismatch(id, key, await tracker.askKey(peer, request.remoteAddress), peer.scheme);
        if (mismatch !== null) throw new HttpError(401, mismatch);
      }
      // The registry refuses, in the same step as it writes, an id another tracker or request bound meanwhile.
      const registered = await registry.register(peer, tracker.now(), key, request.remoteAddress);
      if ('boundTo' in registered) throw new HttpError(401, `${id} was bound to another key meanwhile; only its holder can register it`);
      if ('shareFull' in registered) throw shareFull(registered.shareFull, registry.ttlMs);
      if (key !== undefined && bound === undefined) tracker.log(`[Tracker] Key bound: ${id} (${key})`);
      tracker.log(`[Tracker] Registered: ${id} - Total: ${await registry.count()}`);
      return { status: 'ok', peer_id: registered.entry.peer_id };
    }

    @app.route('/get-list/', { methods: ['GET'] })
    @logged
    async getList(request: Request) {
      const page = readPageQuery(request.query);
      if (request.query.channel === undefined && page === undefined) return this.wholeList();
      if (request.query.channel === undefined) {
        const { entries, next } = await registry.page(page!.after, page!.limit);
        tracker.trace(`[Tracker] Returning ${entries.length} peers${pageNote(next)}`);
        return listAnswer({ status: 'ok', count: entries.length, ...(next === undefined ? {} : { next }) }, entries);
      }
      const name = channelName(request.query.channel);
      if (name === null) {
        throw new HttpError(
          400,
          '"channel" must be a channel name of 1 to 32 letters, digits, "-" or "_", e.g. /get-list/?channel=team (a "#" is written %23 or left out)',
        );
      }
      const found = await channelList(tracker, name, page);
      if (found === undefined)
        throw new HttpError(
          404,
          `No channel #${name}: nobody is in it; join it with POST /add-list/ {"peer_id":"127.0.0.1:5001","channel":"${name}"}`,
        );
      const { entries, next } = found;
      tracker.trace(`[Tracker] Returning ${entries.length} peers in #${name}${pageNote(next)}`);
      return listAnswer({ status: 'ok', channel: name, count: entries.length, ...(next === undefined ? {} : { next }) }, entries);
    }

    /**
     * The document's `/get-list/`. Heartbeats, most of a tracker's traffic, never change it, so the answer is
     * kept and sent again until the registry's version moves: at 100,000 peers (6 MB) that turns tens of
     * milliseconds of work and garbage per request into one write (docs/benchmarks.md, the tracker).
     */
    private async wholeList(): Promise<Response> {
      const version = await registry.version();
      if (this.wholeListCache?.version !== version) {
        const entries = await registry.list();
        const body = listAnswer({ status: 'ok', count: entries.length }, entries).body as Buffer;
        this.wholeListCache = { version, count: entries.length, body };
      }
      tracker.trace(`[Tracker] Returning ${this.wholeListCache.count} peers`);
      return jsonText(this.wholeListCache.body);
    }

    @app.route('/remove/', { methods: ['POST'] })
    @logged
    async remove(request: Request) {
      const id = readPeerIdBody(request);
      tracker.limit(id);
      await tracker.requireOwner(id, request);
      if (await registry.unregister(id)) {
        tracker.log(`[Tracker] Unregistered: ${id} - Total: ${await registry.count()}`);
        await tracker.leaveAll(id, tracker.now());
        return { status: 'ok', message: 'Peer unregistered' };
      }
      // Removing twice is not an error: a peer quitting after its TTL ran out must still exit cleanly.
      tracker.log(`[Tracker] Not registered: ${id} (already removed)`);
      return { status: 'ok', message: 'Peer was not registered (already removed or expired)' };
    }

    @app.route('/heartbeat/', { methods: ['POST'] })
    @logged
    async heartbeat(request: Request) {
      const { peer_id: id, channels } = readHeartbeatBody(request);
      tracker.limit(id);
      await tracker.requireOwner(id, request);
      if (await registry.heartbeat(id, tracker.now())) {
        tracker.trace(`[Tracker] Heartbeat: ${id}`);
        const answer = { status: 'ok', peer_id: id, ttl: registry.ttlMs / 1000 };
        return channels === undefined ? answer : { ...answer, ...(await rejoin(tracker, id, channels, request.remoteAddress)) };
      }
      // 404 tells the peer the tracker forgot it (restart or TTL): it answers by registering again.
      tracker.log(`[Tracker] Heartbeat from unknown peer ${id} - asked it to register again`);
      return json({ status: 'error', error: 'unknown peer', peer_id: id, hint: 'register again with POST /submit-info/' }, 404);
    }
  }
  new PeerRoutes();
}

/** 429 for a key-less registration past its address's share (`shares.ts`): what to do instead, in one sentence. */
function shareFull(address: string, ttlMs: number): HttpError {
  const why =
    `Your address ${address} has registered ${UNPROVEN_PER_ADDRESS} peers with no key, its share; register with a key ` +
    `("public_key", docs/identity.md), remove one with POST /remove/, or wait until one expires (${ttlMs / 1000} s unseen)`;
  return new HttpError(429, why, { headers: { 'Retry-After': String(Math.ceil(ttlMs / 1000)) } });
}

/** The members of `name` (join order), or one page of them (id order); undefined when there is no such channel. */
async function channelList(tracker: TrackerContext, name: string, page: PageQuery | undefined): Promise<PeerPage | undefined> {
  const { registry, channels } = tracker;
  if (name === GENERAL_CHANNEL) return page ? registry.page(page.after, page.limit) : { entries: await registry.list() };
  if (page === undefined) {
    const ids = await channels.members(name);
    return ids && { entries: await registry.entries(ids) };
  }
  const members = await channels.page(name, page.after, page.limit);
  if (members === undefined) return undefined;
  const entries = await registry.entries(members.ids);
  return members.next === undefined ? { entries } : { entries, next: members.next };
}

/**
 * `{...fields,"peers":[...]}`: what `json({ ...fields, peers })` would send, byte for byte, from entries that are
 * JSON already (`EntryJson`): the list is joined, not built and serialized again at every request.
 */
function listAnswer(fields: Record<string, unknown>, entries: EntryJson[]): Response {
  const head = JSON.stringify(fields).slice(0, -1);
  return jsonText(`${head},"peers":[${entries.join(',')}]}`);
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
