/**
 * The browser chat of one peer, wired: its sessions (saved in the data folder as hashes, so a restarted peer
 * keeps its open pages logged in), its event streams, its pages (`pages.ts`) and its API (`api.ts`), all added
 * to the peer's own WeApRous app, on the same port as the P2P endpoints, which it leaves as they are. Also the
 * lines the console prints about it: the address, and login links. docs/web-ui.md. New, not in WeApRous.
 */

import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WeApRous } from '../../../daemon/weaprous';
import type { Channels } from '../model/channels';
import type { Chat } from '../chat';
import * as view from '../console/lines';
import { peerUrl } from '../network/peer-client';
import type { ChatState, PeerInfo } from '../model/peers';
import { apiRoutes } from './api';
import type { EventLog } from '../model/events';
import { cookieName } from './guard';
import { pageRoutes } from './pages';
import type { PeerList } from './peers';
import { LINK_MS, type SessionRecord, Sessions } from './sessions';
import { EventStreams } from './sse';

export interface WebParts {
  self: PeerInfo;
  dataDir: string;
  password?: string;
  chat: Chat;
  channels: Channels;
  state: ChatState;
  events: EventLog;
  peers: PeerList;
  /** Folders of the pages and their assets; default the repository's `www/` and `static/`. */
  www?: string;
  assets?: string;
  /** Prints a line on the console (a sessions file that cannot be read or written). */
  say: (line: string) => void;
}

export const SESSIONS_FILE = 'web-sessions.json';
const REPOSITORY = join(__dirname, '..', '..', '..');

export class WebUi {
  readonly sessions: Sessions;
  readonly streams: EventStreams;
  /** Saves run one after another; the newest records win. */
  private saving: Promise<void> = Promise.resolve();
  private opened = false;
  /** Settles once `open()` has read the sessions: the routes hold requests until then. */
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly parts: WebParts) {
    this.sessions = new Sessions({ password: parts.password, onChange: (records) => this.save(records) });
    this.streams = new EventStreams(parts.events);
    this.ready = new Promise((done) => (this.markReady = done));
  }

  /** `http://127.0.0.1:5001/`: the chat's address, on the peer's own port. */
  get url(): string {
    return `${peerUrl(this.parts.self)}/`;
  }

  /** Adds the pages, the login, the API and the event stream to the peer's app. */
  routes(app: WeApRous): void {
    const cookie = cookieName(this.parts.self.port);
    const www = this.parts.www ?? join(REPOSITORY, 'www');
    const assets = this.parts.assets ?? join(REPOSITORY, 'static');
    const { sessions, streams } = this;
    const ready = this.ready;
    const hosts = [this.parts.self.ip];
    pageRoutes(app, { sessions, cookie, www, assets, ready, hosts, endStreams: (id) => streams.closeOwner(id) });
    apiRoutes(app, { ...this.parts, streams, sessions, cookie, ready, hosts });
  }

  /** Takes back the sessions the run before saved (the data folder exists by now). */
  async open(): Promise<void> {
    try {
      const text = await readFile(this.file, 'utf8');
      this.sessions.load((JSON.parse(text) as { sessions?: unknown }).sessions, Date.now());
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      if (!missing) this.parts.say(`[Web] ${SESSIONS_FILE} could not be read (${(error as Error).message}); browsers log in again`);
    }
    this.opened = true;
    this.markReady();
  }

  /** What the console prints after the banner: a login link without a password, a hint with one. */
  loginLines(): string[] {
    return [this.sessions.hasPassword ? view.webLines.passwordHint() : this.linkLine()];
  }

  /** `/web`: a fresh one-time login link. */
  linkLine(): string {
    return view.webLines.link(`${this.url}login/?token=${this.sessions.issueLink(Date.now())}`, LINK_MS / 60_000);
  }

  /** Ends every event stream and waits for the last save. */
  async close(): Promise<void> {
    this.streams.closeAll();
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
        this.parts.say(`[Web] Could not save ${SESSIONS_FILE}: ${(error as Error).message}`);
      }
    });
  }
}
