/**
 * The tracker's status page: `GET /` serves `www/tracker.html`, whose script (`static/js/tracker.js`) polls
 * `GET /status/` every few seconds and lists the peers (name, address, last seen, channels) and the channels
 * (members, public or private). A read-only view: it changes nothing, logs nothing (an open page would fill the
 * log), and shows no key or key hash. New, not in WeApRous: its tracker answered JSON only.
 */

import { join } from 'node:path';
import type { WeApRous } from '../../daemon/weaprous';
import type { Request } from '../../daemon/request';
import { json, type Response } from '../../daemon/response';
import { serveFile } from '../../daemon/static';
import { GENERAL_CHANNEL } from '../protocol';
import { parseEntries, type Registry } from './registry';
import type { Channels } from './channels';
import { REPOSITORY } from '../repository';

/** One peer as the page shows it; `last_seen` is in milliseconds since the epoch, as `now` is. */
export interface StatusPeer {
  peer_id: string;
  ip: string;
  port: number;
  name?: string;
  last_seen: number;
  /** `general` first, then the others in the order the peer joined them. */
  channels: string[];
}

export interface StatusChannel {
  name: string;
  private: boolean;
  /** Peer ids in the order they joined. */
  members: string[];
}

/** The body of `GET /status/`. */
export interface TrackerStatus {
  status: 'ok';
  /** The tracker's clock, so the page says "5 s ago" without trusting the browser's clock. */
  now: number;
  /** Seconds a peer stays listed without a heartbeat. */
  ttl: number;
  peers: StatusPeer[];
  channels: StatusChannel[];
}

export interface StatusSource {
  registry: Registry;
  channels: Channels;
  now: () => number;
}

export interface StatusFiles {
  /** Folder holding `tracker.html`; default the repository's `www/`. */
  wwwRoot?: string;
  /** Folder holding `css/tracker.css` and `js/tracker.js`; default the repository's `static/`. */
  staticRoot?: string;
}

/**
 * Only the tracker's own scripts and styles run on its page, even if a peer name slipped into the HTML: no inline
 * script, no other origin, no framing, no `<base>` and no form posting elsewhere.
 */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The assets the page loads, by URL; nothing else of `static/` is served by the tracker. */
const ASSETS: Record<string, string> = {
  '/static/css/tracker.css': 'css/tracker.css',
  '/static/js/tracker.js': 'js/tracker.js',
  // The page names its icon, as every page of www/ does, so a browser does not ask for /favicon.ico and log a 404.
  '/static/images/logo.svg': 'images/logo.svg',
};

/** Adds `GET /`, `GET /status/` and the page's assets (script, style sheet, icon) to the tracker app. */
export function statusRoutes(app: WeApRous, source: StatusSource, files: StatusFiles = {}): WeApRous {
  const www = files.wwwRoot ?? join(REPOSITORY, 'www');
  const assets = files.staticRoot ?? join(REPOSITORY, 'static');
  app.addRoute('GET', '/', async (request) => withPolicy(await serveFile(www, 'tracker.html', request)));
  app.addRoute('GET', '/status/', async () => withPolicy(json(await trackerStatus(source))));
  for (const [url, file] of Object.entries(ASSETS)) {
    app.addRoute('GET', url, async (request: Request) => withPolicy(await serveFile(assets, file, request)));
  }
  return app;
}

/**
 * What the tracker holds right now. A peer past its TTL is left out even before the next write request
 * expires it (`routes.ts` does that, and logs it), so the page never lists a peer `/get-list/` would not.
 */
export async function trackerStatus({ registry, channels, now }: StatusSource): Promise<TrackerStatus> {
  const at = now();
  const listed = parseEntries(await registry.list());
  // One question per peer, all sent at once: the Redis registry pipelines them into one round trip.
  const seen = await Promise.all(listed.map((peer) => registry.lastSeen(peer.peer_id)));
  const lastSeen = new Map(listed.map((peer, i) => [peer.peer_id, seen[i]]));
  const alive = (id: string) => {
    const when = lastSeen.get(id);
    return when !== undefined && at - when <= registry.ttlMs;
  };
  const live = listed.filter((peer) => alive(peer.peer_id));
  const joined = await Promise.all(live.map((peer) => channels.channelsOf(peer.peer_id)));
  const peers = live.map(({ peer_id, ip, port, name }, i) => ({
    // Field by field, so that nothing added to the registry's entries (a key) reaches the page unseen.
    peer_id,
    ip,
    port,
    ...(name === undefined ? {} : { name }),
    last_seen: lastSeen.get(peer_id)!,
    channels: [GENERAL_CHANNEL, ...joined[i]],
  }));
  const general = { name: GENERAL_CHANNEL, private: false, members: peers.map((peer) => peer.peer_id) };
  const others = await Promise.all(
    (await channels.names()).map(async (name) => ({
      name,
      private: await channels.isPrivate(name),
      members: ((await channels.members(name)) ?? []).filter(alive),
    })),
  );
  return { status: 'ok', now: at, ttl: registry.ttlMs / 1000, peers, channels: [general, ...others] };
}

function withPolicy(res: Response): Response {
  res.headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  return res;
}
