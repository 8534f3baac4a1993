/**
 * One chat peer, wired: `PeerApp.start(options)` builds it once, in order (listen, identity, history, trust,
 * delivery, the peer client, `Chat`, then the two screens) and `quit()` takes it apart. It decides nothing else:
 * apps/peer/README.md is the map of the parts. Ports `class PeerApp` (`run`) of WeApRous `apps/peer.py`.
 */

import type { Backend } from '../../daemon/backend';
import { HttpClient } from '../../daemon/client';
import { KeyOwners } from '../owner';
import { reasonOf } from '../text';
import { Chat } from './chat';
import { PeerConsole } from './console/console';
import * as view from './console/lines';
import { noticeLines, trackerLines } from './console/notices';
import { ConsoleScreen } from './console/screen';
import { Terminal } from './console/terminal';
import { Delivery } from './delivery/delivery';
import { loadOrCreateIdentity } from './identity/identity';
import { KNOWN_PEERS_FILE, openKnownPeers } from './identity/known-peers';
import { Trust } from './identity/trust';
import { Channels } from './model/channels';
import { EventLog } from './model/events';
import type { Notify } from './model/notices';
import { ChatState, type PeerInfo } from './model/peers';
import { Receipts } from './model/receipts';
import { Tasks } from './model/tasks';
import { Unread } from './model/unread';
import { CatchUp } from './network/catch-up';
import { Discovery } from './network/discovery';
import { PeerClient } from './network/peer-client';
import { createPeerServer, type PeerParts } from './network/routes';
import { TrackerSession } from './network/session';
import { TrackerClient } from './network/tracker-client';
import { History } from './storage/history';
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

/** The parts the routes need before the peer is built: the routes answer once it is. */
interface Ready {
  chat: Chat;
  parts: PeerParts;
}

/** The peer once built, whole. */
interface Built {
  options: PeerOptions;
  state: ChatState;
  terminal: Terminal;
  client: HttpClient;
  tasks: Tasks;
  backend: Backend;
  web: WebUi;
  history: History;
  delivery: Delivery;
  peers: PeerClient;
  tracker: TrackerClient;
  session: TrackerSession;
  chat: Chat;
  console: PeerConsole;
}

export class PeerApp {
  private quitting = false;

  private constructor(private readonly built: Built) {}

  /** This peer's chat: what the console and the browsers call. */
  get chat(): Chat {
    return this.built.chat;
  }

  get web(): WebUi {
    return this.built.web;
  }

  get state(): ChatState {
    return this.built.state;
  }

  /**
   * Listens, shows the banner, opens the data folder and builds the peer; `open()` then starts it. Resolves
   * null when the data folder cannot be opened (said on the console; `exit(1)` called). Rejects when the port
   * cannot be listened on.
   */
  static async start(options: PeerOptions): Promise<PeerApp | null> {
    const state = new ChatState(options.self);
    const channels = new Channels();
    const events = new EventLog();
    const terminal = new Terminal(options.input, options.output);
    const notify: Notify = (notice) => terminal.print(...noticeLines(notice, (id) => state.get(id)?.name));
    const ready = deferred<Ready>();
    const server = createPeerServer(
      state,
      ready.promise.then((done) => done.parts),
      notify,
    );
    const chat = ready.promise.then((done) => done.chat);
    const web = new WebUi({ ...options, state, channels, events, chat, notify });
    web.routes(server); // the browser chat, on the same port as the P2P endpoints
    const backend = await server.prepareAddress(options.listenIp, options.self.port).run();
    terminal.print(...view.peerBanner(options.self, options.trackerUrl, web.url));
    const client = new HttpClient({ timeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS });
    let data: { history: History; trust: Trust };
    try {
      data = await openDataFolder(options, client, notify); // after listening: a second process on a port in use never touches the first one's files
    } catch (error) {
      terminal.print(view.historyProblemLine(reasonOf(error)));
      await backend.close();
      options.exit(1);
      return null;
    }
    const built = wire({ options, state, channels, events, terminal, client, notify, backend, web, ...data });
    ready.resolve({ chat: built.chat, parts: peerParts(built, data.trust) });
    return new PeerApp(built);
  }

  /** Takes back the browser sessions, sends what waits, registers, connects to the peers, opens the console. */
  async open(): Promise<void> {
    const { web, terminal, delivery, session, console } = this.built;
    await web.open(); // sessions saved by the run before: open pages stay logged in
    const login = web.login();
    terminal.print('link' in login ? view.webLines.link(login.link, login.minutes) : view.webLines.passwordHint());
    await delivery.start(); // messages a run before left waiting go now
    if (this.quitting) return;
    if (await session.start()) {
      terminal.print('');
      await console.discover('start');
    }
    if (this.quitting) return;
    console.open({ quit: () => this.quit(), interrupt: () => this.interrupt() });
  }

  /** Ctrl+C: leave like /quit; a second Ctrl+C while leaving (a peer or the tracker slow to answer) exits at once. */
  interrupt(): void {
    if (this.quitting) return this.built.options.exit(130);
    void this.quit();
  }

