/**
 * One chat peer, wired together: its server (`server.ts`), its client side towards the tracker
 * (`tracker-client.ts`, `session.ts`) and towards the other peers (`mesh.ts`), its state (`state.ts`) and
 * its console (`commands.ts`, `console.ts`, `terminal.ts`). This file decides what happens when; every
 * piece it calls does one thing. Ports `class PeerApp` (`run`, `run_console`,
 * `discover_and_connect_peers`) of WeApRous `apps/peer.py`.
 */

import { HttpClient } from '../../daemon/client';
import type { Backend } from '../../daemon/backend';
import type { PeerEntry } from '../protocol';
import { channelName, GENERAL_CHANNEL } from '../protocol';
import { Channels } from './channels';
import { parseCommand, type Command } from './commands';
import * as view from './console';
import { addressOf, Delivery } from './delivery';
import { History } from './history';
import { loadOrCreateIdentity } from './identity';
import { KNOWN_PEERS_FILE, openKnownPeers } from './known-peers';
import { Trust } from './trust';
import { KeyOwners } from '../owner';
import { type ChatMessage, directChannel, readMessage } from './message';
import { Mesh, reasonOf } from './mesh';
import { createPeerServer, type ServerHooks } from './server';
import { TrackerSession } from './session';
import { ChatState, type PeerInfo } from './state';
import { Terminal } from './terminal';
import { TrackerClient } from './tracker-client';

export interface PeerOptions {
  self: PeerInfo;
  trackerUrl: string;
  heartbeatMs: number;
  /** The folder of this peer's history (`--data-dir`). */
  dataDir: string;
  /** Where the server listens; the address others use is `self.ip`. */
  listenIp: string;
  /** How long one request to the tracker or another peer may take; 3 s unless a test wants it shorter. */
  requestTimeoutMs?: number;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
  /** Ends the process; `process.exit` in the real peer. */
  exit: (code: number) => void;
}

/** Each request to another peer or the tracker gives up after this long. */
const REQUEST_TIMEOUT_MS = 3_000;
const REGISTER_RETRY_MS = 2_000;
/**
 * Catch-up asks from this many clocks before the highest one held: a message sent while this peer was away
 * may carry a lower clock than one it already has (its sender had not seen it). Duplicates cost nothing.
 */
const CATCH_UP_MARGIN = 100;
/** At most this many pages from one peer for one channel at a time (100 messages each). */
const CATCH_UP_PAGES = 100;

export class PeerApp {
  readonly state: ChatState;
  readonly channels = new Channels();
  private readonly terminal: Terminal;
  private readonly client: HttpClient;
  private readonly tracker: TrackerClient;
  private readonly mesh: Mesh;
  private readonly session: TrackerSession;
  private backend: Backend | null = null;
  private history: History | null = null;
  private delivery: Delivery | null = null;
  private trust: Trust | null = null;
  /** Messages handed out and not yet reported on: the console does not wait for them, leaving does. */
  private readonly sending = new Set<Promise<void>>();
  /** Settles once the history is open; the server's message routes wait for it. */
  private readonly historyReady: Promise<History>;
  private openHistory!: (history: History) => void;
  /** Commands run one after another, in the order they were typed. */
  private queue: Promise<void> = Promise.resolve();
  private quitting = false;

  constructor(private readonly options: PeerOptions) {
    this.state = new ChatState(options.self);
    this.terminal = new Terminal(options.input, options.output);
    const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.client = new HttpClient({ timeoutMs });
    this.tracker = new TrackerClient(this.client, options.trackerUrl, options.self, timeoutMs);
    this.tracker.claims = () => this.channels.claims(); // the heartbeat claims them again after a tracker restart
    this.mesh = new Mesh(this.client, this.state, timeoutMs, (peer, message) => this.delivery!.deliver(peer, message));
    this.historyReady = new Promise((done) => (this.openHistory = done));
    this.session = new TrackerSession(this.tracker, {
      heartbeatMs: options.heartbeatMs,
      retryMs: REGISTER_RETRY_MS,
      say: (...lines) => this.print(...lines),
      onRegistered: (kind) => (kind === 'late' ? this.discover(false) : this.connectNew('quiet')),
    });
  }

