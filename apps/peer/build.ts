/**
 * How a peer is built: the data folder opened (identity, history, keys met), then every part from the ones
 * before it, each with readonly constructor arguments. `app.ts` calls these in order; the map of the parts is
 * apps/peer/README.md. New; WeApRous `apps/peer.py` built its parts in `PeerApp.__init__`.
 */

import type { PeerEntry } from '../protocol';
import type { Backend } from '../../daemon/backend';
import { shareOf } from '../../daemon/admission';
import { HttpClient } from '../../daemon/client';
import type { TlsFiles, TlsTrust } from '../../daemon/tls';
import { KeyOwners, type PeerAddress } from '../owner';
import { peerId } from '../address';
import { Chat } from './chat';
import { PeerConsole } from './console/console';
import { ConsoleScreen } from './console/screen';
import { Terminal } from './console/terminal';
import { Delivery } from './delivery/delivery';
import { loadOrCreateIdentity } from './identity/identity';
import { KNOWN_PEERS_FILE, openKnownPeers } from './identity/known-peers';
import { Trust } from './identity/trust';
import { Channels } from './model/channels';
import type { Contacts } from './model/contacts';
import { EventLog } from './model/events';
import type { ChatMessage } from './model/message';
import type { Notify } from './model/notices';
import { addressOf, ChatState, type PeerInfo } from './model/peers';
import { Receipts } from './model/receipts';
import { Tasks } from './model/tasks';
import { Unread } from './model/unread';
import { CatchUp } from './network/catch-up';
import { Discovery } from './network/discovery';
import { PeerClient } from './network/peer-client';
import { type PeerParts } from './network/routes';
import { TrackerSession } from './network/session';
import { ChannelProofs } from './network/channel-proof';
import { Members } from './network/members';
import { ChannelKeys } from './identity/channel-keys';
import { giveUpOnTheGone } from './network/housekeeping';
import { TrackerClient } from './network/tracker-client';
import { openContacts } from './storage/contacts-file';
import { CatchUpCursors } from './storage/cursors';
import { History } from './storage/history';
import { WebUi } from './web/ui';

export interface PeerOptions {
  self: PeerInfo;
  trackerUrl: string;
  /** How an https:// tracker and peers that serve HTTPS are checked (`--tls-ca` PEM or `--tls-pin`). */
  trackerTrust?: TlsTrust;
  /** The certificate and key this peer serves HTTPS with (`--tls-cert`, `--tls-key`); then `self.scheme` is `https`. */
  tls?: TlsFiles;
  /** `--trace`: each request and response head of this peer's server, printed on the console above the prompt. */
  trace?: boolean;
  heartbeatMs: number;
  /** The folder of this peer's history (`--data-dir`). */
  dataDir: string;
  /** Where the server listens; the address others use is `self.ip`. */
  listenIp: string;
  /** The web UI's password (`--password-file`); without one, only login links from the console let a browser in. */
  password?: string;
  /** Other machines the web UI answers (`--web-from`), over HTTPS; by default only this machine. */
  webFrom?: string[];
  /** How long one request to the tracker or another peer may take; 3 s unless a test wants it shorter. */
  requestTimeoutMs?: number;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
  /** Ends the process; `process.exit` in the real peer. */
  exit: (code: number) => void;
}

/** Each request to another peer or the tracker gives up after this long. */
export const REQUEST_TIMEOUT_MS = 3_000;
const REGISTER_RETRY_MS = 2_000;

/** The parts the routes need before the peer is built: the routes answer once it is. */
export interface Ready {
  chat: Chat;
  parts: PeerParts;
}

/** The peer once built, whole. */
export interface Built {
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
  catchUp: CatchUp;
  proofs: ChannelProofs;
  chat: Chat;
  console: PeerConsole;
}

/** What the data folder holds: the identity, the history signed with it, the contacts, the keys of the peers met. */
export interface DataFolder {
  history: History;
  trust: Trust;
  contacts: Contacts;
}

/** Opens the data folder: the identity (this peer's key), the contacts, the history, the keys of the peers met. */
export async function openDataFolder(options: PeerOptions, client: HttpClient, notify: Notify, state: ChatState): Promise<DataFolder> {
  const dir = options.dataDir;
  const identity = loadOrCreateIdentity(dir);
  const contacts = openContacts(dir);
  const history = await History.open(dir, options.self, {
    startedAt: Date.now(),
    signer: identity, // what this peer writes is stored signed, for catch-up elsewhere
    contacts, // what they send is stored as a contact's, not charged to a stranger's share
    onProblem: (reason) => notify({ kind: 'problem', area: 'history', reason }),
  });
  try {
    const owners = new KeyOwners(client);
    const known = openKnownPeers(dir);
    // A peer heard to serve HTTPS is asked its key over TLS, even when only its id is at hand (`ChatState.schemeOf`).
    const askKey = (address: PeerAddress, source?: string) =>
      owners.keyAt({ ...address, scheme: address.scheme ?? state.schemeOf(peerId(address.ip, address.port)) }, source);
    const trust = new Trust(identity, known, notify, `${dir}/${KNOWN_PEERS_FILE}`, askKey);
    return { history, trust, contacts };
  } catch (error) {
    await history.close();
    throw error;
  }
}

/** What `start` has made before the rest is built. */
export interface Made extends DataFolder {
  options: PeerOptions;
  state: ChatState;
  channels: Channels;
  events: EventLog;
  terminal: Terminal;
  client: HttpClient;
  notify: Notify;
  backend: Backend;
  web: WebUi;
}