  /**
   * /quit, Ctrl+D, SIGTERM, SIGHUP: tell the peers, unregister, close, exit 0. Asked again while leaving (a
   * closed terminal sends SIGHUP and ends the input), it goes on leaving once.
   */
  async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    const { session, terminal, tasks, state, peers, tracker, client, web, backend, delivery, history } = this.built;
    session.stop();
    terminal.close();
    await tasks.settled(); // what was typed before leaving is delivered or queued first
    terminal.print(view.leavingLine(state.peers().length));
    await peers.leave();
    try {
      terminal.print(trackerLines.unregistered(await tracker.remove()));
    } catch (error) {
      terminal.print(trackerLines.unregisterFailed(reasonOf(error)));
    }
    client.close();
    await web.close(); // open pages' streams end, so closing the server does not wait for them
    await backend.close();
    await delivery.close();
    await history.close();
    terminal.print('Goodbye!');
    this.built.options.exit(0);
  }
}

/** The identity (this peer's key), the history signed with it, and the keys of the peers met. */
async function openDataFolder(options: PeerOptions, client: HttpClient, notify: Notify): Promise<{ history: History; trust: Trust }> {
  const dir = options.dataDir;
  const history = await History.open(dir, options.self, {
    startedAt: Date.now(),
    signer: loadOrCreateIdentity(dir), // what this peer writes is stored signed, for catch-up elsewhere
    onProblem: (reason) => notify({ kind: 'problem', area: 'history', reason }),
  });
  try {
    const owners = new KeyOwners(client);
    const trust = new Trust(loadOrCreateIdentity(dir), openKnownPeers(dir), notify, `${dir}/${KNOWN_PEERS_FILE}`, (address, source) =>
      owners.keyAt(address, source),
    );
    return { history, trust };
  } catch (error) {
    await history.close();
    throw error;
  }
}

/** What `start` has made before the rest is built. */
interface Made {
  options: PeerOptions;
  state: ChatState;
  channels: Channels;
  events: EventLog;
  terminal: Terminal;
  client: HttpClient;
  notify: Notify;
  backend: Backend;
  web: WebUi;
  history: History;
  trust: Trust;
}

/** Builds the rest, each part from the ones before it: delivery, the clients, `Chat`, then the console. */
function wire(made: Made): Built {
  const { options, state, channels, events, terminal, client, notify, history, trust } = made;
  const { self } = options;
  const tasks = new Tasks(notify);
  const receipts = new Receipts((id) => events.emit('delivered', { id }));
  const peers = new PeerClient(client, state, trust, options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
  const delivery = new Delivery(options.dataDir, {
    courier: peers,
    notify,
    onSettled: (peerId, messageId) => receipts.settle(messageId, peerId), // a 2xx is the acknowledgement the page shows
    onChange: () => state.touch(),
    isKnown: (peerId) => trust.knows(peerId), // at the outbox cap, a known peer makes room
  });
  const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const tracker = new TrackerClient(client, options.trackerUrl, self, timeoutMs, trust.identity, () => channels.claims());
  const catchUp = new CatchUp({ selfId: self.peer_id, client: peers, channels, history, trust, events, notify });
  const chat = new Chat({
    self,
    state,
    channels,
    history,
    delivery,
    trust,
    tracker,
    catchUp,
    events,
    receipts,
    unread: new Unread(),
    notify,
    background: (task) => tasks.run(task),
  });
  const screen = new ConsoleScreen({ self, state, channels, terminal, tty: Boolean(options.output.isTTY), history });
  events.on((event) => screen.show(event)); // the browsers follow the same log (web/sse.ts)
  const session: TrackerSession = new TrackerSession(tracker, {
    heartbeatMs: options.heartbeatMs,
    retryMs: REGISTER_RETRY_MS,
    notify,
    // Back after losing the tracker: this peer's own link may have been down too, so it says hello again to
    // every peer listed (their outboxes for it go at once), sends what waits for them and catches up.
    onRegistered: (kind): Promise<void> => console.discover(kind === 'late' ? 'command' : 'again'),
  });
  const discovery: Discovery = new Discovery({
    state,
    tracker,
    session,
    client: peers,
    delivery,
    catchUp,
    background: (task) => tasks.run(task),
  });
  const console: PeerConsole = new PeerConsole({
    self,
    state,
    channels,
    chat,
    delivery,
    trust,
    discovery,
    terminal,
    screen,
    webLink: () => made.web.freshLink(),
  });
  return { ...made, tasks, delivery, peers, tracker, session, chat, console };
}

/** What the routes answering other peers work with, once the peer is built. */
function peerParts(built: Built, trust: Trust): PeerParts {
  const { history, chat, delivery } = built;
  return {
    history,
    trust,
    gate: { isMember: (channel) => chat.isMember(channel), admits: (channel, from) => chat.admits(channel, from) },
    onMessage: (_type, message) => chat.received(message),
    onConnect: (peer) => delivery.retryNow(peer.peer_id), // messages waiting for it go now
  };
}

/** A promise and the function that settles it: the routes wait on it while the peer is being built. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}
