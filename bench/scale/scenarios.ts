/**
 * The scale bench's scenarios, each on a fresh simulated network: a peer away while the others talk, then back
 * (`away`); the network cut in two halves, then healed (`heal`); a peer away while others queue direct messages
 * for it in their outboxes (`outboxes`). Counts are exact for the model; times are the model's. New.
 */

import { type ChatMessage, directChannel } from '../../apps/peer/model/message';
import { jsonBytes, Log } from './log';
import { type AskModel, type Counts, type LinkModel, Network } from './network';

/** What a scenario printed: the network's counts, simulated seconds to converge, and whether every peer converged. */
export interface Outcome extends Counts {
  seconds: number;
  converged: boolean;
}

/** `10.0.1.44:5000`: peer `i`'s id. */
export function peerId(i: number): string {
  return `10.0.${i >> 8}.${i & 255}:5000`;
}

/**
 * Message number `n` of peer `from`: the shape and about the size of a real one (272 bytes of JSON with an
 * Ed25519 signature in base64; docs/history.md).
 */
export function makeMessage(from: string, channel: string, n: number, clock: number): ChatMessage {
  const msg = `message ${n} from ${from}, a line of ordinary length`.slice(0, 48);
  const signature = Buffer.alloc(64, n % 251).toString('base64');
  return { id: `${from}/lq2x8k-${n}`, channel, from, name: `P${from}`, msg, timestamp: 1_765_000_000 + n, clock, signature };
}

function peers(n: number): Log[] {
  return Array.from({ length: n }, (_, i) => new Log(peerId(i)));
}

/** `count` messages in #general, sent in turn by `senders`, each reaching every peer of `audience` in the order sent. */
function talk(senders: Log[], audience: Log[], count: number, first = 0): ChatMessage[] {
  const sent: ChatMessage[] = [];
  for (let n = first; n < first + count; n++) {
    const message = makeMessage(senders[n % senders.length].selfId, 'general', n, n + 1);
    for (const peer of audience) peer.add(message);
    sent.push(message);
  }
  return sent;
}

function outcome(network: Network, logs: Log[], expected: number): Outcome {
  return { ...network.counts, seconds: network.seconds(), converged: logs.every((log) => log.size === expected) };
}

/**
 * (a) Peer 0 is away while the other `n - 1` send `m` messages in #general; it comes back and meets each of
 * them in turn. Everyone had met everyone before, when the histories were empty (so every cursor is 0).
 */
export function away(n: number, m: number, model?: LinkModel, asks?: AskModel): { outcome: Outcome; sent: ChatMessage[] } {
  const logs = peers(n);
  const [returning, ...stayed] = logs;
  const sent = talk(stayed, stayed, m);
  const network = new Network(model, asks);
  for (const peer of stayed) network.meet(returning, peer, ['general']);
  return { outcome: outcome(network, logs, m), sent };
}

/**
 * (b) The network is cut in two halves; `m` messages are sent in #general, in turn by every peer, each reaching
 * its own half. Then the cut heals and every pair across it meets (each peer of the first half, in turn, meets
 * each of the second): n/2 × n/2 meetings.
 */
export function heal(n: number, m: number, model?: LinkModel, asks?: AskModel): Outcome {
  const logs = peers(n);
  const [left, right] = [logs.slice(0, n >> 1), logs.slice(n >> 1)];
  for (let k = 0; k < m; k++) {
    const from = logs[k % n];
    const message = makeMessage(from.selfId, 'general', k, k + 1);
    for (const peer of k % n < n >> 1 ? left : right) peer.add(message);
  }
  const network = new Network(model, asks);
  for (const a of left) for (const b of right) network.meet(a, b, ['general']);
  return outcome(network, logs, m);
}

/** (c) What `k` senders of `d` direct messages each to peer 0 send when it is back: its meetings' catch-up, then their outboxes' drains. */
export function outboxReturn(k: number, d: number, model?: LinkModel): Outcome & { drained: number } {
  const logs = peers(k + 1);
  const [returning, ...senders] = logs;
  const queued = senders.map((sender) =>
    Array.from({ length: d }, (_, n) => makeMessage(sender.selfId, directChannel(returning.selfId), n, n + 1)),
  );
  senders.forEach((sender, i) => queued[i].forEach((message) => sender.add(message)));
  const network = new Network(model);
  for (const sender of senders) network.meet(returning, sender, ['general']);
  // Each outbox then sends what it holds, one message a request (`Delivery.drain`): already held by catch-up.
  let drained = 0;
  senders.forEach((sender, i) =>
    queued[i].forEach((message) => {
      network.request(sender.selfId, returning.selfId, jsonBytes(message));
      drained += 1;
    }),
  );
  return { ...outcome(network, [], 0), converged: returning.size === k * d, drained };
}
