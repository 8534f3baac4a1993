/**
 * The browser chat's pages and its login: `GET /` (the chat, or a redirect to the login page), `GET /login/`
 * (the form, or a login link's one-time token), `POST /login/` (the password), `POST /logout/`, and the page's
 * own scripts and style sheet. A wrong password is answered after a delay that blocks nobody else, and only
 * `MAX_ATTEMPTS` checks wait at once, so guessing runs at a few tries a second at most. Task 1's cookie login
 * (`apps/sampleapp/app.ts`) done properly: a random token, kept on the server. New, not in WeApRous.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { html, redirect, setCookie, type Response } from '../../../daemon/response';
import type { Request } from '../../../daemon/request';
import { serveFile } from '../../../daemon/static';
import type { Handler, WeApRous } from '../../../daemon/weaprous';
import { COOKIE, originProblem, secure, secured } from './guard';
import type { Sessions } from './sessions';

export interface PageParts {
  sessions: Sessions;
  cookie: string;
  /** Folders of the pages (`chat.html`, `chat-login.html`) and of their assets. */
  www: string;
  assets: string;
  /** Settles once the peer has started: requests wait for it. */
  ready: Promise<void>;
  /** Host names the pages may be opened by, besides IP addresses and localhost (the peer's --ip). */
  hosts: string[];
  /** Ends the event streams of a session that logs out. */
  endStreams: (sessionId: string) => void;
  /** How long a wrong password waits before its answer. */
  failDelayMs?: number;
  now?: () => number;
}

/** Password checks waiting at once; one more is answered 429 at once, with no check. */
export const MAX_ATTEMPTS = 4;
export const FAIL_DELAY_MS = 1_000;

/** The assets the pages load, by URL; nothing else of `static/` is served by a peer. */
const ASSETS: Record<string, string> = {
  '/static/css/chat.css': 'css/chat.css',
  '/static/js/chat-view.js': 'js/chat-view.js',
  '/static/js/chat-log.js': 'js/chat-log.js',
  '/static/js/chat.js': 'js/chat.js',
  '/static/images/logo.svg': 'images/logo.svg',
};

const SAID = {
  wrong: 'Wrong password. Try again (each wrong one waits a second).',
  busy: 'Too many login attempts at once; wait a second and try again.',
  noPassword:
    'This peer was started without --password: open the login link its console printed, or type /web in that console for a fresh one.',
  badLink: "This login link has been used or has expired: type /web in the peer's console for a fresh one.",
  loggedOut: 'You have logged out.',
};

export function pageRoutes(app: WeApRous, parts: PageParts): void {
  const now = parts.now ?? Date.now;
  const session = (request: Request) => parts.sessions.find(request.cookies[parts.cookie], now());
  let attempts = 0;
  const route = (method: string, path: string, handler: Handler) => app.addRoute(method, path, secured(handler, parts.ready, parts.hosts));

  /** The login page with a sentence in its message slot, escaped (a refused Origin is quoted in it). */
  const loginPage = async (status: number, message?: string): Promise<Response> => {
    const page = await readFile(join(parts.www, 'chat-login.html'), 'utf8');
    const said = message ?? (parts.sessions.hasPassword ? undefined : SAID.noPassword);
    const slot = said === undefined ? '' : `<p class="notice" role="alert">${escapeHtml(said)}</p>`;
    return html(page.replace('<!-- message -->', slot), status);
  };

  /** A new session: its cookie, and on to the chat. */
  const loggedIn = () => setCookie(redirect('/', 303), parts.cookie, parts.sessions.create(now()), COOKIE);

  route('GET', '/', async (request) =>
    session(request) ? serveFile(parts.www, 'chat.html', request, { cacheControl: 'no-store' }) : redirect('/login/', 303),
  );

  route('GET', '/login/', async (request) => {
    const token = request.query.token;
    if (token !== undefined) return parts.sessions.redeemLink(token, now()) ? loggedIn() : loginPage(401, SAID.badLink);
    if (session(request)) return redirect('/', 303);
    return loginPage(200, request.query.out !== undefined ? SAID.loggedOut : undefined);
  });

  route('POST', '/login/', async (request) => {
    const problem = originProblem(request);
    if (problem) return loginPage(403, problem);
    if (!parts.sessions.hasPassword) return loginPage(401, SAID.noPassword);
    if (attempts >= MAX_ATTEMPTS) {
      const res = await loginPage(429, SAID.busy);
      res.headers.set('Retry-After', '1');
      return res;
    }
    const password = readPassword(request);
    attempts += 1;
    try {
      if (password !== undefined && parts.sessions.checkPassword(password)) return loggedIn();
      await sleep(parts.failDelayMs ?? FAIL_DELAY_MS); // a timer, not a busy wait: every other request goes on
    } finally {
      attempts -= 1;
    }
    return loginPage(401, SAID.wrong);
  });

  route('POST', '/logout/', async (request) => {
    const problem = originProblem(request);
    if (problem) return loginPage(403, problem);
    const ended = parts.sessions.end(request.cookies[parts.cookie]);
    if (ended) parts.endStreams(ended);
    return setCookie(redirect('/login/?out', 303), parts.cookie, '', { ...COOKIE, maxAge: 0 });
  });

  for (const [url, file] of Object.entries(ASSETS)) {
    app.addRoute('GET', url, async (request) => secure(await serveFile(parts.assets, file, request), 'no-cache'));
  }
}

/** `password` from the form (`password=...`) or a JSON body (`{"password":"..."}`, for curl). */
function readPassword(request: Request): string | undefined {
  const source = request.form ?? request.json;
  const password = (source as { password?: unknown } | undefined)?.password;
  return typeof password === 'string' ? password : undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
