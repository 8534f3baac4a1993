/**
 * One chat peer: `PeerApp.start(options)` listens and builds it once, in order (`build.ts`), `open()` starts it
 * (sessions, waiting messages, the tracker, the peers, the prompt) and `quit()` takes it apart. It decides
 * nothing else: apps/peer/README.md is the map. Ports `class PeerApp` (`run`) of WeApRous `apps/peer.py`.
 */

import { HttpClient } from '../../daemon/client';
import { reasonOf } from '../text';
import { tracerFor } from '../cli';
import { Chat } from './chat';
import * as view from './console/lines';
import { noticeLines, trackerLines } from './console/notices';
import { Terminal } from './console/terminal';
import { Channels } from './model/channels';
import { keepChannels } from './storage/channels-file';
import { EventLog } from './model/events';
import type { Notify } from './model/notices';
import { ChatState } from './model/peers';
import { createPeerServer } from './network/routes';
import { WebUi } from './web/ui';
import {
  type Built,
  type DataFolder,
  deferred,
  openDataFolder,
  type PeerOptions,
  peerParts,
  type Ready,
  REQUEST_TIMEOUT_MS,
  wire,
} from './build';

export type { PeerOptions } from './build';

export class PeerApp {
  private quitting = false;

  private constructor(
    private readonly built: Built,
    /** Saves the unread counts still waiting to be (`storage/channels-file.ts`). */
    private readonly flushChannels: () => void,
  ) {}

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
    const notify: Notify = (notice) => {
      const lines = noticeLines(notice, (id) => state.get(id)?.name);
      // A message is another peer's text: cut to the screen and marked; the rest are this peer's own lines.
      if (notice.kind === 'message') terminal.printQuoted(...lines);
      else terminal.print(...lines);
    };
    const ready = deferred<Ready>();
    const server = createPeerServer(
      state,
      ready.promise.then((done) => done.parts),
      notify,
    );
    const chat = ready.promise.then((done) => done.chat);
    const web = new WebUi({ ...options, state, channels, events, chat, notify });
    web.routes(server); // the browser chat, on the same port as the P2P endpoints
    // `--trace` prints through the console like the peer's own lines: above the prompt, which stays whole.
    const trace = tracerFor(options.trace, (line) => terminal.print(line));
    const backend = await server.prepareAddress(options.listenIp, options.self.port).run({ tls: options.tls, trace });
    terminal.print(...view.peerBanner(options.self, options.trackerUrl, web.url, terminal.columns));
    const client = new HttpClient({ timeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, ...options.trackerTrust });
    let data: DataFolder;
    try {
      data = await openDataFolder(options, client, notify, state); // after listening: a second process on a port in use never touches the first one's files
    } catch (error) {
      terminal.print(view.historyProblemLine(reasonOf(error)));
      await backend.close();
      options.exit(1);
      return null;
    }
    const channelsFile = keepChannels(channels, options.dataDir); // back in the channels of the run before, private ones with their keys
    const built = wire({ options, state, channels, events, terminal, client, notify, backend, web, ...data });
    ready.resolve({ chat: built.chat, parts: peerParts(built, data.trust) });
    return new PeerApp(built, channelsFile.flush);
  }

  /** Takes back the browser sessions, sends what waits, registers, connects to the peers, opens the console. */
  async open(): Promise<void> {
    const { web, terminal, delivery, session, console } = this.built;
    await web.open(); // sessions saved by the run before: open pages stay logged in
    const login = web.login();
    terminal.print(...('link' in login ? view.webLines.link(login.link, login.minutes) : [view.webLines.passwordHint()]));
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
    const { session, catchUp, terminal, tasks, state, peers, tracker, client, web, backend, delivery, history } = this.built;
    session.stop();
    catchUp.stop();
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
    this.flushChannels();
    terminal.print('Goodbye!');
    this.built.options.exit(0);
  }
}
