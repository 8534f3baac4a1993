/**
 * Messages sealed and opened as a whole: the header `envelope.ts` binds is read off the message; a direct
 * message's text is sealed for the recipient and for the sender's own box key (so the sender's history stays
 * readable on its disk, which holds ciphertext only), a private channel's under the channel's message key.
 * New: WeApRous `apps/peer.py` sent and kept every message in clear.
 */

import { type ChatMessage } from '../model/message';
import { openFromChannel, seal, SEALED_TEXT, sealForChannel, type SealedHeader } from './envelope';
import type { Identity } from './identity';

/** The text shown for a sealed message this peer cannot open: not for it, or sealed wrongly by its sender. */
export const UNOPENED_TEXT = '(encrypted: this peer cannot open it)';
/** The text shown for a channel message while the channel is not joined with a key (after leaving it, say). */
export const NO_CHANNEL_KEY_TEXT = '(encrypted: join the channel with its key to read it)';

/** The fields of a message its sealed text is bound to; `to` is the recipient's id, or `#channel`. */
export function headerOf(message: ChatMessage): SealedHeader {
  const { from, id, clock, timestamp, channel } = message;
  const to = channel.startsWith('@') ? channel.slice(1) : `#${channel}`;
  return { from, to, id, clock, timestamp, channel };
}

/**
 * The texts this peer sealed a moment ago, by message id: showing its own message just after sending it (the
 * console's line, the page's) then needs no X25519 open, about 0.14 ms. Only the last few; later views open the
 * stored copy. An id is its sender's own (`inbox.ts` refuses another's), so another peer's message never matches.
 */
const justSealed = new Map<string, string>();
const JUST_SEALED = 64;

function remember(made: ChatMessage): void {
  justSealed.set(made.id, made.msg);
  if (justSealed.size > JUST_SEALED) justSealed.delete(justSealed.keys().next().value as string);
}

/** `made` (a direct message with its id and clock, not yet signed) with its text sealed, `msg` a placeholder. */
export function sealMessage(made: ChatMessage, recipientBoxKey: string, ownBoxKey: string): ChatMessage {
  const header = headerOf(made);
  remember(made);
  return { ...made, msg: SEALED_TEXT, enc: seal(made.msg, header, recipientBoxKey), enc_self: seal(made.msg, header, ownBoxKey) };
}

/** `made` (a private channel's message with its id and clock, not yet signed) with its text sealed for the members. */
export function sealChannelMessage(made: ChatMessage, channelMessageKey: Buffer): ChatMessage {
  remember(made);
  return { ...made, msg: SEALED_TEXT, enc: sealForChannel(made.msg, headerOf(made), channelMessageKey) };
}

/** How this peer opens what it holds: its identity (direct messages), and a joined channel's message key. */
export interface Openers {
  selfId: string;
  identity: Identity;
  /** The message key of a channel joined with a key, once derived. */
  channelKey: (channel: string) => Buffer | undefined;
}

/** The text of a stored message as this peer reads it: opened when sealed (its own copy, one for it, its channel's), else `msg`. */
export function readableText(message: ChatMessage, { selfId, identity, channelKey }: Openers): string {
  const sealed = message.from === selfId && message.enc_self !== undefined ? message.enc_self : message.enc;
  if (sealed === undefined) return message.msg;
  const known = message.from === selfId ? justSealed.get(message.id) : undefined;
  if (known !== undefined) return known;
  if ('epk' in sealed) return identity.openSealed(sealed, headerOf(message)) ?? UNOPENED_TEXT;
  const key = channelKey(message.channel);
  if (key === undefined) return NO_CHANNEL_KEY_TEXT;
  return openFromChannel(sealed, headerOf(message), key) ?? UNOPENED_TEXT;
}

/** Whether a message carries a sealed text. */
export function isSealed(message: Pick<ChatMessage, 'enc'>): boolean {
  return message.enc !== undefined;
}
