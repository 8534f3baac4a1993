/**
 * Discovery: the tracker's list, then a connection to each peer on it not connected yet; each peer reached
 * gets what waits for it at once and is asked what it said meanwhile (catch-up). Answers what happened, for
 * the console to word. Ports `discover_and_connect_peers` of WeApRous `apps/peer.py`.
 */

import type { PeerEntry } from '../../protocol';
import { reasonOf } from '../../text';
import type { Delivery } from '../delivery/delivery';
import type { ChatState, PeerInfo } from '../model/peers';
import type { CatchUp } from './catch-up';
import type { PeerClient } from './peer-client';
import type { TrackerSession } from './session';
import type { TrackerClient } from './tracker-client';

/** 'start' and 'command' connect to new peers; 'again' (back after losing the tracker) to every listed peer. */
export type DiscoveryMode = 'start' | 'command' | 'again';

/** One listed peer: connected now (`peer`) or not (`reason`); `before` when it was connected already. */
export type Meeting = { peerId: string; before: boolean } & ({ peer: PeerInfo } | { reason: string });

export type Discovered = { ok: false; reason: string } | { ok: true; listed: number; meetings: Meeting[] };

export interface DiscoveryParts {
  state: ChatState;
  tracker: TrackerClient;
  session: TrackerSession;
  client: PeerClient;
  delivery: Delivery;
  catchUp: CatchUp;
  /** Runs a task without waiting for it (the catch-ups). */
  background: (task: () => Promise<void>) => void;
}

export class Discovery {
  constructor(private readonly parts: DiscoveryParts) {}

  /** Fetches the list and connects to the peers `mode` says, all at once, answering in the tracker's order. */
  async connect(mode: DiscoveryMode): Promise<Discovered> {
    const { state, client, delivery, catchUp } = this.parts;
    let entries: PeerEntry[];
    try {
      entries = await this.list(mode);
    } catch (error) {
      return { ok: false, reason: reasonOf(error) };
    }
    const known = new Set(state.peers().map((peer) => peer.peer_id));
    const fresh = entries.filter((entry) => entry.peer_id !== state.self.peer_id && (mode === 'again' || !known.has(entry.peer_id)));
    const results = await client.connectAll(fresh);
    const meetings = results.map((result, i): Meeting => {
      const before = known.has(fresh[i].peer_id);
      if (result.status === 'rejected') return { peerId: fresh[i].peer_id, before, reason: reasonOf(result.reason) };
      const peer = result.value;
      delivery.reached(peer.peer_id);
      delivery.retryNow(peer.peer_id);
      this.parts.background(() => catchUp.run(peer)); // what was said while this peer was away, or before it came
      return { peerId: peer.peer_id, before, peer };
    });
    return { ok: true, listed: entries.length, meetings };
  }

  /** The tracker's list; by `/discover`, after registering again if the tracker restarted and forgot this peer. */
  private async list(mode: DiscoveryMode): Promise<PeerEntry[]> {
    const { tracker, session, state } = this.parts;
    const entries = await tracker.list();
    const missing = !entries.some((entry) => entry.peer_id === state.self.peer_id);
    if (mode === 'command' && missing && (await session.rejoin())) return tracker.list();
    return entries;
  }
}
