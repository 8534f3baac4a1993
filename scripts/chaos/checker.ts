/**
 * The chaos run's checker: reads every peer's history from its data folder (`history.jsonl`, one message a
 * line, `apps/peer/storage/store.ts`) and proves, per conversation, no loss, no duplicate, one order everywhere
 * and nothing where it could not have come; or lists each violation. Reads files only. New.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareMessages, type ChatMessage } from '../../apps/peer/model/message';
import { HISTORY_FILE } from '../../apps/peer/storage/store';

/** One peer as the checker sees it: its id (`ip:port`), its name and its data folder. */
export interface PeerFolder {
  id: string;
  name: string;
  dir: string;
}

/** Who must hold a message of each channel: `general` is everyone, a direct message its two ends. */
export interface Membership {
  /** Peer ids per channel other than general. */
  channels: Record<string, string[]>;
  /** Channels whose text must never be on a disk in clear. */
  privateChannels: string[];
}

export interface Violation {
  kind: 'lost' | 'duplicate' | 'misdelivered' | 'altered' | 'sender-order' | 'clear-text';
  message: string;
  peer: string;
  detail: string;
}

export interface Verdict {
  violations: Violation[];
  /** Messages their senders stored (accepted), and (message, peer) pairs that had to hold them. */
  accepted: number;
  deliveries: number;
  delivered: number;
  conversations: number;
}

/** The messages of one history file in file order; lines that are not messages (a torn last one) are skipped. */
export function readHistory(dir: string): ChatMessage[] {
  let text: string;
  try {
    text = readFileSync(join(dir, HISTORY_FILE), 'utf8');
  } catch {
    return [];
  }
  const messages: ChatMessage[] = [];
  for (const line of text.split('\n')) {
    try {
      const value = JSON.parse(line) as ChatMessage;
      if (typeof value?.id === 'string' && typeof value.channel === 'string') messages.push(value);
    } catch {
      // a torn or blank line
    }
  }
  return messages;
}

/** The peers that must hold a message of `channel` sent by `from`. */
export function recipientsOf(channel: string, from: string, peers: PeerFolder[], membership: Membership): string[] {
  if (channel.startsWith('@')) return [from, channel.slice(1)];
  if (channel === 'general') return peers.map((peer) => peer.id);
  return membership.channels[channel] ?? [from];
}

/** Checks every property over the peers' histories; `secrets` are texts no file may hold in clear. */
export function check(peers: PeerFolder[], membership: Membership, secrets: string[], otherDirs: string[] = []): Verdict {
  const violations: Violation[] = [];
  const held = new Map<string, Map<string, ChatMessage>>();
  for (const peer of peers) held.set(peer.id, holdings(peer, readHistory(peer.dir), violations));
  const verdict: Verdict = { violations, accepted: 0, deliveries: 0, delivered: 0, conversations: 0 };
  const conversations = new Set<string>();
  for (const peer of peers) {
    const own = [...held.get(peer.id)!.values()].filter((message) => message.from === peer.id);
    for (const message of own) {
      verdict.accepted++;
      conversations.add(message.channel.startsWith('@') ? [peer.id, message.channel].sort().join(' ') : message.channel);
      for (const recipient of recipientsOf(message.channel, peer.id, peers, membership)) {
        if (recipient === peer.id) continue;
        verdict.deliveries++;
        const copy = held.get(recipient)?.get(message.id);
        if (!copy) violations.push(lost(message, recipient, peers));
        else if (copy.clock !== message.clock || copy.channel !== message.channel) {
          violations.push({
            kind: 'altered',
            message: message.id,
            peer: recipient,
            detail: `clock ${copy.clock} vs the sender's ${message.clock}`,
          });
        } else verdict.delivered++;
      }
    }
  }
  verdict.conversations = conversations.size;
  for (const peer of peers) misdelivered(peer, held.get(peer.id)!, peers, membership, violations);
  for (const peer of peers) senderOrder(peer, held, violations);
  clearText([...peers.map((peer) => peer.dir), ...otherDirs], secrets, violations);
  return verdict;
}

