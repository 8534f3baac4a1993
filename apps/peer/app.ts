/**
 * One chat peer, wired together: its server (`server.ts`) with the browser chat on the same port (`web/`), its
 * client side towards the tracker (`tracker-client.ts`, `session.ts`) and the other peers (`mesh.ts`), the
 * chat's operations (`chat.ts`), and its console (`commands.ts`, `console.ts`, `screen.ts`, `terminal.ts`). The
 * console and the browsers are two screens of one chat: both call `Chat`, and both follow its event log. This
 * file decides what happens when. Ports `class PeerApp` (`run`, `run_console`,
 * `discover_and_connect_peers`) of WeApRous `apps/peer.py`.
 */

import { HttpClient } from '../../daemon/client';
import type { Backend } from '../../daemon/backend';
import type { PeerEntry } from '../protocol';
import { channelName } from '../protocol';
import { CatchUp } from './network/catch-up';
import { Channels } from './model/channels';
import { Chat } from './chat';
import { parseCommand, type Command } from './console/commands';
import * as view from './console/lines';
import { Delivery } from './delivery/delivery';
import { History } from './storage/history';
import { loadOrCreateIdentity } from './identity/identity';
import { KNOWN_PEERS_FILE, openKnownPeers } from './identity/known-peers';
import { Trust } from './identity/trust';
import { KeyOwners } from '../owner';
import { Mesh, reasonOf } from './network/peer-client';
import { createPeerServer, type ServerHooks } from './network/routes';
import { TrackerSession } from './network/session';
import type { PeerInfo } from './model/peers';
import { ConsoleScreen } from './console/screen';
import { Terminal } from './console/terminal';
import { TrackerClient } from './network/tracker-client';
import { EventLog } from './model/events';
import { ObservedState, PeerList } from './web/peers';
import { WebUi } from './web/ui';

export interface PeerOptions {
  self: PeerInfo;
  trackerUrl: string;
  heartbeatMs: number;
  /** The folder of this peer's history (`--data-dir`). */
  dataDir: string;
  /** Where the server listens; the address others use is `self.ip`. */
  listenIp: string;
  /** The web UI's password (`--password`); without one, only login links from the console let a browser in. */
  password?: string;
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

export class PeerApp {
  readonly state: ObservedState;
  readonly channels = new Channels();
  readonly events = new EventLog();
  readonly chat: Chat;
  readonly web: WebUi;
  private readonly peerList: PeerList;
  private readonly catchUp: CatchUp;
  private readonly terminal: Terminal;
  private readonly screen: ConsoleScreen;
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
    const { self } = options;
    this.state = new ObservedState(self);
    this.terminal = new Terminal(options.input, options.output);
    const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.client = new HttpClient({ timeoutMs });
    this.tracker = new TrackerClient(this.client, options.trackerUrl, self, timeoutMs);
    this.tracker.claims = () => this.channels.claims(); // the heartbeat claims them again after a tracker restart
    this.mesh = new Mesh(this.client, this.state, timeoutMs, (peer, message) => this.delivery!.deliver(peer, message));
    this.historyReady = new Promise((done) => (this.openHistory = done));
    this.peerList = new PeerList(
      { state: this.state, pending: () => this.delivery?.pending() ?? [], knows: (id) => this.trust?.knows(id) ?? false },
      this.events,
    );
    this.state.onChange = () => this.peerList.changed();
    this.catchUp = new CatchUp({
      selfId: self.peer_id,
      mesh: this.mesh,
      channels: this.channels,
      history: () => this.history!,
      trust: () => this.trust,
      events: this.events,
      say: (line) => this.print(line),
    });
    this.chat = new Chat({
      self,
      state: this.state,
      channels: this.channels,
      mesh: this.mesh,
      tracker: this.tracker,
      events: this.events,
      say: (...lines) => this.print(...lines),
      background: (task) => this.inBackground(task),
      peersChanged: () => this.peerList.changed(),
      catchUp: (peer, channels) => this.catchUp.run(peer, channels),
    });
    this.web = new WebUi({
      self,
      dataDir: options.dataDir,
      password: options.password,
      chat: this.chat,
      channels: this.channels,
      state: this.state,
      events: this.events,
      peers: this.peerList,
      say: (line) => this.print(line),
    });
    this.screen = new ConsoleScreen({
      self,
      state: this.state,
      channels: this.channels,
      terminal: this.terminal,
      tty: Boolean(options.output.isTTY),
      history: () => this.history!,
    });
    this.events.on((event) => this.screen.show(event)); // the browsers follow the same log (web/sse.ts)
    this.session = new TrackerSession(this.tracker, {
      heartbeatMs: options.heartbeatMs,
      retryMs: REGISTER_RETRY_MS,
      say: (...lines) => this.print(...lines),
      // Back after losing the tracker: this peer's own link may have been down too, so it says hello again to
      // every peer listed (their outboxes for it go at once), sends what waits for them and catches up.
      onRegistered: (kind) => (kind === 'late' ? this.discover(false) : this.connectNew('again')),
    });
  }

