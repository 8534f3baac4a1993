/**
 * The peer console: each typed line parsed (`commands.ts`) and run, one after another, in the order typed.
 * What a command changes in the chat is `Chat`'s to do (the browser calls the same operations); this file
 * decides what the console prints about it. Ports `run_console` of WeApRous `apps/peer.py`.
 */

import { channelName, type PeerEntry } from '../../protocol';
import { reasonOf } from '../../text';
import type { Chat } from '../chat';
import type { Delivery } from '../delivery/delivery';
import type { Trust } from '../identity/trust';
import type { Channels } from '../model/channels';
import type { Result } from '../model/chat-events';
import type { ChatState, PeerInfo } from '../model/peers';
import type { Discovery, DiscoveryMode, Meeting } from '../network/discovery';
import { type Command, parseCommand } from './commands';
import * as view from './lines';
import { outboxDroppedLine, outboxLines, trackerLines } from './notices';
import type { ConsoleScreen } from './screen';
import type { Terminal } from './terminal';

export interface ConsoleParts {
  self: PeerInfo;
  state: ChatState;
  channels: Channels;
  chat: Chat;
  delivery: Delivery;
  trust: Trust;
  discovery: Discovery;
  terminal: Terminal;
  screen: ConsoleScreen;
  /** A fresh one-time login link for the browser chat (`/web`). */
  webLink: () => { link: string; minutes: number };
}

/** What the keyboard can ask of the peer as a whole: leave (`/quit`, Ctrl+D), or Ctrl+C. */
export interface Leaving {
  quit: () => Promise<void>;
  interrupt: () => void;
}

/**
 * Lines of a paste sent together at most: each is signed (and maybe sealed) before the next line is read, so a
 * file of a million lines piped in goes 500 at a time, each run a few tens of milliseconds, and the peer goes on
 * answering other peers between them.
 */
export const MAX_RUN_LINES = 500;

export class PeerConsole {
  /** Commands run one after another, in the order they were typed. */
  private queue: Promise<void> = Promise.resolve();
  /**
   * Messages typed one after another (a paste), waiting in the queue to be sent together (`sendMessages`);
   * null once they started, or when a command came after them, so a later line starts a run of its own.
   */
  private typed: string[] | null = null;
  /** Given when the console opens: until then `/quit` has nothing to leave. */
  private leaving: Leaving | null = null;

  constructor(private readonly parts: ConsoleParts) {}

  print(...lines: string[]): void {
    this.parts.terminal.print(...lines);
  }

  /** Opens the prompt and reads commands until `/quit` or the end of the input. */
  open(leaving: Leaving): void {
    this.leaving = leaving;
    this.print(...view.consoleHeader(this.parts.terminal.columns));
    this.parts.terminal.start(view.prompt(this.parts.self.name), {
      onLine: (line) => this.take(parseCommand(line)),
      onEnd: () => this.enqueue(() => leaving.quit()), // Ctrl+D or end of piped input: finish what was typed, then leave
      onInterrupt: () => leaving.interrupt(),
    });
  }

  /** A typed line: a message joins the run of messages typed just before it, if that run has not started yet. */
  private take(command: Command): void {
    if (command.kind !== 'broadcast') {
      this.typed = null;
      return this.enqueue(() => this.run(command));
    }
    if (this.typed && this.typed.length < MAX_RUN_LINES) return void this.typed.push(command.message);
    const typed = [command.message];
    this.typed = typed;
    this.enqueue(() => this.sendMessages(typed));
  }

