/**
 * The chaos run's figures (docs/benchmarks.md, "The chaos run"): delivery latency from the moment a text was
 * typed or posted to the moment each recipient stored it, and to the last member; what the wire carried per
 * message typed. Pure: times and histories in, numbers and lines of at most 80 columns out. New.
 */

import type { ChatMessage } from '../../apps/peer/model/message';
import { type RequestCounts, totalRequests } from './requests';

/** Nearest-rank percentiles (p50, p99) and the maximum of `values`; null for none. */
export function percentiles(values: number[]): { p50: number; p99: number; max: number; count: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  return { p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1], count: sorted.length };
}

/** `chaos 7.12 general` and `secret 7.12 for direct eyes only` both name message `7.12` of the run. */
export function keyOf(text: string): string | undefined {
  return /(?:chaos|secret) (\d+\.\d+)(?!\d)/.exec(text)?.[1];
}

/** The first time each message's key appears in a console's lines (`times[i]` is when `lines[i]` came). */
export function firstPrinted(lines: string[], times: number[]): Map<string, number> {
  const seen = new Map<string, number>();
  lines.forEach((line, i) => {
    const key = keyOf(line);
    if (key !== undefined && !seen.has(key)) seen.set(key, times[i]);
  });
  return seen;
}

/** One message typed, as the figures need it: its key, who typed it, its conversation and recipients, when. */
export interface Typed {
  key: string;
  from: number;
  /** `general`, a channel, or `@<peer id>` for a direct message: the `channel` field the message is stored with. */
  channel: string;
  recipients: number[];
  at: number;
}

/** What one peer showed and stored: its id, when each key was printed, when each id was first seen on disk. */
export interface Seen {
  id: string;
  printed: Map<string, number>;
  stored: Map<string, { at: number; message: ChatMessage }>;
  /** How far this peer's clock is off (`skew.js`), to read a message's timestamp on the real clock. */
  skewMs: number;
}

export interface Latencies {
  perRecipient: number[];
  perMessage: number[];
  /** Pairs whose time came from a history poll: stored by catch-up, not printed (or printed later). */
  fromPolls: number;
  /** Typed messages their senders stored, and the recipients they had between them: the ideal deliveries. */
  accepted: number;
  recipients: number;
  /** Each delivered pair's send and store times, for `afterHeals`. */
  pairs: Array<[sent: number, stored: number]>;
}

/** Each delivered (message, recipient) pair's latency, and each fully delivered message's to its last member. */
export function latencies(typed: Typed[], peers: Seen[]): Latencies {
  const result: Latencies = { perRecipient: [], perMessage: [], fromPolls: 0, accepted: 0, recipients: 0, pairs: [] };
  const ids = idsOf(typed, peers);
  for (const send of typed) {
    const id = ids.get(send.key);
    if (id === undefined) continue; // never stored by its sender: refused, or typed into a dying peer
    result.accepted++;
    result.recipients += send.recipients.length;
    const times = send.recipients.map((r) => storedAt(peers[r], send.key, id, result));
    for (const at of times) if (at !== undefined) result.perRecipient.push(at - send.at);
    for (const at of times) if (at !== undefined) result.pairs.push([send.at, at]);
    if (times.every((at) => at !== undefined)) result.perMessage.push(Math.max(...(times as number[])) - send.at);
  }
  return result;
}

/** When `peer` stored the message: its printed line, or the first poll of its history that held it if earlier. */
function storedAt(peer: Seen, key: string, id: string, result: Latencies): number | undefined {
  const printed = peer.printed.get(key);
  const polled = peer.stored.get(id)?.at;
  if (polled !== undefined && (printed === undefined || polled < printed)) result.fromPolls++;
  if (printed === undefined) return polled;
  return polled === undefined ? printed : Math.min(printed, polled);
}

/**
 * Each typed key's message id, from its sender's history: a clear text names its key; a sealed one is matched
 * to the send of the same sender and conversation typed nearest its timestamp (on the real clock).
 */
export function idsOf(typed: Typed[], peers: Seen[]): Map<string, string> {
  const ids = new Map<string, string>();
  const unmatched = new Set(typed);
  peers.forEach((peer, from) => {
    for (const { message } of peer.stored.values()) {
      if (message.from !== peer.id) continue;
      const key = message.enc ? nearest(unmatched, from, message.channel, message.timestamp * 1000 - peer.skewMs) : keyOf(message.msg);
      if (key === undefined) continue;
      ids.set(key, message.id);
      for (const send of unmatched) if (send.key === key) unmatched.delete(send);
    }
  });
  return ids;
}

function nearest(sends: Set<Typed>, from: number, channel: string, at: number): string | undefined {
  let best: Typed | undefined;
  for (const send of sends) {
    if (send.from !== from || send.channel !== channel) continue;
    if (!best || Math.abs(send.at - at) < Math.abs(best.at - at)) best = send;
  }
  return best?.key;
}

/** `32.5 +7.0, 39.1 +11.5`: each heal's time in the schedule, and how long after it the backlog was in. */
function backlogs(pairs: Array<[number, number]>, heals: number[], start: number): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const after = afterHeals(pairs, heals);
  return heals.map((heal, i) => `${s(heal - start)} +${s(after[i])}`).join(', ');
}

/** For each heal, how long after it the last message typed before it was stored at the last recipient (0: none late). */
export function afterHeals(pairs: Array<[number, number]>, heals: number[]): number[] {
  return heals.map((heal) => Math.max(0, ...pairs.filter(([sent]) => sent < heal).map(([, stored]) => stored - heal)));
}

/** Lines for the summary: latency to each recipient and to the last member, the wire per typed message. */
export function figureLines(
  result: Latencies,
  requests: RequestCounts,
  convergedMs: number | null,
  { heals, workloadStart }: { heals: number[]; workloadStart: number } = { heals: [], workloadStart: 0 },
): string[] {
  const ms = (p: ReturnType<typeof percentiles>, what: string) =>
    p ? `p50 ${p.p50}, p99 ${p.p99}, max ${p.max} ms; ${p.count} ${what}` : `none; 0 ${what}`;
  const r = requests;
  const per = (n: number) => (result.accepted === 0 ? '-' : (n / result.accepted).toFixed(2));
  return [
    `to each recipient: ${ms(percentiles(result.perRecipient), 'pairs')}`,
    `to the last member: ${ms(percentiles(result.perMessage), 'messages')}`,
    `  ${result.fromPolls} pairs timed by a 250 ms poll of history.jsonl (caught up)`,
    `wire: ${r.sendPeer} send-peer, ${r.broadcastPeer} broadcast-peer, ${r.batches} messages batches,`,
    `  ${r.historyPages} history pages, ${r.connectPeer} connect-peer, ${r.otherPeer} other to peers,`,
    `  ${r.tracker} to the tracker; ${totalRequests(r)} requests in all${r.unparsed ? `, ${r.unparsed} unparsed` : ''}`,
    `per message accepted: ${per(r.carried)} carried to peers (ideal ${per(result.recipients)}),`,
    `  ${per(totalRequests(r))} requests (${result.accepted} messages accepted)`,
    `last message in: ${convergedMs === null ? 'never' : `${(convergedMs / 1000).toFixed(2)} s`} after the final heal (250 ms polls)`,
    ...(heals.length
      ? ['after each heal, the last message typed before it in (s):', `  ${backlogs(result.pairs, heals, workloadStart)}`]
      : []),
  ];
}
