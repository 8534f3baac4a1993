/**
 * The browser chat of one peer, wired: its sessions (saved in the data folder as hashes, so a restarted peer
 * keeps its open pages logged in), its event streams, its peer list (`peers.ts`), its pages (`pages.ts`) and its API (`api.ts`), all added
 * to the peer's own WeApRous app, on the same port as the P2P endpoints, which it leaves as they are. Also what
 * the console says about it, as data: the address, and how to log in. docs/web-ui.md. New, not in WeApRous.
 */

import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WeApRous } from '../../../daemon/weaprous';
import type { Channels } from '../model/channels';
import type { Chat } from '../chat';
import { peerUrl } from '../network/peer-client';
import type { ChatState, PeerInfo } from '../model/peers';
import { apiRoutes } from './api';
import type { EventLog } from '../model/events';
import type { Notify } from '../model/notices';
import { cookieName, webAudience } from './guard';
import { pageRoutes } from './pages';
import { PeerList, type PeerSource } from './peers';
import { LINK_MS, type SessionRecord, Sessions } from './sessions';
import { EventStreams } from './sse';
import { REPOSITORY } from '../../repository';

export interface WebParts {
  self: PeerInfo;
  dataDir: string;
  password?: string;
  /** Other machines the web UI answers (--web-from), over HTTPS; by default only the owner's own machine. */
  webFrom?: string[];
  /** The chat, once the peer has opened its history (it listens before): the API waits for it. */
  chat: Promise<Chat>;
  channels: Channels;
  state: ChatState;
  events: EventLog;
  /** Folders of the pages and their assets; default the repository's `www/` and `static/`. */
  www?: string;
  assets?: string;
  /** Hears of a sessions file that cannot be read or written (`problem`, area `web`). */
  notify: Notify;
}

/** A one-time login link, and the minutes it works for. */
export interface LoginLink {
  link: string;
  minutes: number;
}

export const SESSIONS_FILE = 'web-sessions.json';

export class WebUi {
  readonly sessions: Sessions;
  readonly streams: EventStreams;
  readonly peers: PeerList;
  /** Saves run one after another; the newest records win. */
  private saving: Promise<void> = Promise.resolve();
  private opened = false;
  /** Settles once `open()` has read the sessions: the routes hold requests until then. */
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly parts: WebParts) {
    this.sessions = new Sessions({ password: parts.password, onChange: (records) => this.save(records) });
    this.streams = new EventStreams(parts.events);
    this.peers = new PeerList(peerSource(parts.state, parts.chat), parts.events);
    this.ready = new Promise((done) => (this.markReady = done));
  }

  /** `http://127.0.0.1:5001/` (`https://` with --tls-cert): the chat's address, on the peer's own port. */
  get url(): string {
    return `${peerUrl(this.parts.self)}/`;
  }

  /** Adds the pages, the login, the API and the event stream to the peer's app. */
  routes(app: WeApRous): void {
    const cookie = cookieName(this.parts.self.port);
    const www = this.parts.www ?? join(REPOSITORY, 'www');
    const assets = this.parts.assets ?? join(REPOSITORY, 'static');
    const { sessions, streams, peers } = this;
    const ready = this.ready;
    const hosts = [this.parts.self.ip];
    const from = webAudience(this.parts.self.ip, this.parts.webFrom);
    // Secure over HTTPS (--tls-cert), and always with --web-from, which options.ts allows only over HTTPS.
    const overHttps = this.parts.self.scheme === 'https' || (this.parts.webFrom ?? []).length > 0;
    const gate = { ready, hosts, from };
    pageRoutes(app, { ...gate, sessions, cookie, www, assets, overHttps, endStreams: (id) => streams.closeOwner(id) });
    apiRoutes(app, { ...this.parts, ...gate, peers, streams, sessions, cookie });
  }

  /** Takes back the sessions the run before saved (the data folder exists by now). */
  async open(): Promise<void> {
    try {
      const text = await readFile(this.file, 'utf8');
      this.sessions.load((JSON.parse(text) as { sessions?: unknown }).sessions, Date.now());
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      if (!missing) this.problem(`${SESSIONS_FILE} could not be read (${(error as Error).message}); browsers log in again`);
    }
    this.opened = true;
    this.markReady();
  }

  /** How a browser logs in, for the console to say after the banner: with the --password, else by a fresh link. */
  login(): LoginLink | { password: true } {
    return this.sessions.hasPassword ? { password: true } : this.freshLink();
  }

  /** `/web`: a fresh one-time login link. */
  freshLink(): LoginLink {
    return { link: `${this.url}login/?token=${this.sessions.issueLink(Date.now())}`, minutes: LINK_MS / 60_000 };
  }

  /** Ends every event stream and the peer list's timer, and waits for the last save. */
  async close(): Promise<void> {
    this.streams.closeAll();
    this.peers.close();
    await this.saving;
  }

  private get file(): string {
    return join(this.parts.dataDir, SESSIONS_FILE);
  }

  /** Writes the records (hashes and times, no token) to a temporary file, then renames it over the old one. */
  private save(records: SessionRecord[]): void {
    if (!this.opened) return; // a login before the file was read would overwrite the sessions it holds
    const text = JSON.stringify({ sessions: records }) + '\n';
    this.saving = this.saving.then(async () => {
      try {
        await writeFile(`${this.file}.tmp`, text, { mode: 0o600 });
        await rename(`${this.file}.tmp`, this.file);
      } catch (error) {
        this.problem(`Could not save ${SESSIONS_FILE}: ${(error as Error).message}`);
      }
    });
  }

  private problem(reason: string): void {
    this.parts.notify({ kind: 'problem', area: 'web', reason });
  }
}

/** Where the peer list reads what waits and whose key is known: the chat, once built; nothing and nobody before. */
function peerSource(state: ChatState, chat: Promise<Chat>): PeerSource {
  let built: Chat | null = null;
  chat.then(
    (done) => (built = done),
    () => {}, // the peer did not start: the API answers 500, the list stays as it is
  );
  return { state, pending: () => built?.pending() ?? [], knows: (peerId) => built?.knows(peerId) ?? false };
}
