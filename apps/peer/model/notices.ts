/**
 * Notices: what the parts below the screens have to tell the user, as data. A part emits a notice through a
 * `Notify` function it was given; the console turns each into its line (`console/lines.ts`), so no sentence
 * for the screen is written below it. New; WeApRous `apps/peer.py` printed from wherever it was.
 */

import type { ChatMessage } from './message';
import type { PeerInfo } from './peers';

/** Who is named in a notice: a peer met (with its name), or only its id (an outbox after a restart). */
export type PeerRef = { peer_id: string; name?: string };

/** One peer a message did not reach now, and why; `waiting` when it waits in that peer's outbox. */
export interface Failure {
  peer: PeerInfo;
  reason: string;
}

/** What became of one message handed to several peers (`Chat.send` in #general or a channel). */
export interface SendReport {
  sent: number;
  total: number;
  failures: Failure[];
  /** Peers that refused the connection: nothing listens there any more, so they were dropped. */
  dropped: PeerInfo[];
  /** Peers the message waits for in their outbox, and how many wait for each. */
  queued: Array<{ peer: PeerInfo; waiting: number }>;
}

export type Notice =
  // The peer-to-peer half (network/routes.ts, chat.ts)
  | { kind: 'peer-connected'; peer: PeerInfo }
  | { kind: 'peer-left'; peer: PeerInfo }
  | { kind: 'broadcast-sent'; report: SendReport }
  | { kind: 'channel-sent'; channel: string; report: SendReport }
  /** `clear`: sent without encryption, to a peer with no key (the document's kind). */
  | { kind: 'direct-sent'; peer: PeerInfo; clear?: true }
  | { kind: 'direct-failed'; peer: PeerInfo; reason: string; waiting?: number }
  // Messages that wait (delivery/)
  | { kind: 'waiting-delivered'; peer: PeerRef; count: number }
  | { kind: 'waiting-failed'; peer: PeerRef; reason: string }
  /** A waiting message the peer refused for good (a 4xx other than 409 and 429): dropped from its outbox. */
  | { kind: 'waiting-refused'; peer: PeerRef; id: string; reason: string }
  | { kind: 'outbox-evicted'; peer: PeerRef; dropped: number; forPeer: PeerRef; maxOutboxes: number }
  | { kind: 'outboxes-on-disk'; peers: number; maxOutboxes: number }
  /** A key-less peer that took nothing for `minutes` and the tracker lists no more (network/housekeeping.ts). */
  | { kind: 'outbox-given-up'; peer: PeerRef; dropped: number; minutes: number }
  // History (storage/, network/inbox.ts, network/catch-up.ts)
  | { kind: 'history-full'; reason: string }
  | { kind: 'caught-up'; channel: string; peer: PeerInfo; added: number; forged: number }
  | { kind: 'catch-up-failed'; channel: string; peer: PeerInfo; reason: string }
  // The tracker (network/session.ts)
  | { kind: 'registered'; status: string }
  | { kind: 'registration-failed'; reason: string; retrySeconds: number }
  | { kind: 'tracker-forgot' }
  | { kind: 're-registered' }
  | { kind: 'heartbeat-failed'; reason: string }
  // A channel the tracker would not let this peer back into (chat.ts: Chat.channelsAnswered), and one it took again
  | { kind: 'channel-refused'; channel: string; status: number; reason: string; private: boolean }
  | { kind: 'channel-back'; channel: string }
  // Keys (identity/trust.ts)
  | { kind: 'key-changed'; peer: PeerRef; knownPeersFile: string }
  // A file or folder problem, in the words of the part that met it: `area` says which part.
  | { kind: 'problem'; area: 'history' | 'outbox' | 'web'; reason: string }
  // A task run in the background failed (it may quote another peer).
  | { kind: 'failed'; reason: string }
  // A message another peer sent, when nobody above shows it (a server tested alone).
  | { kind: 'message'; type: 'broadcast' | 'direct'; message: ChatMessage };

/** Where a part sends its notices; the console prints them, a test may collect them. */
export type Notify = (notice: Notice) => void;
