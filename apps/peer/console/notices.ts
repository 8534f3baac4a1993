/**
 * The console's words for what the parts below it report: each `Notice` (`model/notices.ts`) becomes its
 * lines here, and the tracker's, the deliveries' and the catch-ups' lines live here with them. Ports the
 * `print` calls of WeApRous `apps/peer.py`'s network code; the wording is the reference document's.
 */

import type { Notice, PeerRef, SendReport } from '../model/notices';
import type { PeerInfo } from '../model/peers';
import { channelLines, clean, describePeer, messages } from './lines';

/**
 * Lines about the tracker, the client-server half of the chat (document Tests 2 and 10). A status or a
 * reason can quote an answer from the network (`Answer 400: ...`), so it is cleaned like a message.
 */
export const trackerLines = {
  registered: (status: string) => `[Tracker] Registration successful: ${clean(status.toUpperCase())}`,
  registrationFailed: (reason: string, retrySeconds: number) =>
    `[Tracker] Registration failed: ${clean(reason)} - retrying every ${retrySeconds}s (the console works meanwhile)`,
  forgotten: () => '[Tracker] The tracker does not know this peer any more (it restarted or the TTL ran out)',
  reRegistered: () => '[Tracker] Re-registered with the tracker',
  heartbeatFailed: (reason: string) =>
    `[Tracker] Heartbeat failed: ${clean(reason)} - the chat goes on peer-to-peer; registering again when the tracker is back`,
  discovering: () => 'Discovering peers...',
  found: (count: number) => `[Tracker] Found ${count} peers`,
  discoveryFailed: (reason: string) => `[Tracker] Discovery failed: ${clean(reason)}`,
  channelRefused: (channel: string, status: number, reason: string, isPrivate: boolean) =>
    `[Tracker] The tracker refused #${channel} (${status}): ${clean(reason)}` +
    (isPrivate
      ? ` - someone else holds that name there now; messages in #${channel} go only to peers that prove its key`
      : ` - the tracker's members of #${channel} are no longer the ones you joined with`),
  channelBack: (channel: string) => `[Tracker] The tracker has this peer in #${channel} again`,
  unregistered: (status: string) => `[Tracker] Unregister successful: ${clean(status.toUpperCase())}`,
  unregisterFailed: (reason: string) => `[Tracker] Unregister failed: ${clean(reason)} (the tracker forgets this peer after its TTL)`,
};

/** After a failed line: the message waits in that peer's outbox, sent again until the peer has it. */
export function queuedLine(peer: { name: string; peer_id: string }, waiting: number): string {
  return `[P2P]   queued for ${describePeer(peer)}: ${messages(waiting)} waiting, sent again until it is delivered`;
}

/**
 * The answer to /outbox: for each peer messages wait for, how many, how old the oldest is and when the next
 * try is. `now` in ms; `oldest` in seconds, as a message's timestamp.
 */
export function outboxLines(
  waiting: Array<{ peer: { name: string; peer_id: string }; waiting: number; oldest?: number; nextTry: number }>,
  now: number,
): string[] {
  if (waiting.length === 0) return ['No messages are waiting for any peer'];
  const ago = (seconds: number) => duration(now - seconds * 1000);
  return [
    `Messages waiting (${waiting.length} peer${waiting.length === 1 ? '' : 's'}):`,
    ...waiting.map(
      ({ peer, waiting: n, oldest, nextTry }) =>
        `  - ${describePeer(peer)}: ${messages(n)}${oldest === undefined ? '' : `, oldest ${ago(oldest)} ago`}, next try ${nextTry <= now ? 'now' : `in ${duration(nextTry - now)}`}`,
    ),
    `Type /outbox drop <peer> to give up on what waits for a peer (it stays in this peer's history)`,
  ];
}

/** After /outbox drop: how many messages went. */
export function outboxDroppedLine(peer: { name: string; peer_id: string }, dropped: number): string {
  if (dropped === 0) return `No messages were waiting for ${describePeer(peer)}`;
  return `[P2P] Dropped ${messages(dropped)} waiting for ${describePeer(peer)} (they stay in this peer's history)`;
}

/** `45s`, `3m`, `2h` */
function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  return seconds < 3600 ? `${Math.floor(seconds / 60)}m` : `${Math.floor(seconds / 3600)}h`;
}

/** A received message: `[BROADCAST] Alice (127.0.0.1:5001): Hello everyone from Alice!` */
export function messageLine(type: 'broadcast' | 'direct', name: string, from: string, msg: string): string {
  return `[${type === 'broadcast' ? 'BROADCAST' : 'DIRECT'}] ${clean(name)} (${clean(from)}): ${clean(msg)}`;
}

