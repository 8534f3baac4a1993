/**
 * A direct message sealed and opened as a whole: the header `envelope.ts` binds is read off the message, the
 * text is sealed for the recipient and for the sender's own box key (so the sender's history stays readable on
 * its disk, which holds ciphertext only). New: WeApRous `apps/peer.py` sent and kept every message in clear.
 */

import { type ChatMessage } from '../model/message';
import { seal, SEALED_TEXT, type SealedHeader } from './envelope';
import type { Identity } from './identity';

/** The text shown for a sealed message this peer cannot open: not for it, or sealed wrongly by its sender. */
export const UNOPENED_TEXT = '(encrypted: this peer cannot open it)';

/** The fields of a direct message its sealed text is bound to. */
export function headerOf(message: ChatMessage): SealedHeader {
  const { from, id, clock, timestamp, channel } = message;
  return { from, to: channel.slice(1), id, clock, timestamp, channel };
}

/** `made` (a direct message with its id and clock, not yet signed) with its text sealed, `msg` a placeholder. */
export function sealMessage(made: ChatMessage, recipientBoxKey: string, ownBoxKey: string): ChatMessage {
  const header = headerOf(made);
  return { ...made, msg: SEALED_TEXT, enc: seal(made.msg, header, recipientBoxKey), enc_self: seal(made.msg, header, ownBoxKey) };
}

/** The text of a stored message as this peer reads it: opened when sealed (its own copy or one for it), else `msg`. */
export function readableText(message: ChatMessage, selfId: string, identity: Identity): string {
  const sealed = message.from === selfId ? message.enc_self : message.enc;
  if (sealed === undefined) return message.msg;
  return identity.openSealed(sealed, headerOf(message)) ?? UNOPENED_TEXT;
}

/** Whether a message carries a sealed text. */
export function isSealed(message: Pick<ChatMessage, 'enc'>): boolean {
  return message.enc !== undefined;
}
