/**
 * The console's half of the chat's event log: what the terminal shows when something happens (a message from
 * another peer with its bell and highlight, what the browser sent or joined), the prompt with its unread count,
 * and the answer to `/history`. The browser follows the same log through `GET /events/` (web/sse.ts). Writes
 * through `print`; the lines themselves are `console.ts`'s. Split out of `class PeerApp` (WeApRous `apps/peer.py`).
 */

import { GENERAL_CHANNEL } from '../../protocol';
import type { Channels } from '../model/channels';
import type { ChannelEvent, MessageEvent } from '../model/chat-events';
import * as view from './lines';
import { messageLine } from './notices';
import type { History } from '../storage/history';
import { type ChatMessage, directChannel } from '../model/message';
import type { ChatState, PeerInfo } from '../model/peers';
import type { Terminal } from './terminal';
import type { ChatEvent } from '../model/events';
import type { MessageView } from '../model/views';

export interface ScreenParts {
  self: PeerInfo;
  state: ChatState;
  channels: Channels;
  terminal: Terminal;
  /** Whether the output is a terminal: a mention is then shown in reverse video, else marked `>> `. */
  tty: boolean;
  history: History;
  /** A stored message's text as this peer reads it (`Chat.textOf`: a sealed direct message opened); `msg` when not given. */
  textOf?: (message: ChatMessage) => string;
}

export class ConsoleScreen {
  constructor(private readonly parts: ScreenParts) {}

  private print(...lines: string[]): void {
    this.parts.terminal.print(...lines);
  }

  /** One event of the log: messages from other peers, and what the browser did (what the console did, it knows). */
  show(event: ChatEvent): void {
    if (event.type === 'message') {
      const { message, origin } = event.data as MessageEvent;
      if (origin === 'peer') return this.showMessage(message);
      if (origin === 'web') return this.print(view.webLines.message(this.parts.self, this.whereTo(message), message.text));
    }
    if (event.type === 'channel') {
      const { change, conversation, origin } = event.data as ChannelEvent;
      if (origin === 'web' && change === 'joined') this.print(view.webLines.joined(conversation));
      if (origin === 'web' && change === 'left') this.print(view.webLines.left(conversation));
      this.updatePrompt();
    }
  }

  /** `[Alice #team, 2 unread] > ` */
  updatePrompt(): void {
    const { self, channels, terminal } = this.parts;
    terminal.setPrompt(view.prompt(self.name, channels.current, channels.unreadElsewhere));
  }

  /** `in #general`, or `to Bob (127.0.0.1:5002)` for a direct message. */
  private whereTo(message: MessageView): string {
    if (!message.conversation.startsWith('@')) return `in #${message.conversation}`;
    const id = message.conversation.slice(1);
    return `to ${view.describePeer(this.parts.state.get(id) ?? { name: id, peer_id: id })}`;
  }

  /** A received message: its line, an unread count and the bell for another channel, a highlight for a mention. */
  private showMessage(message: MessageView): void {
    const { channels, terminal } = this.parts;
    const { conversation, name, from, text } = message;
    const direct = conversation.startsWith('@');
    const plain = conversation === GENERAL_CHANNEL || direct;
    let line = plain
      ? messageLine(direct ? 'direct' : 'broadcast', name, from, text)
      : view.channelMessageLine(conversation, name, from, text);
    if (message.mention) line = view.highlight(line, this.parts.tty);
    const unread = !plain && channels.arrived(conversation);
    terminal.printQuoted(line);
    if (unread || (plain && channels.current !== GENERAL_CHANNEL && channels.arrived(GENERAL_CHANNEL))) {
      terminal.bell();
      this.updatePrompt();
    }
  }

  /**
   * `/history [#channel|peer] [n]`: #general unless a channel or a peer (connected, or by its id) is named. The lines, and
   * the conversation they show (none when the target was not found), which the console then counts as read.
   */
  history(target: string | undefined, count: number): { lines: string[]; conversation?: string } {
    const history = this.parts.history;
    let conversation = GENERAL_CHANNEL;
    let title = `#${GENERAL_CHANNEL}`;
    if (target?.startsWith('#')) {
      conversation = target.slice(1).toLowerCase();
      title = `#${conversation}`;
    } else if (target !== undefined) {
      const found = this.parts.state.find(target);
      if (found.kind === 'ambiguous') return { lines: [view.unknownPeerLine(target, found.peers)] };
      const peer = found.kind === 'found' ? found.peer : undefined;
      conversation = directChannel(peer?.peer_id ?? target);
      if (!peer && !history.conversations().includes(conversation)) return { lines: [view.unknownConversationLine(target)] };
      title = `the conversation with ${view.describePeer(peer ?? { name: target, peer_id: target })}`;
    }
    const { messages, total } = history.recent(conversation, count);
    const textOf = this.parts.textOf ?? ((m: ChatMessage) => m.msg);
    const lines = view.historyLines(
      title,
      messages.map((m) => ({ ...m, msg: textOf(m) })),
      total,
    );
    return { lines, conversation };
  }
}