/** After catch-up: `[History] Caught up on #general from Bob (127.0.0.1:5002): 3 new messages (/history)` */
export function caughtUpLine(channel: string, peer: { name: string; peer_id: string }, added: number, forged = 0): string {
  const refused = forged === 0 ? '' : `; refused ${forged} not signed by the sender they name`;
  return `[History] Caught up on #${channel} from ${describePeer(peer)}: ${added} new message${added === 1 ? '' : 's'}${refused} (/history #${channel})`;
}

/** Seen by the peer that was asked to connect (document Test 3, Alice's side). */
export function peerConnectedLine(peer: PeerInfo): string {
  return `[P2P] Peer connected: ${describePeer(peer)}`;
}

export function peerLeftLine(peer: PeerInfo): string {
  return `[P2P] Peer disconnected: ${describePeer(peer)}`;
}

interface Failure {
  peer: PeerInfo;
  reason: string;
}

/** `[P2P] Broadcast sent to 2/2 peers`, then which peers failed and why. */
export function broadcastReport(sent: number, total: number, failures: Failure[]): string[] {
  if (total === 0) return ['[P2P] No connected peers to send to - type /discover to ask the tracker for peers'];
  const lines = [`[P2P] Broadcast sent to ${sent}/${total} peers`];
  for (const failure of failures) lines.push(`[P2P]   failed: ${describePeer(failure.peer)} - ${clean(failure.reason)}`);
  return lines;
}

/** A peer that refused a connection has gone away without saying so; it is dropped from /peers. */
export function droppedLine(peer: PeerInfo): string {
  return `[P2P] Removed ${describePeer(peer)} from the connected peers: nothing is listening there any more`;
}

/** `clear`: it went without encryption, since the peer has no key (the document's kind); the sender is told so. */
export function directSentLine(peer: PeerInfo, clear = false): string {
  const sent = `[P2P] Direct message sent to ${peer.peer_id}`;
  return clear ? `${sent}, in clear: ${clean(peer.name)} has no key, so anyone on the network can read it` : sent;
}

export function directFailedLine(failure: Failure): string {
  return `[P2P] Direct message to ${describePeer(failure.peer)} failed: ${clean(failure.reason)}`;
}

/** `Bob (127.0.0.1:5002)` for a peer met, `127.0.0.1:5002` for an id alone; `named` finds a name for an id. */
function describeRef(peer: PeerRef, named: (peerId: string) => string | undefined): string {
  const name = peer.name ?? named(peer.peer_id);
  return name === undefined ? clean(peer.peer_id) : describePeer({ name, peer_id: peer.peer_id });
}

/** Peers a report names one by one; the others are counted in one line. */
export const MAX_PEERS_NAMED = 3;

/**
 * The lines after one message went to several peers: the count, the failures, what waits, who was dropped, for
 * `MAX_PEERS_NAMED` peers at most and then one line for the rest. Peers that said hello and went away must not
 * fill the screen at every message (14 of them made 28 lines a broadcast).
 */
export function reportLines(report: SendReport, channel?: string): string[] {
  const named = new Set<string>();
  const unnamed = new Set<string>();
  const shown = (peer: PeerInfo): boolean => {
    if (named.has(peer.peer_id)) return true;
    if (named.size >= MAX_PEERS_NAMED) {
      unnamed.add(peer.peer_id);
      return false;
    }
    named.add(peer.peer_id);
    return true;
  };
  const failures = report.failures.filter((failure) => shown(failure.peer));
  const queued = report.queued.filter(({ peer }) => shown(peer));
  const dropped = report.dropped.filter(shown);
  const failed = broadcastReport(report.sent, report.total, failures);
  const head = channel === undefined ? failed : [channelLines.sent(channel, report.sent, report.total), ...failed.slice(1)];
  const lines = [...head, ...queued.map(({ peer, waiting }) => queuedLine(peer, waiting)), ...dropped.map(droppedLine)];
  const more = unnamed.size;
  if (more > 0)
    lines.push(
      `[P2P]   and ${more} more ${more === 1 ? 'peer' : 'peers'} not reached now: each message waits in its outbox, or the peer was removed (type /peers)`,
    );
  return lines;
}

/**
 * The lines for one notice. `named` gives the name of a peer known only by its id (an outbox just after a
 * restart may deliver before the tracker has named the peer: then its id alone).
 */
export function noticeLines(notice: Notice, named: (peerId: string) => string | undefined = () => undefined): string[] {
  return (
    peerToPeerLines(notice) ?? waitingLines(notice, named) ?? trackerNoticeLines(notice) ?? otherLines(notice) ?? [`${notice.kind}`] // never: every kind has its words above
  );
}

