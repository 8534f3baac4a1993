/**
 * The browser chat's pages and its login: `GET /`, `GET /login/` (the form, or a one-time link's token),
 * `POST /login/`, `POST /logout/`, and the page's own scripts and styles. A wrong password is answered after a
 * delay that blocks nobody else, `MAX_ATTEMPTS` checks per source address at once, so one address cannot lock out
 * another. Task 1's cookie login (`apps/sampleapp/app.ts`) done properly. New, not in WeApRous.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { html, redirect, setCookie, type Response } from '../../../daemon/response';
import type { Request } from '../../../daemon/request';
import { serveFile } from '../../../daemon/static';
import type { WeApRous } from '../../../daemon/weaprous';
import { cookieOptions, type Gate, guarded, originProblem, secured } from './guard';
import type { Sessions } from './sessions';
import { normalAddress, shareOf } from '../../../daemon/admission';

export interface PageParts extends Gate {
  sessions: Sessions;
  cookie: string;
  /** Folders of the pages (`chat.html`, `chat-login.html`) and of their assets. */
  www: string;
  assets: string;
  /** Open to other machines (--web-from), so over HTTPS: the session cookie is `Secure`. */
  overHttps: boolean;
  /** Ends the event streams of a session that logs out. */
  endStreams: (sessionId: string) => void;
  /** How long a wrong password waits before its answer. */
  failDelayMs?: number;
  now?: () => number;
}

/** Password checks waiting at once from one source address; one more is answered 429 at once, with no check. */
export const MAX_ATTEMPTS = 4;
/** Password checks waiting at once from all other machines together: many addresses still guess slowly. */
export const MAX_REMOTE_ATTEMPTS = 32;
export const FAIL_DELAY_MS = 1_000;

/** The assets the pages load, by URL; nothing else of `static/` is served by a peer. */
const ASSETS: Record<string, string> = {
  '/static/css/chat.css': 'css/chat.css',
  '/static/css/chat-phone.css': 'css/chat-phone.css',
  '/static/js/chat-view.js': 'js/chat-view.js',
  '/static/js/chat-log.js': 'js/chat-log.js',
  '/static/js/chat.js': 'js/chat.js',
  '/static/js/chat-drawer.js': 'js/chat-drawer.js',
  '/static/images/logo.svg': 'images/logo.svg',
};

const SAID = {
  wrong: 'Wrong password. Try again (each wrong one waits a second).',
  busy: 'Too many login attempts at once; wait a second and try again.',
  noPassword:
    'This peer was started without a password (--password-file): open the login link its console printed, or type /web in that console for a fresh one.',
  badLink: "This login link has been used or has expired: type /web in the peer's console for a fresh one.",
  loggedOut: 'You have logged out.',
};

/**
 * Adds the pages, the login and the assets to `app`: each method of `ChatPages` is one route, carrying
 * `@app.route` (Flask style, as WeApRous `apps/sampleApp.py` writes them) and `@guard` (`secured()`).
 */
export function pageRoutes(app: WeApRous, parts: PageParts): void {
  const guard = guarded(parts);
  const session = (request: Request) => parts.sessions.find(request.cookies[parts.cookie], now(parts));

  class ChatPages {
    /** Password checks waiting now, per source address (`MAX_ATTEMPTS` each). */
    private readonly attempts = new Map<string, number>();
    /** Of those, the ones from other machines (`MAX_REMOTE_ATTEMPTS` in all). */
    private remote = 0;

    @app.route('/')
    @guard
    async chat(request: Request) {
      return session(request) ? serveFile(parts.www, 'chat.html', request, { cacheControl: 'no-store' }) : redirect('/login/', 303);
    }

    @app.route('/login/')
    @guard
    async loginForm(request: Request) {
      const token = request.query.token;
      if (token !== undefined) return parts.sessions.redeemLink(token, now(parts)) ? loggedIn(parts) : loginPage(parts, 401, SAID.badLink);
      if (session(request)) return redirect('/', 303);
      return loginPage(parts, 200, request.query.out !== undefined ? SAID.loggedOut : undefined);
    }

    @app.route('/login/', { methods: ['POST'] })
    @guard
    async login(request: Request) {
      const problem = originProblem(request);
      if (problem) return loginPage(parts, 403, problem);
      if (!parts.sessions.hasPassword) return loginPage(parts, 401, SAID.noPassword);
      const source = normalAddress(request.remoteAddress ?? '');
      const local = shareOf(source) === null;
      if ((this.attempts.get(source) ?? 0) >= MAX_ATTEMPTS || (!local && this.remote >= MAX_REMOTE_ATTEMPTS)) {
        const res = await loginPage(parts, 429, SAID.busy);
        res.headers.set('Retry-After', '1');
        return res;
      }
      this.count(source, local, 1);
      try {
        const password = readPassword(request);
        if (password !== undefined && parts.sessions.checkPassword(password)) return loggedIn(parts);
        await sleep(parts.failDelayMs ?? FAIL_DELAY_MS); // a timer, not a busy wait: every other request goes on
      } finally {
        this.count(source, local, -1);
      }
      return loginPage(parts, 401, SAID.wrong);
    }

    private count(source: string, local: boolean, step: 1 | -1): void {
      const waiting = (this.attempts.get(source) ?? 0) + step;
      if (waiting > 0) this.attempts.set(source, waiting);
      else this.attempts.delete(source);
      if (!local) this.remote += step;
    }

    @app.route('/logout/', { methods: ['POST'] })
    @guard
    async logout(request: Request) {
      const problem = originProblem(request);
      if (problem) return loginPage(parts, 403, problem);
      const ended = parts.sessions.end(request.cookies[parts.cookie]);
      if (ended) parts.endStreams(ended);
      return setCookie(redirect('/login/?out', 303), parts.cookie, '', { ...cookieOptions(parts.overHttps), maxAge: 0 });
    }
  }
  new ChatPages();

  // Files, not pages: kept, but checked again each time (`no-cache`); only for the machines the pages are for.
  for (const [url, file] of Object.entries(ASSETS)) {
    app.addRoute(
      'GET',
      url,
      secured((request) => serveFile(parts.assets, file, request), parts, 'no-cache'),
    );
  }
}

function now(parts: PageParts): number {
  return (parts.now ?? Date.now)();
}

/** The login page with a sentence in its message slot, escaped (a refused Origin is quoted in it). */
async function loginPage(parts: PageParts, status: number, message?: string): Promise<Response> {
  let page = await readFile(join(parts.www, 'chat-login.html'), 'utf8');
  const open = parts.sessions.hasPassword;
  const said = [...new Set([message, open ? undefined : SAID.noPassword])].filter((s) => s !== undefined);
  const slot = said.map((s) => `<p class="notice" role="alert">${escapeHtml(s)}</p>`).join('');
  // A peer without a password refuses every one: a password field would only invite a guess that cannot work.
  if (!open) page = page.replace(/<form\b[\s\S]*?<\/form>\s*/, '');
  return html(page.replace('<!-- message -->', slot), status);
}

/** A new session: its cookie, and on to the chat. */
function loggedIn(parts: PageParts): Response {
  return setCookie(redirect('/', 303), parts.cookie, parts.sessions.create(now(parts)), cookieOptions(parts.overHttps));
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