  /** Messages typed together, to the current conversation in one go (`Chat.sendAll`); each one's failure said in order. */
  private async sendMessages(typed: string[]): Promise<void> {
    if (this.typed === typed) this.typed = null;
    const { chat, channels } = this.parts;
    for (const result of await chat.sendAll(channels.current, typed, 'console')) this.printFailure(result);
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error) => this.print(`Error: ${view.clean(reasonOf(error))}`)); // may quote another peer
  }

  /** What each console command does; the chat's own operations are `Chat`'s, shared with the browser. */
  async run(command: Command): Promise<void> {
    const { chat, channels, state, trust } = this.parts;
    switch (command.kind) {
      case 'empty':
        return;
      case 'help':
        return this.print(...view.helpLines(this.parts.terminal.columns));
      case 'peers': {
        const waiting = new Map(this.parts.delivery.pending().map(({ peerId, waiting }) => [peerId, waiting]));
        return this.print(...view.peersLines(state.peers(), waiting, (id) => trust.knows(id)));
      }
      case 'discover':
        return this.discover('command');
      case 'broadcast':
        return this.printFailure(await chat.send(channels.current, command.message, 'console'));
      case 'channels':
        return this.print(...view.channelsLines(channels.list()));
      case 'join':
        return this.join(command.channel, command.key);
      case 'leave':
        return this.leave(command.channel);
      case 'switch':
        return this.switchTo(command.channel);
      case 'direct':
        return this.direct(command.target, command.message, command.quoted);
      case 'history':
        return this.showHistory(command.target, command.count);
      case 'web': {
        const { link, minutes } = this.parts.webLink();
        return this.print(...view.webLines.link(link, minutes));
      }
      case 'outbox':
        return this.outbox(command.drop);
      case 'forget':
        return this.print(view.forgotLine(command.peerId, trust.forget(command.peerId)));
      case 'quit':
        return this.leaving?.quit();
      case 'unknown':
      case 'usage-error':
      case 'too-long':
        return this.print(view.commandErrorLine(command));
    }
  }

  /** `/outbox`: what waits for whom; `/outbox drop <peer>`: that peer's queue given up (by id, or a connected peer's name). */
  private async outbox(drop?: string): Promise<void> {
    const { delivery, state } = this.parts;
    const named = (id: string) => state.recall(id) ?? { name: id, peer_id: id };
    if (drop === undefined) {
      const waiting = delivery.pending().map(({ peerId, ...rest }) => ({ peer: named(peerId), ...rest }));
      return this.print(...outboxLines(waiting, Date.now()));
    }
    const found = state.find(drop);
    if (found.kind === 'ambiguous') return this.print(view.unknownPeerLine(drop, found.peers));
    const waiting = delivery.pending().map(({ peerId }) => named(peerId));
    const peer = found.kind === 'found' ? found.peer : (waiting.find((p) => p.name.toLowerCase() === drop.toLowerCase()) ?? named(drop));
    this.print(outboxDroppedLine(peer, await delivery.drop(peer.peer_id)));
  }

  /** A failed operation in the console's words: a channel's reason tagged `[Channel]`. */
  private printFailure(result: Result<unknown>): void {
    if (result.ok) return;
    this.print(view.clean(result.about === 'channel' ? `[Channel] ${result.reason}` : result.reason));
  }

  /** `/direct <peer> <text>`: the peer by id or name among the connected ones, then as the browser sends. */
  private async direct(target: string, typed: string, quoted = false): Promise<void> {
    const { found, message } = this.parts.state.recipient(target, typed, quoted);
    if (found.kind === 'ambiguous') return this.print(view.unknownPeerLine(found.peers[0].name, found.peers));
    if (found.kind === 'none') return this.print(view.unknownPeerLine(target));
    await this.parts.chat.sendTo(found.peer, message, 'console');
  }

  /** `/join #team [KEY]`: joined as the browser joins, then, for the console only, where plain text goes. */
  private async join(typed: string, key?: string): Promise<void> {
    const joined = await this.parts.chat.join(typed, key, 'console');
    if (!joined.ok) return this.printFailure(joined);
    const { channel, said, members, warning } = joined.value;
    this.parts.channels.switchTo(channel);
    this.print(view.channelLines.joined(channel, said, members));
    if (warning !== undefined) this.print(view.channelLines.warning(warning));
    this.parts.screen.updatePrompt();
  }

  private async leave(typed: string): Promise<void> {
    const left = await this.parts.chat.leave(typed, 'console');
    if (left.ok) this.print(view.channelLines.left(left.value.channel));
    else this.printFailure(left);
    this.parts.screen.updatePrompt();
  }

  /** `/history #team`: its lines, and the conversation counts as read, as switching to it does. */
  private showHistory(target: string | undefined, count: number): void {
    const { lines, conversation } = this.parts.screen.history(target, count);
    this.parts.terminal.printQuoted(...lines); // other peers' text: wrapped and marked
    if (conversation === undefined) return;
    this.parts.chat.markRead(conversation, 'console');
    this.parts.screen.updatePrompt();
  }

  private switchTo(typed: string): void {
    const channel = channelName(typed);
    if (channel === null) return this.print(view.channelLines.badName(typed));
    if (!this.parts.channels.switchTo(channel)) return this.print(view.channelLines.notJoined(channel));
    this.parts.chat.markRead(channel, 'console');
    this.print(view.channelLines.switched(channel));
    this.parts.screen.updatePrompt();
  }

  /**
   * "Discovering peers...", the tracker's list, then a line for each peer newly connected or not reached.
   * 'again' (after registering again) says only what changed.
   */
  /** After a heartbeat: peers met before but not connected are met again (`Discovery.meetAgain`), each said once met. */
  async meetAgain(list?: () => Promise<PeerEntry[]>): Promise<void> {
    await this.parts.discovery.meetAgain((meeting) => 'peer' in meeting && this.print(view.connectedToPeerLine(meeting.peer)), list);
  }

  async discover(mode: DiscoveryMode): Promise<void> {
    if (mode !== 'again') this.print(trackerLines.discovering());
    const late = (meeting: Meeting) => {
      if (!meeting.before)
        this.print('peer' in meeting ? view.connectedToPeerLine(meeting.peer) : view.connectFailedLine(meeting.peerId, meeting.reason));
    };
    const found = await this.parts.discovery.connect(mode, late);
    if (!found.ok) return mode === 'again' ? undefined : this.print(trackerLines.discoveryFailed(found.reason));
    if (mode !== 'again') this.print(trackerLines.found(found.listed));
    for (const meeting of found.meetings) {
      if (meeting.before) continue; // connected before: nothing new to tell
      this.print('peer' in meeting ? view.connectedToPeerLine(meeting.peer) : view.connectFailedLine(meeting.peerId, meeting.reason));
    }
    if (mode === 'command' && found.meetings.length === 0) this.print(view.noNewPeersLine());
  }
}