/** The peer-to-peer half: who connected or left, what became of a message sent. */
function peerToPeerLines(notice: Notice): string[] | undefined {
  switch (notice.kind) {
    case 'peer-connected':
      return [peerConnectedLine(notice.peer)];
    case 'peer-left':
      return [peerLeftLine(notice.peer)];
    case 'broadcast-sent':
      return reportLines(notice.report);
    case 'channel-sent':
      return reportLines(notice.report, notice.channel);
    case 'direct-sent':
      return [directSentLine(notice.peer, notice.clear)];
    case 'direct-failed': {
      const failed = directFailedLine({ peer: notice.peer, reason: notice.reason });
      return notice.waiting === undefined ? [failed] : [failed, queuedLine(notice.peer, notice.waiting)];
    }
  }
}

/** Messages that waited in an outbox. */
function waitingLines(notice: Notice, named: (peerId: string) => string | undefined): string[] | undefined {
  switch (notice.kind) {
    case 'waiting-delivered':
      return [`[P2P] Delivered ${notice.count} waiting message${notice.count === 1 ? '' : 's'} to ${describeRef(notice.peer, named)}`];
    case 'waiting-refused':
      return [
        `[P2P] ${describeRef(notice.peer, named)} refused waiting message ${clean(notice.id)} for good; dropped from its outbox: ${clean(notice.reason)}`,
      ];
    case 'waiting-failed':
      return [`[P2P] Could not deliver waiting messages to ${describeRef(notice.peer, named)}: ${clean(notice.reason)}`];
    case 'outbox-given-up':
      return [
        `[P2P] Gave up on ${describeRef(notice.peer, named)}: it has no key, took nothing for ${notice.minutes} minutes and the tracker ` +
          `no longer lists it. Dropped ${messages(notice.dropped)} waiting for it (they stay in this peer's history).`,
      ];
    case 'outbox-evicted': {
      const they = notice.dropped === 1 ? 'It is' : 'They are';
      return [
        `[P2P] Dropped ${messages(notice.dropped)} waiting for ${describeRef(notice.peer, named)}, whose key is not known, ` +
          `to keep messages for ${describeRef(notice.forPeer, named)} (at most ${notice.maxOutboxes} peers have an outbox). ${they} still in this peer's history.`,
      ];
    }
    case 'outboxes-on-disk':
      return [
        `[P2P] Messages wait on disk for ${notice.peers} more peers than the ${notice.maxOutboxes} this peer keeps outboxes open for; they are sent as outboxes empty`,
      ];
  }
}

/** The session with the tracker. */
function trackerNoticeLines(notice: Notice): string[] | undefined {
  switch (notice.kind) {
    case 'registered':
      return [trackerLines.registered(notice.status)];
    case 'registration-failed':
      return [trackerLines.registrationFailed(notice.reason, notice.retrySeconds)];
    case 'tracker-forgot':
      return [trackerLines.forgotten()];
    case 're-registered':
      return [trackerLines.reRegistered()];
    case 'heartbeat-failed':
      return [trackerLines.heartbeatFailed(notice.reason)];
    case 'channel-refused':
      return [trackerLines.channelRefused(notice.channel, notice.status, notice.reason, notice.private)];
    case 'channel-back':
      return [trackerLines.channelBack(notice.channel)];
  }
}

/** History, keys, problems with files, a failed task, a message nobody above shows. */
function otherLines(notice: Notice): string[] | undefined {
  switch (notice.kind) {
    case 'history-full':
      return [`[History] ${clean(notice.reason)}. Messages from other peers are refused (507) until then.`];
    case 'caught-up':
      return [caughtUpLine(notice.channel, notice.peer, notice.added, notice.forged)];
    case 'catch-up-failed':
      return [`[History] Could not catch up on #${notice.channel} from ${describePeer(notice.peer)}: ${clean(notice.reason)}`];
    case 'key-changed': {
      const id = clean(notice.peer.peer_id);
      return [
        `[SECURITY] ${id} (${clean(notice.peer.name ?? id)}) offered a different key from the one this peer remembers; refused. ` +
          `If it really started over with a new identity, type /forget ${id} (or delete its line from ${notice.knownPeersFile}) and let it connect again.`,
      ];
    }
    case 'problem':
      return [`${PROBLEM_TAGS[notice.area]} ${clean(notice.reason)}`];
    case 'failed':
      return [`Error: ${clean(notice.reason)}`];
    case 'message':
      return [messageLine(notice.type, notice.message.name, notice.message.from, notice.message.msg)];
  }
}

const PROBLEM_TAGS = { history: '[History]', outbox: '[P2P]', web: '[Web]' } as const;
