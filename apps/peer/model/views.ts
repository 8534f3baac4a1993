/**
 * What the web UI is sent, as plain JSON shapes built from the peer's state: a message (with its sender, time,
 * whether its author is verified, whether it is still pending), a channel, a direct conversation, a peer.
 * Built field by field, so that nothing added to the stored message (its signature) reaches the page unseen.
 * Pure. New, not in WeApRous.
 */

import type { ChatMessage } from './message';
import { conversationOf } from './message';

export interface MessageView {
  id: string;
  /** `general`, `team`, or `@<the other peer's id>` for a direct conversation. */
  conversation: string;
  from: string;
  name: string;
  text: string;
  /** The sender's clock, in ms since 1970: shown, never trusted for order. */
  time: number;
  /** The Lamport clock: the order every peer shows a conversation in (then `from`, then `id`). */
  clock: number;
  authorship: 'verified' | 'unverified';
  /** Its text travelled sealed (`enc`): a direct message to or from a peer with keys, a private channel's. */
  sealed: boolean;
  /** This peer's own message, not yet acknowledged by every peer it went to. */
  pending: boolean;
  mine: boolean;
  /** Mentions this peer's name as `@name`. */
  mention: boolean;
}

export interface ViewContext {
  self: { peer_id: string; name: string };
  /** `Trust.authorship`, or nothing when the peer has no keys (tests). */
  authorship?: (message: ChatMessage) => 'verified' | 'unverified' | 'forged';
  pending: (id: string) => boolean;
  /** The text to show: a sealed direct message opened (`identity/sealed.ts`); `msg` when not given. */
  text?: (message: ChatMessage) => string;
}

/**
 * A stored message for the page. A message stored before its sender's key was known may not check against
 * that key now ('forged'); it was taken then as unverified, and it is shown so, never as verified.
 */
export function messageView(message: ChatMessage, context: ViewContext): MessageView {
  const mine = message.from === context.self.peer_id;
  const text = context.text?.(message) ?? message.msg;
  return {
    id: message.id,
    conversation: conversationOf(message, context.self.peer_id),
    from: message.from,
    name: message.name,
    text,
    time: Math.round(message.timestamp * 1000),
    clock: message.clock,
    authorship: context.authorship?.(message) === 'verified' ? 'verified' : 'unverified',
    sealed: message.enc !== undefined,
    pending: mine && context.pending(message.id),
    mine,
    mention: !mine && mentions(text, context.self.name),
  };
}

export interface PeerView {
  peer_id: string;
  name: string;
  /** Connected, and nothing waits for it: the last message to it got through. */
  reachable: boolean;
  /** Its key is known, so what comes in its name is checked. */
  verified: boolean;
  /** Messages in its outbox. */
  waiting: number;
}

export interface ChannelEntry {
  name: string;
  private: boolean;
  unread: number;
}

export interface ConversationEntry {
  /** `@127.0.0.1:5002` */
  conversation: string;
  peer_id: string;
  name: string;
  unread: number;
}

/** True when `msg` mentions `@name` (a whole word, any case; a name with spaces is matched whole too). */
export function mentions(msg: string, name: string): boolean {
  const at = msg.toLowerCase().indexOf(`@${name.toLowerCase()}`);
  if (at === -1) return false;
  const after = msg.charAt(at + 1 + name.length);
  return after === '' || !/[\p{L}\p{N}_]/u.test(after);
}
