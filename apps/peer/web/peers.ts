/**
 * The peer list as the browser shows it (name, reachable, verified, messages waiting), and the `peers` event
 * that carries it. It listens to the chat state (`ChatState.onChange`: a peer connecting or leaving, whoever
 * caused it, or `touch()` for a message delivered or queued); a moment later the list is built again and
 * emitted only if it differs, so a burst of changes is one event. New, not in WeApRous.
 */

import type { ChatState } from '../model/peers';
import type { EventLog } from '../model/events';
import type { PeerView } from '../model/views';

export interface PeerSource {
  state: ChatState;
  /** Peers with messages in their outbox, and how many. */
  pending: () => Array<{ peerId: string; waiting: number }>;
  knows: (peerId: string) => boolean;
}

/** How long after a change the list is built again: enough for an outbox to write what it was just handed. */
const SETTLE_MS = 100;

/** Names of peers met, so a peer that left is still named while messages wait for it; the oldest forgotten beyond. */
const NAMES_KEPT = 1_000;

export class PeerList {
  private last = '';
  private readonly names = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly source: PeerSource,
    private readonly events: EventLog,
  ) {
    source.state.onChange(() => this.changed());
  }

  /** The connected peers in the order they connected, then the peers only messages wait for. */
  snapshot(): PeerView[] {
    const { state } = this.source;
    const waiting = new Map(this.source.pending().map(({ peerId, waiting }) => [peerId, waiting]));
    const view = (peer_id: string, name: string, connected: boolean): PeerView => ({
      peer_id,
      name,
      reachable: connected && !waiting.has(peer_id),
      verified: this.source.knows(peer_id),
      waiting: waiting.get(peer_id) ?? 0,
    });
    for (const peer of state.peers()) this.remember(peer.peer_id, peer.name);
    const connected = state.peers().map((peer) => view(peer.peer_id, peer.name, true));
    const away = [...waiting.keys()].filter((id) => !state.isConnected(id)).map((id) => view(id, this.names.get(id) ?? id, false));
    return [...connected, ...away];
  }

  /** Something may have changed: emit `peers` shortly, once, if the list is not what was last sent. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const peers = this.snapshot();
      const text = JSON.stringify(peers);
      if (text === this.last) return;
      this.last = text;
      this.events.emit('peers', { peers });
    }, SETTLE_MS);
    this.timer.unref();
  }

  private remember(peerId: string, name: string): void {
    this.names.delete(peerId);
    this.names.set(peerId, name);
    if (this.names.size > NAMES_KEPT) this.names.delete(this.names.keys().next().value as string);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
