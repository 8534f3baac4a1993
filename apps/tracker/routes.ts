/**
 * The tracker's HTTP API on a WeApRous app: register (`/submit-info/`), list (`/get-list/`), unregister
 * (`/remove/`) and stay alive (`/heartbeat/`), each answering JSON and logging what it did.
 * The state lives in `registry.ts`; the clock and the log are passed in, so tests control both.
 * Ports the Task 2 routes of WeApRous `apps/sampleApp.py`, which built raw HTTP strings by hand.
 */

import { WeApRous, type Handler } from '../../daemon/weaprous';
import { json } from '../../daemon/response';
import { HttpError } from '../../daemon/status';
import type { Request } from '../../daemon/request';
import { readPeerIdBody, readRegisterBody } from '../protocol';
import { PeerRegistry } from './registry';

export interface TrackerOptions {
  registry: PeerRegistry;
  /** Prints one log line; `console.log` in the real tracker. */
  log: (line: string) => void;
  /** Milliseconds since the epoch; `Date.now` in the real tracker. */
  now: () => number;
}

/** Builds the tracker app: `createTrackerApp({ registry, log: console.log, now: Date.now })`. */
export function createTrackerApp(options: TrackerOptions): WeApRous {
  const routes = new TrackerRoutes(options);
  const logged = (handler: Handler) => (request: Request) => routes.logged(request, handler);
  return new WeApRous()
    .addRoute(
      'POST',
      '/submit-info/',
      logged((request) => routes.submitInfo(request)),
    )
    .addRoute(
      'GET',
      '/get-list/',
      logged(() => routes.getList()),
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
}

/** One method per route, sharing the registry, the log and the clock. */
class TrackerRoutes {
  private readonly registry: PeerRegistry;
  private readonly log: (line: string) => void;
  private readonly now: () => number;

  constructor({ registry, log, now }: TrackerOptions) {
    this.registry = registry;
    this.log = log;
    this.now = now;
  }

  /** Every request logs itself and first drops the peers whose TTL ran out, so no list is ever stale. */
  logged(request: Request, handler: Handler) {
    this.log(`[Tracker] ${request.method} ${request.path}`);
    if (request.body.length > 0) this.log(`[Tracker] Body: ${printable(request.body.toString('utf8'))}`);
    for (const gone of this.registry.expire(this.now())) {
      this.log(`[Tracker] Expired: ${gone.peer_id} (not seen for ${this.registry.ttlMs / 1000} s) - Total: ${this.registry.size}`);
    }
    try {
      return handler(request);
    } catch (error) {
      if (error instanceof HttpError) this.log(`[Tracker] Rejected (${error.status}): ${error.message}`);
      throw error;
    }
  }

  submitInfo(request: Request) {
    const { entry } = this.registry.register(readRegisterBody(request), this.now());
    this.log(`[Tracker] Registered: ${entry.peer_id} - Total: ${this.registry.size}`);
    return { status: 'ok', peer_id: entry.peer_id };
  }

  getList() {
    const peers = this.registry.list();
    this.log(`[Tracker] Returning ${peers.length} peers`);
    return { status: 'ok', count: peers.length, peers };
  }

  remove(request: Request) {
    const id = readPeerIdBody(request);
    if (this.registry.unregister(id)) {
      this.log(`[Tracker] Unregistered: ${id} - Total: ${this.registry.size}`);
      return { status: 'ok', message: 'Peer unregistered' };
    }
    // Removing twice is not an error: a peer quitting after its TTL ran out must still exit cleanly.
    this.log(`[Tracker] Not registered: ${id} (already removed)`);
    return { status: 'ok', message: 'Peer was not registered (already removed or expired)' };
  }

  heartbeat(request: Request) {
    const id = readPeerIdBody(request);
    if (this.registry.heartbeat(id, this.now())) {
      this.log(`[Tracker] Heartbeat: ${id}`);
      return { status: 'ok', peer_id: id, ttl: this.registry.ttlMs / 1000 };
    }
    // 404 tells the peer the tracker forgot it (restart or TTL): it answers by registering again.
    this.log(`[Tracker] Heartbeat from unknown peer ${id} - asked it to register again`);
    return json({ status: 'error', error: 'unknown peer', peer_id: id, hint: 'register again with POST /submit-info/' }, 404);
  }
}

/** The banner printed before the tracker starts listening (the document's Test 1, now that routes answer JSON). */
export function trackerBanner(ip: string, port: number, ttlSeconds: number): string[] {
  const rule = '='.repeat(60);
  return [
    rule,
    'Task 2: Tracker Server (WeApRous)',
    rule,
    'Peers register here and fetch the list of peers;',
    'every route answers JSON. Chat messages never pass',
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
    rule,
  ];
}

/** A request body fit for one log line: control characters escaped, long bodies cut. */
function printable(text: string): string {
  const line = text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return line.length > 300 ? `${line.slice(0, 300)}... (${text.length} characters)` : line;
}