/** A peer's messages by id; an id twice in its file is a duplicate. */
function holdings(peer: PeerFolder, messages: ChatMessage[], violations: Violation[]): Map<string, ChatMessage> {
  const byId = new Map<string, ChatMessage>();
  const texts = new Map<string, string>();
  for (const message of messages) {
    if (byId.has(message.id))
      violations.push({ kind: 'duplicate', message: message.id, peer: peer.name, detail: 'the same id twice in history.jsonl' });
    // A clear text is unique per run: the same one under two ids is a resend stored twice.
    const key = `${message.from} ${message.channel} ${message.msg}`;
    if (!message.enc && texts.has(key) && texts.get(key) !== message.id) {
      violations.push({
        kind: 'duplicate',
        message: message.id,
        peer: peer.name,
        detail: `same text as ${texts.get(key)}: "${message.msg}"`,
      });
    }
    texts.set(key, message.id);
    byId.set(message.id, message);
  }
  return byId;
}

function lost(message: ChatMessage, recipient: string, peers: PeerFolder[]): Violation {
  const name = peers.find((peer) => peer.id === recipient)?.name ?? recipient;
  const text = message.enc ? '(sealed)' : `"${message.msg}"`;
  return { kind: 'lost', message: message.id, peer: name, detail: `${message.channel} clock ${message.clock} ${text}` };
}

/** A direct message at a third peer, or a private channel's message at a peer outside it. */
function misdelivered(
  peer: PeerFolder,
  held: Map<string, ChatMessage>,
  peers: PeerFolder[],
  membership: Membership,
  violations: Violation[],
): void {
  for (const message of held.values()) {
    const isPrivate = message.channel.startsWith('@') || membership.privateChannels.includes(message.channel);
    if (!isPrivate || recipientsOf(message.channel, message.from, peers, membership).includes(peer.id)) continue;
    violations.push({ kind: 'misdelivered', message: message.id, peer: peer.name, detail: `${message.channel} is not for ${peer.name}` });
  }
}

/** In each conversation, in the order every peer shows (`compareMessages`), a sender's messages come in the order it sent them. */
function senderOrder(peer: PeerFolder, held: Map<string, Map<string, ChatMessage>>, violations: Violation[]): void {
  const sent = [...held.get(peer.id)!.values()].filter((message) => message.from === peer.id);
  const rank = new Map(sent.map((message, i) => [message.id, i]));
  for (const [holder, messages] of held) {
    const byChannel = new Map<string, ChatMessage[]>();
    for (const message of messages.values()) {
      if (rank.has(message.id)) byChannel.set(message.channel, [...(byChannel.get(message.channel) ?? []), message]);
    }
    for (const list of byChannel.values()) {
      list.sort(compareMessages);
      for (let i = 1; i < list.length; i++) {
        if (rank.get(list[i].id)! > rank.get(list[i - 1].id)!) continue;
        const detail = `shown before ${list[i - 1].id}, which ${peer.name} sent later`;
        violations.push({ kind: 'sender-order', message: list[i].id, peer: holder, detail });
      }
    }
  }
}

/** Every file under the data folders (histories, outboxes, the tracker's) is searched for each secret text. */
function clearText(dirs: string[], secrets: string[], violations: Violation[]): void {
  for (const file of dirs.flatMap(filesUnder)) {
    const text = readFileSync(file, 'latin1');
    for (const secret of secrets) {
      const at = text.indexOf(secret);
      if (at < 0) continue;
      const end = text.indexOf('\n', at);
      const line = text.slice(text.lastIndexOf('\n', at) + 1, end < 0 ? undefined : end);
      violations.push({ kind: 'clear-text', message: secret, peer: file, detail: `in clear: ${whereIn(line)}` });
    }
  }
}

/** Which message a line of clear text belongs to, when the line is one: its channel, sender and id. */
function whereIn(line: string): string {
  try {
    const message = JSON.parse(line) as ChatMessage;
    return `stored in ${message.channel} from ${message.from} as ${message.id}`;
  } catch {
    return line.slice(0, 120);
  }
}

function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