  /** Listen, show the banner, register, connect to the peers, then open the console (document Test 2). */
  async start(): Promise<void> {
    const hooks: ServerHooks = {
      onConnect: (peer) => this.delivery?.retryNow(peer.peer_id),
      gate: { isMember: (channel) => this.channels.has(channel), admits: (channel, from) => this.chat.admits(channel, from) },
      onMessage: (_type, message) => this.chat.received(message),
    };
    const server = createPeerServer(this.state, this.historyReady, (line) => this.print(line), hooks);
    this.web.routes(server); // the browser chat, on the same port as the P2P endpoints
    const backend = await server.prepareAddress(this.options.listenIp, this.options.self.port).run();
    this.backend = backend;
    // Ctrl+C or SIGTERM can come at any await of the start-up: then quit() is leaving, and the start stops.
    if (this.quitting) return backend.close();
    this.print(...view.peerBanner(this.options.self, this.options.trackerUrl, this.web.url));
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
      const owners = new KeyOwners(this.client);
      this.trust = new Trust(
        loadOrCreateIdentity(dir),
        openKnownPeers(dir),
        (line) => this.print(line),
        `${dir}/${KNOWN_PEERS_FILE}`,
        (address, source) => owners.keyAt(address, source),
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
    this.delivery = new Delivery(this.options.dataDir, {
      send: (peer, message) => this.chat.post(peer, message), // a 2xx is the acknowledgement the page shows
      sendBatch: (peer, messages) => this.chat.postBatch(peer, messages), // a burst: several in one request
      isKnown: (peerId) => this.trust?.knows(peerId) ?? false, // at the outbox cap, a known peer makes room
      say: (line) => {
        this.print(line);
        this.peerList.changed();
      },
      // Just after a restart the outbox may deliver before the tracker has named the peer: then its id alone.
      describe: (peerId) => {
        const known = this.state.get(peerId);
        return known ? view.describePeer(known) : peerId;
      },
    });
    this.chat.attach(this.history, this.delivery, this.trust);
    this.openHistory(this.history);
    await this.web.open(); // sessions saved by the run before: open pages stay logged in
    this.print(...this.web.loginLines());
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

  /** What each console command does; the chat's own operations are `Chat`'s, shared with the browser. */
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
      case 'broadcast': {
        const sent = await this.chat.send(this.channels.current, command.message, 'console');
        return sent.ok ? undefined : this.print(sent.line);
      }
      case 'channels':
        return this.print(...view.channelsLines(this.channels.list()));
      case 'join':
        return this.join(command.channel, command.key);
      case 'leave': {
        const left = await this.chat.leave(command.channel, 'console');
        this.print(left.ok ? left.value.line : left.line);
        return this.screen.updatePrompt();
      }
      case 'switch':
        return this.switchTo(command.channel);
      case 'direct':
        return this.direct(command.target, command.message, command.quoted);
      case 'history':
        return this.print(...this.screen.history(command.target, command.count));
      case 'web':
        return this.print(this.web.linkLine());
      case 'forget':
        return this.print(view.forgotLine(command.peerId, this.trust?.forget(command.peerId) ?? false));
      case 'quit':
        return this.quit();
      case 'unknown':
      case 'usage-error':
      case 'too-long':
        return this.print(view.commandErrorLine(command));
    }
  }

