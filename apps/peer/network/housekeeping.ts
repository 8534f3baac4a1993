/**
 * Giving up on a peer nobody can reach: a key-less peer (the document's curl `TestPeer`) whose oldest waiting
 * message is older than `GIVE_UP_AFTER_MS` and that the tracker no longer lists has its outbox dropped, with a
 * line saying so; the messages stay in the history. Run after each heartbeat the tracker answered. New.
 */

import type { Delivery } from '../delivery/delivery';
import type { Trust } from '../identity/trust';
import type { Notify } from '../model/notices';
import type { TrackerClient } from './tracker-client';

/** How long a key-less, unlisted peer may leave messages waiting before they are given up: 10 minutes. */
export const GIVE_UP_AFTER_MS = 10 * 60_000;

export interface HousekeepingParts {
  delivery: Pick<Delivery, 'pending' | 'drop'>;
  trust: Pick<Trust, 'knows'>;
  tracker: Pick<TrackerClient, 'list'>;
  notify: Notify;
  now?: () => number;
}

/** After a heartbeat: drops the outboxes of key-less peers that took nothing for 10 minutes and are listed no more. */
export async function giveUpOnTheGone(parts: HousekeepingParts): Promise<void> {
  const now = (parts.now ?? Date.now)();
  // `oldest` is the waiting message's own time, in seconds; a peer with a key is never given up (it may come back).
  const stale = parts.delivery
    .pending()
    .filter(({ peerId, oldest }) => !parts.trust.knows(peerId) && oldest !== undefined && now - oldest * 1000 > GIVE_UP_AFTER_MS);
  if (stale.length === 0) return;
  let listed: Set<string>;
  try {
    listed = new Set((await parts.tracker.list()).map((entry) => entry.peer_id));
  } catch {
    return; // the tracker cannot say who is gone: decide nothing now
  }
  for (const { peerId } of stale) {
    if (listed.has(peerId)) continue;
    const dropped = await parts.delivery.drop(peerId);
    if (dropped > 0) parts.notify({ kind: 'outbox-given-up', peer: { peer_id: peerId }, dropped, minutes: GIVE_UP_AFTER_MS / 60_000 });
  }
}
