/**
 * Discovery: the tracker's list, then a connection to each peer on it not connected yet, proven ones first; each
 * peer joins the moment it answers, gets what waits for it and is asked what it said meanwhile (catch-up). Answers
 * what happened within `REPORT_WITHIN_MS`, and the rest as it comes. Ports `discover_and_connect_peers` of
 * WeApRous `apps/peer.py`.
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
  /** Whether a peer has proven itself (a contact, a key met): such peers are connected to first. */
  isProven?: (peerId: string) => boolean;
  /** The waits before each new try of a first meeting that failed; `MEET_RETRY_MS` unless a test wants them short. */
  retryMs?: number[];
}

/**
 * A meeting refused by a peer that answered (a slow peer's identity check: 401; busy: 503 or 429) is tried again
 * after these waits, then left to `/discover` and the next registration: about 15 s, four requests at most.
 */
export const MEET_RETRY_MS = [1_000, 2_000, 4_000, 8_000];
/** Meetings being tried again at most at once: 256 made-up peers answering 503 do not make 256 retries. */
export const MAX_MEET_RETRIES = 16;

/**
 * Whether a failed meeting may pass by itself: the peer answered, and said "not now". An address that did not
 * answer is not asked again here (its messages wait in an outbox): 300 listed addresses that never answer must
 * not come back as 300 connections at once, outside `connectAll`'s limit.
 */
function mayPass(reason: unknown): boolean {
  return /^Answer (401|429|503)\b/.test(reasonOf(reason));
}

/** `connect` answers what happened by then; a listed peer slower to answer is told to `onLate` (the console opens meanwhile). */
export const REPORT_WITHIN_MS = 2_000;

export class Discovery {
  private readonly retrying = new Set<string>();

  constructor(private readonly parts: DiscoveryParts) {}

  /**
   * Fetches the list and connects to the peers `mode` says, proven ones first, answering in the tracker's order
   * those settled within `REPORT_WITHIN_MS`; each later one goes to `onLate`. Messages typed meanwhile wait for them.
   */
  async connect(mode: DiscoveryMode, onLate: (meeting: Meeting) => void = () => {}): Promise<Discovered> {
    const { state, client, delivery } = this.parts;
    let entries: PeerEntry[];
    try {
      entries = await this.list(mode);
    } catch (error) {
      return { ok: false, reason: reasonOf(error) };
    }
    const known = new Set(state.peers().map((peer) => peer.peer_id));
    const listed = entries.filter((entry) => entry.peer_id !== state.self.peer_id && (mode === 'again' || !known.has(entry.peer_id)));
    const proven = this.parts.isProven ?? (() => false);
    const fresh = [...listed.filter((entry) => proven(entry.peer_id)), ...listed.filter((entry) => !proven(entry.peer_id))];
    for (const entry of fresh) if (!known.has(entry.peer_id)) delivery.expect(entry);
    const meetings: Meeting[] = [];
    let late = false;
    const all = client.connectAll(fresh, (target, result, elapsedMs) => {
      const meeting = this.met(target, result, elapsedMs, known.has(target.peer_id));
      if (result.status === 'rejected' && mayPass(result.reason)) this.retry(target, onLate, 0);
      if (late) onLate(meeting);
      else meetings.push(meeting);
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, REPORT_WITHIN_MS)))]);
    clearTimeout(timer);
    late = true;
    // Reported, and listed by /peers, in the tracker's order, as the document shows them, whatever order they answered in.
    const order = new Map(entries.map((entry, i) => [entry.peer_id, i]));
    meetings.sort((a, b) => (order.get(a.peerId) ?? 0) - (order.get(b.peerId) ?? 0));
    state.arrange(meetings.filter((meeting) => 'peer' in meeting).map((meeting) => meeting.peerId));
    return { ok: true, listed: entries.length, meetings };
  }

  /** A listed peer answered or not: what waits for it goes now, or into its outbox; one that answered is caught up with. */
  private met(target: PeerEntry, result: PromiseSettledResult<PeerInfo>, elapsedMs: number, before: boolean): Meeting {
    const { delivery, catchUp } = this.parts;
    if (result.status === 'rejected') {
      const reason = reasonOf(result.reason);
      delivery.missed(target.peer_id, reason);
      return { peerId: target.peer_id, before, reason };
    }
    const peer = result.value;
    delivery.reached(peer.peer_id, elapsedMs);
    delivery.retryNow(peer.peer_id);
    this.parts.background(() => catchUp.run(peer)); // what was said while this peer was away, or before it came
    return { peerId: peer.peer_id, before, peer };
  }

  /** Tries a failed meeting again after the `attempt`th wait, unless the peer has connected to this one meanwhile. */
  private retry(target: PeerEntry, onLate: (meeting: Meeting) => void, attempt: number): void {
    const wait = (this.parts.retryMs ?? MEET_RETRY_MS)[attempt];
    const id = target.peer_id;
    if (wait === undefined) return void this.retrying.delete(id); // tried enough: /discover or the next registration
    if (attempt === 0 && (this.retrying.has(id) || this.retrying.size >= MAX_MEET_RETRIES)) return;
    this.retrying.add(id);
    const timer = setTimeout(async () => {
      const started = Date.now();
      const [result] = this.parts.state.isConnected(id) ? [] : await this.parts.client.connectAll([target]);
      if (result?.status === 'rejected' && mayPass(result.reason)) return this.retry(target, onLate, attempt + 1);
      this.retrying.delete(id);
      if (result?.status === 'fulfilled') onLate(this.met(target, result, Date.now() - started, false));
    }, wait);
    timer.unref(); // a quitting peer does not wait for it
  }

  /**
   * After a heartbeat: the listed peers whose key this peer knows (met before) but that are not connected, or
   * that missed a message no outbox holds (`ChatState.owe`), are met again, at most `MAX_MEET_RETRIES` at a time: a meeting that failed for want of an answer (a partition, a
   * peer restarted while cut off) heals by itself, and the meeting catches both sides up. Each met goes to `onMet`.
   */
  async meetAgain(onMet: (meeting: Meeting) => void, list = () => this.parts.tracker.list()): Promise<void> {
    const { state, client } = this.parts;
    let entries: PeerEntry[];
    try {
      entries = await list();
    } catch {
      return; // the tracker is away: the next heartbeat asks again
    }
    const proven = this.parts.isProven ?? (() => false);
    const missing = entries
      .filter((entry) => entry.peer_id !== state.self.peer_id && state.needsMeeting(entry.peer_id) && proven(entry.peer_id))
      .slice(0, MAX_MEET_RETRIES);
    if (missing.length === 0) return;
    const started = Date.now();
    const results = await client.connectAll(missing);
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') onMet(this.met(missing[i], result, Date.now() - started, false));
    });
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