  /** `/direct <peer> <text>`: the peer by id or name among the connected ones, then as the browser sends. */
  private async direct(target: string, typed: string, quoted = false): Promise<void> {
    const { found, message } = this.state.recipient(target, typed, quoted);
    if (found.kind === 'ambiguous') return this.print(view.unknownPeerLine(found.peers[0].name, found.peers));
    if (found.kind === 'none') return this.print(view.unknownPeerLine(target));
    await this.chat.sendTo(found.peer, message, 'console');
  }

  /** `/join #team [KEY]`: joined as the browser joins, then, for the console only, where plain text goes. */
  private async join(typed: string, key?: string): Promise<void> {
    const joined = await this.chat.join(typed, key, 'console');
    if (!joined.ok) return this.print(joined.line);
    this.channels.switchTo(joined.value.channel);
    this.print(joined.value.line);
    this.screen.updatePrompt();
  }

  private switchTo(typed: string): void {
    const channel = channelName(typed);
    if (channel === null) return this.print(view.channelLines.badName(typed));
    if (!this.channels.switchTo(channel)) return this.print(view.channelLines.notJoined(channel));
    this.chat.markRead(channel, 'console');
    this.print(view.channelLines.switched(channel));
    this.screen.updatePrompt();
  }

  private inBackground(task: () => Promise<void>): void {
    const running = task().catch((error) => this.print(`Error: ${view.clean(reasonOf(error))}`));
    this.sending.add(running);
    void running.finally(() => this.sending.delete(running));
  }

  /** "Discovering peers...", the tracker's list, then a connection to every peer not connected yet. */
  private async discover(atStart: boolean): Promise<void> {
    this.print(view.trackerLines.discovering());
    await this.connectNew(atStart ? 'start' : 'command');
  }

  /**
   * Fetches the list and connects to the new peers, all at once, reporting in the tracker's order.
   * 'again' (after re-registering) connects to every listed peer, the ones still counted as connected too,
   * and reports only the peers that were not.
   */
  private async connectNew(mode: 'start' | 'command' | 'again'): Promise<void> {
    const self = this.options.self.peer_id;
    let entries: PeerEntry[];
    try {
      entries = await this.tracker.list();
      // Not on the list: the tracker restarted since our last heartbeat. /discover registers again at once.
      const missing = !entries.some((entry) => entry.peer_id === self);
      if (mode === 'command' && missing && (await this.session.rejoin())) entries = await this.tracker.list();
    } catch (error) {
      if (mode !== 'again') this.print(view.trackerLines.discoveryFailed(reasonOf(error)));
      return;
    }
    if (mode !== 'again') this.print(view.trackerLines.found(entries.length));
    const known = new Set(this.state.peers().map((peer) => peer.peer_id));
    const fresh = entries.filter((entry) => entry.peer_id !== self && (mode === 'again' || !known.has(entry.peer_id)));
    const results = await this.mesh.connectAll(fresh);
    for (const result of results) {
      if (result.status !== 'fulfilled') continue;
      this.delivery?.reached(result.value.peer_id);
      this.delivery?.retryNow(result.value.peer_id);
      const peer = result.value;
      this.inBackground(() => this.catchUp.run(peer)); // what was said while this peer was away, or before it came
    }
    results.forEach((result, i) => {
      if (known.has(fresh[i].peer_id)) return; // connected before: nothing new to tell
      this.print(
        result.status === 'fulfilled'
          ? view.connectedToPeerLine(result.value)
          : view.connectFailedLine(fresh[i].peer_id, reasonOf(result.reason)),
      );
    });
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
    await this.web.close(); // open pages' streams end, so closing the server does not wait for them
    this.peerList.close();
    await this.backend?.close();
    await this.delivery?.close();
    await this.history?.close();
    this.print('Goodbye!');
    this.options.exit(0);
  }
}