/** Builds the rest, each part from the ones before it: delivery, the clients, `Chat`, then the console. */
export function wire(made: Made): Built {
  const core = wireChat(made);
  return { ...made, ...core, ...wireConsole(made, core) };
}

/** What `Chat` stands on, and `Chat`: the request client to peers, delivery, the tracker client, catch-up. */
function wireChat(made: Made) {
  const { options, state, channels, events, client, notify, history, trust, contacts } = made;
  const { self } = options;
  const tasks = new Tasks(notify);
  const receipts = new Receipts((id) => events.emit('delivered', { id }));
  const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const peers = new PeerClient(client, state, trust, timeoutMs);
  const delivery = new Delivery(options.dataDir, {
    courier: peers,
    notify,
    onSettled: (peerId, messageId) => receipts.settle(messageId, peerId), // a 2xx is the acknowledgement the page shows
    onChange: () => state.touch(),
    isKnown: (peerId) => trust.knows(peerId), // at the outbox cap, a known peer makes room
    isContact: (peerId) => contacts.has(peerId), // contacts come first (docs/security/peer-out.md)
    sharesOf: (peerId) => sharesOf(peerId, trust),
  });
  const keys = new ChannelKeys((channel) => channels.keyOf(channel));
  const tracker = new TrackerClient(client, options.trackerUrl, self, timeoutMs, trust.identity, () => channels.claims(), keys);
  const cursors = new CatchUpCursors(options.dataDir); // how far each peer's history was read, kept across restarts
  const catchUp = new CatchUp({ selfId: self.peer_id, client: peers, channels, history, trust, events, notify, cursors });
  const background = (task: () => Promise<void>) => tasks.run(task);
  const unread = new Unread();
  const proofs = new ChannelProofs({ selfId: self.peer_id, channels, keys, client, timeoutMs });
  const members = new Members({ self, state, channels, tracker, notify, proofs });
  const parts = {
    ...{ self, state, channels, keys, history, delivery, trust, tracker, catchUp, members },
    ...{ events, receipts, unread, notify, background, contacts },
  };
  return { tasks, peers, delivery, tracker, catchUp, proofs, members, contacts, chat: new Chat(parts) };
}

/** The shares a stranger's outbox counts against: its address (not this host's own) and its key. */
function sharesOf(peerId: string, trust: Trust): string[] {
  const shares: string[] = [];
  const address = shareOf(addressOf(peerId)?.ip);
  if (address !== null) shares.push(`address ${address}`);
  const key = trust.keyOf(peerId);
  if (key !== undefined) shares.push(`key ${key.slice(-12)}`);
  return shares;
}

/** The console and what it drives: its screen, the session with the tracker, discovery. */
function wireConsole(made: Made, core: ReturnType<typeof wireChat>) {
  const { options, state, channels, events, terminal, history, trust } = made;
  const { self } = options;
  const { tracker, peers, delivery, catchUp, chat, tasks, contacts } = core;
  const textOf = (message: ChatMessage) => chat.textOf(message);
  const screen = new ConsoleScreen({ self, state, channels, terminal, tty: Boolean(options.output.isTTY), history, textOf });
  events.on((event) => screen.show(event)); // the browsers follow the same log (web/sse.ts)
  const session: TrackerSession = new TrackerSession(tracker, {
    heartbeatMs: options.heartbeatMs,
    retryMs: REGISTER_RETRY_MS,
    notify: made.notify,
    // Back after losing the tracker: this peer's own link may have been down too, so it says hello again to
    // every peer listed (their outboxes for it go at once), sends what waits for them and catches up.
    onRegistered: (kind): Promise<void> => console.discover(kind === 'late' ? 'command' : 'again'),
    onChannels: (answer) => core.members.answered(answer), // a refused private channel is contested, never trusted
    // Peers met before but not connected are met again (a partition healed); an unreachable TestPeer's outbox goes.
    // One list a heartbeat, asked only when one of them needs it, for both.
    onBeat: async () => {
      let asked: Promise<PeerEntry[]> | undefined;
      const list = () => (asked ??= tracker.list());
      await console.meetAgain(list);
      await giveUpOnTheGone({ delivery, trust, tracker: { list }, notify: made.notify });
    },
  });
  const background = (task: () => Promise<void>) => tasks.run(task);
  const isProven = (peerId: string) => contacts.has(peerId) || trust.knows(peerId); // connected to first
  const discovery = new Discovery({ state, tracker, session, client: peers, delivery, catchUp, background, isProven });
  const webLink = () => made.web.freshLink();
  const console: PeerConsole = new PeerConsole({ self, state, channels, chat, delivery, trust, discovery, terminal, screen, webLink });
  return { session, console };
}

/** What the routes answering other peers work with, once the peer is built. */
export function peerParts(built: Built, trust: Trust): PeerParts {
  const { history, chat, delivery, proofs, catchUp, tasks } = built;
  return {
    history,
    trust,
    proofs,
    gate: {
      isMember: (channel) => chat.isMember(channel),
      admits: (channel, from) => chat.admits(channel, from),
      isPrivate: (channel) => chat.isPrivate(channel),
    },
    onMessage: (_type, message) => chat.received(message),
    showing: (work) => built.terminal.hold(work), // a batch's messages reach the console in one write
    onConnect: (peer) => {
      delivery.retryNow(peer.peer_id); // messages waiting for it go now
      // Both sides of a meeting ask what they missed, not only the caller; only of a peer whose key its address
      // confirmed: a made-up /connect-peer/ must not send this peer's requests to any address it names.
      if (trust.knows(peer.peer_id)) tasks.run(() => catchUp.run(peer));
    },
  };
}

/** A promise and the function that settles it: the routes wait on it while the peer is being built. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}