  /** Listen, show the banner, register, connect to the peers, then open the console (document Test 2). */
  async start(): Promise<void> {
    const hooks: ServerHooks = {
      onConnect: (peer) => this.delivery?.retryNow(peer.peer_id),
      gate: { isMember: (channel) => this.channels.has(channel), admits: (channel, from) => this.admits(channel, from) },
      onMessage: (type, message) => this.showMessage(type, message),
    };
    const server = createPeerServer(this.state, this.historyReady, (line) => this.print(line), hooks);
    const backend = await server.prepareAddress(this.options.listenIp, this.options.self.port).run();
    this.backend = backend;
    // Ctrl+C or SIGTERM can come at any await of the start-up: then quit() is leaving, and the start stops.
    if (this.quitting) return backend.close();
    this.print(...view.peerBanner(this.options.self, this.options.trackerUrl));
    // Opened after listening: a second process on a port in use never touches the first one's files.
    try {
      this.history = await History.open(this.options.dataDir, this.options.self, {
        startedAt: Date.now(),
        onProblem: (line) => this.print(view.historyProblemLine(line)),
      });
    } catch (error) {
      this.print(view.historyProblemLine(`Cannot open the data folder ${this.options.dataDir}: ${reasonOf(error)}`));
      await backend.close();
      return this.options.exit(1);
    }
    try {
      const dir = this.options.dataDir;
      const owners = new KeyOwners(this.client, this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
      this.trust = new Trust(
        loadOrCreateIdentity(dir),
        openKnownPeers(dir),
        (line) => this.print(line),
        `${dir}/${KNOWN_PEERS_FILE}`,
        (address) => owners.keyAt(address),
      );
      this.mesh.trust = this.trust;
      this.tracker.signer = this.trust.identity; // only this peer can now remove, heartbeat or rename its registration
      hooks.trust = this.trust; // set before openHistory() below lets the first message through
      this.history.signer = this.trust.identity; // what this peer writes is stored signed, for catch-up elsewhere
    } catch (error) {
      this.print(view.historyProblemLine(reasonOf(error)));
      await backend.close();
      return this.options.exit(1);
    }
    this.openHistory(this.history);
    this.delivery = new Delivery(this.options.dataDir, {
      send: (peer, message) => this.mesh.send(peer, message),
      say: (line) => this.print(line),
      // Just after a restart the outbox may deliver before the tracker has named the peer: then its id alone.
      describe: (peerId) => {
        const known = this.state.get(peerId);
        return known ? view.describePeer(known) : peerId;
      },
    });
    await this.delivery.start(); // messages a run before left waiting go now
    if (this.quitting) return;
    if (await this.session.start()) {
      this.print('');
      await this.discover(true);
    }
    if (this.quitting) return;
    this.print(...view.consoleHeader());
    this.terminal.start(view.prompt(this.options.self.name), {
      onLine: (line) => this.enqueue(() => this.run(parseCommand(line))),
      onEnd: () => this.enqueue(() => this.quit()), // Ctrl+D or end of piped input: finish what was typed, then leave
      onInterrupt: () => this.interrupt(),
    });
  }

  print(...lines: string[]): void {
    this.terminal.print(...lines);
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error) => this.print(`Error: ${view.clean(reasonOf(error))}`)); // may quote another peer
  }

  /** What each console command does. */
  private async run(command: Command): Promise<void> {
    switch (command.kind) {
      case 'empty':
        return;
      case 'help':
        return this.print(...view.helpLines());
      case 'peers': {
        const waiting = new Map(this.delivery!.pending().map(({ peerId, waiting }) => [peerId, waiting]));
        return this.print(...view.peersLines(this.state.peers(), waiting, (id) => this.trust?.knows(id) ?? true));
      }
      case 'discover':
        return this.discover(false);
      case 'broadcast':
        return this.channels.current === GENERAL_CHANNEL
          ? this.broadcast(command.message)
          : this.say(this.channels.current, command.message);
      case 'channels':
        return this.print(...view.channelsLines(this.channels.list()));
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
      case 'quit':
        return this.quit();
      case 'unknown':
      case 'usage-error':
      case 'too-long':
        return this.print(view.commandErrorLine(command));
    }
  }

  /**
   * Stores the message, hands it to every peer and returns at once: the report is printed when every peer
   * has it or has it waiting in its outbox, so a hung peer delays no later command.
   */
  private async broadcast(text: string): Promise<void> {
    const message = await this.history!.compose(GENERAL_CHANNEL, text, Date.now());
    const owed = this.delivery!.pending().map(({ peerId }) => ({ ...addressOf(peerId)!, name: peerId }));
    this.inBackground(async () => {
      const result = await this.mesh.broadcast(message, owed);
      const queued = result.queued.map(({ peer, waiting }) => view.queuedLine(peer, waiting));
      this.print(...view.broadcastReport(result.sent, result.total, result.failures), ...queued, ...result.dropped.map(view.droppedLine));
    });
  }

  /** Stores the message and hands it to the peer; like a broadcast, the console goes on at once. */
  private async direct(target: string, typed: string, quoted = false): Promise<void> {
    const { found, message } = this.state.recipient(target, typed, quoted);
    if (found.kind === 'ambiguous') return this.print(view.unknownPeerLine(found.peers[0].name, found.peers));
    if (found.kind === 'none') return this.print(view.unknownPeerLine(target));
    const peer = found.peer;
    const stored = await this.history!.compose(directChannel(peer.peer_id), message, Date.now());
    this.inBackground(async () => {
      const outcome = await this.mesh.direct(peer, stored);
      if (outcome.kind === 'sent') return this.print(view.directSentLine(peer));
      this.print(view.directFailedLine({ peer, reason: outcome.reason }));
      if (outcome.kind === 'queued') this.print(view.queuedLine(peer, outcome.waiting));
    });
  }

  /** Plain text in a channel: stored, then sent peer to peer to the members the tracker lists (or last listed). */
  private async say(channel: string, text: string): Promise<void> {
    const message = await this.history!.compose(channel, text, Date.now());
    const members = (await this.refreshMembers(channel)).filter((id) => id !== this.options.self.peer_id);
    const peers = members.map((id) => this.state.get(id) ?? { ...addressOf(id)!, name: id }).filter((peer) => peer.port !== undefined);
    this.inBackground(async () => {
      const result = await this.mesh.multicast(message, peers);
      const queued = result.queued.map(({ peer, waiting }) => view.queuedLine(peer, waiting));
      const failed = view.broadcastReport(result.sent, result.total, result.failures).slice(1);
      this.print(view.channelLines.sent(channel, result.sent, result.total), ...failed, ...queued, ...result.dropped.map(view.droppedLine));
    });
  }

  /** The members of a channel from the tracker, remembered; the last list when the tracker cannot answer. */
  private async refreshMembers(channel: string): Promise<string[]> {
    try {
      this.channels.setMembers(
        channel,
        (await this.tracker.members(channel)).map((entry) => entry.peer_id),
      );
    } catch {
      // the tracker is down: peer to peer goes on with the members last heard of
    }
    return this.channels.knownMembers(channel);
  }

  /** Whether `from` may post in `channel`: a known member, or one the tracker lists now. */
  private async admits(channel: string, from: string): Promise<boolean> {
    if (this.channels.isKnownMember(channel, from)) return true;
    return (await this.refreshMembers(channel)).includes(from);
  }

  /** A received message: its line, an unread count and the bell for another channel, a highlight for a mention. */
  private showMessage(type: 'broadcast' | 'direct', message: ChatMessage): void {
    const { channel, name, from, msg } = message;
    const plain = channel === GENERAL_CHANNEL || type === 'direct';
    let line = plain ? view.messageLine(type, name, from, msg) : view.channelMessageLine(channel, name, from, msg);
    if (view.mentions(msg, this.options.self.name)) line = view.highlight(line, Boolean(this.options.output.isTTY));
    const unread = !plain && this.channels.arrived(channel);
    this.print(line);
    if (unread || (plain && this.channels.current !== GENERAL_CHANNEL && this.channels.arrived(GENERAL_CHANNEL))) {
      this.terminal.bell();
      this.updatePrompt();
    }
  }

  private updatePrompt(): void {
    this.terminal.setPrompt(view.prompt(this.options.self.name, this.channels.current, this.channels.unreadElsewhere));
  }

  /** `/join #team [KEY]`: the tracker first (it may refuse a wrong key), then the members, then switch to it. */
  private async join(typed: string, key?: string): Promise<void> {
    const channel = channelName(typed);
    if (channel === null) return this.print(view.channelLines.badName(typed));
    if (channel === GENERAL_CHANNEL) return this.print(view.channelLines.general());
    let said: string;
    try {
      said = await this.tracker.channel(channel, { key });
    } catch (error) {
      return this.print(view.channelLines.joinFailed(channel, reasonOf(error)));
    }
    this.channels.join(channel, key);
    const members = await this.refreshMembers(channel);
    this.channels.switchTo(channel);
    this.print(view.channelLines.joined(channel, said, members.length));
    this.updatePrompt();
    for (const id of members) {
      const peer = this.state.get(id);
      if (peer) this.inBackground(() => this.catchUp(peer, [channel])); // what #team said before we joined
    }
  }

  private async leave(typed: string): Promise<void> {
    const channel = channelName(typed);
    if (channel === null) return this.print(view.channelLines.badName(typed));
    if (channel === GENERAL_CHANNEL) return this.print(view.channelLines.general());
    if (!this.channels.has(channel)) return this.print(view.channelLines.notJoined(channel));
    try {
      await this.tracker.channel(channel, { leave: true });
    } catch (error) {
      return this.print(view.channelLines.leaveFailed(channel, reasonOf(error)));
    }
    this.channels.leave(channel);
    this.print(view.channelLines.left(channel));
    this.updatePrompt();
  }

  private switchTo(typed: string): void {
    const channel = channelName(typed);
    if (channel === null) return this.print(view.channelLines.badName(typed));
    if (!this.channels.switchTo(channel)) return this.print(view.channelLines.notJoined(channel));
    this.print(view.channelLines.switched(channel));
    this.updatePrompt();
  }

  /** Asks `peer` for what it has of the channels both are in (#general, and the ones it is listed in). */
  private async catchUp(peer: PeerInfo, channels = this.channels.list().map((c) => c.name)): Promise<void> {
    const shared = channels.filter((channel) => channel === GENERAL_CHANNEL || this.channels.isKnownMember(channel, peer.peer_id));
    for (const channel of shared) {
      let result = { added: 0, forged: 0 };
      try {
        result = await this.catchUpOn(peer, channel);
      } catch {
        continue; // it went away, or is older and has no /history/: what it queued for us still comes
      }
      if (result.added > 0 || result.forged > 0) this.print(view.caughtUpLine(channel, peer, result.added, result.forged));
    }
  }

  /**
   * Pages of one channel from one peer, each message checked and stored once: how many were new, and how
   * many were refused because they claim a sender whose key this peer knows without its signature (the
   * answering peer made them up, or changed them).
   */
  private async catchUpOn(peer: PeerInfo, channel: string): Promise<{ added: number; forged: number }> {
    let since = Math.max(-1, this.history!.highestClock(channel) - CATCH_UP_MARGIN);
    let added = 0;
    let forged = 0;
    for (let page = 0; page < CATCH_UP_PAGES; page++) {
      const { messages, more } = await this.mesh.historyPage(peer, channel, since);
      for (const raw of messages) {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
        const read = readMessage(raw as Record<string, unknown>, { channel, now: Date.now() / 1000 });
        if (!read.ok || read.value.channel !== channel || read.value.clock === undefined) continue;
        const message = { ...read.value, clock: read.value.clock };
        since = Math.max(since, message.clock);
        if (this.trust?.authorship(message, this.state.self.peer_id) === 'forged') {
          forged += 1;
          continue;
        }
        if ((await this.history!.acceptQuietly(message)) === 'added') added += 1;
      }
      if (!more || messages.length === 0) break;
    }
    return { added, forged };
  }

  private inBackground(task: () => Promise<void>): void {
    const running = task().catch((error) => this.print(`Error: ${view.clean(reasonOf(error))}`));
    this.sending.add(running);
    void running.finally(() => this.sending.delete(running));
  }

  /** `/history [#channel|peer] [n]`: #general unless a channel or a peer (connected, or by its id) is named. */
  private showHistory(target: string | undefined, count: number): void {
    const history = this.history!;
    let conversation = GENERAL_CHANNEL;
    let title = `#${GENERAL_CHANNEL}`;
    if (target?.startsWith('#')) {
      conversation = target.slice(1).toLowerCase();
      title = `#${conversation}`;
    } else if (target !== undefined) {
      const found = this.state.find(target);
      if (found.kind === 'ambiguous') return this.print(view.unknownPeerLine(target, found.peers));
      const peer = found.kind === 'found' ? found.peer : undefined;
      conversation = directChannel(peer?.peer_id ?? target);
      if (!peer && !history.conversations().includes(conversation)) return this.print(view.unknownConversationLine(target));
      title = `the conversation with ${view.describePeer(peer ?? { name: target, peer_id: target })}`;
    }
    const { messages, total } = history.recent(conversation, count);
    this.print(...view.historyLines(title, messages, total));
  }

  /** "Discovering peers...", the tracker's list, then a connection to every peer not connected yet. */
  private async discover(atStart: boolean): Promise<void> {
    this.print(view.trackerLines.discovering());
    await this.connectNew(atStart ? 'start' : 'command');
  }

  /**
   * Fetches the list and connects to the new peers, all at once, reporting in the tracker's order.
   * 'quiet' (after re-registering) only reports the peers it connects to.
   */
  private async connectNew(mode: 'start' | 'command' | 'quiet'): Promise<void> {
    const self = this.options.self.peer_id;
    let entries: PeerEntry[];
    try {
      entries = await this.tracker.list();
      // Not on the list: the tracker restarted since our last heartbeat. /discover registers again at once.
      const missing = !entries.some((entry) => entry.peer_id === self);
      if (mode === 'command' && missing && (await this.session.rejoin())) entries = await this.tracker.list();
    } catch (error) {
      if (mode !== 'quiet') this.print(view.trackerLines.discoveryFailed(reasonOf(error)));
      return;
    }
    if (mode !== 'quiet') this.print(view.trackerLines.found(entries.length));
    const fresh = entries.filter((entry) => entry.peer_id !== self && !this.state.isConnected(entry.peer_id));
    const results = await this.mesh.connectAll(fresh);
    for (const result of results) {
      if (result.status !== 'fulfilled') continue;
      this.delivery?.retryNow(result.value.peer_id);
      const peer = result.value;
      this.inBackground(() => this.catchUp(peer)); // what was said while this peer was away, or before it came
    }
    results.forEach((result, i) =>
      this.print(
        result.status === 'fulfilled'
          ? view.connectedToPeerLine(result.value)
          : view.connectFailedLine(fresh[i].peer_id, reasonOf(result.reason)),
      ),
    );
    if (mode === 'command' && fresh.length === 0) this.print(view.noNewPeersLine());
  }

  /** Ctrl+C: leave like /quit; a second Ctrl+C while leaving (a peer or the tracker slow to answer) exits at once. */
  interrupt(): void {
    if (this.quitting) return this.options.exit(130);
    void this.quit();
  }

  /**
   * /quit, Ctrl+D, SIGTERM, SIGHUP: tell the peers, unregister, close, exit 0. Asked again while leaving (a
   * closed terminal sends SIGHUP and ends the input), it goes on leaving once.
   */
  async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    this.session.stop();
    this.terminal.close();
    await Promise.all(this.sending); // what was typed before leaving is delivered or queued first
    this.print(view.leavingLine(this.state.peers().length));
    await this.mesh.leave();
    try {
      this.print(view.trackerLines.unregistered(await this.tracker.remove()));
    } catch (error) {
      this.print(view.trackerLines.unregisterFailed(reasonOf(error)));
    }
    this.client.close();
    await this.backend?.close();
    await this.delivery?.close();
    await this.history?.close();
    this.print('Goodbye!');
    this.options.exit(0);
  }
}
