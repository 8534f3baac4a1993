/**
 * Task 1 of the assignment, cookie login, as a WeApRous app you can call without a network:
 * `POST /login` with admin/password sets the cookie `auth=true`; `GET /` serves www/index.html only to a
 * browser that sends that cookie back, and the 401 page to everyone else. Assets come from static/.
 * `auth=true` is the assignment's teaching example, NOT a secure session: anyone can type that cookie.
 * Ports WeApRous `apps/sampleApp.py` (the Task 1 routes); `apps/sampleapp.ts` puts this app on a socket.
 */

import { join } from 'node:path';
import { WeApRous } from '../../daemon/weaprous';
import { redirect, setCookie, text, type Response } from '../../daemon/response';
import { serveFile, staticRoutes } from '../../daemon/static';
import type { Request } from '../../daemon/request';
import { REPOSITORY } from '../repository';

export interface SampleAppOptions {
  /** Folder of the HTML pages (index.html, login.html, 401.html); default the repository's www/. */
  wwwRoot?: string;
  /** Folder served under /static/ (css, js, images); default the repository's static/. */
  staticRoot?: string;
}

/** The assignment's fixed account. A real app would look up a salted password hash instead. */
export const USERNAME = 'admin';
export const PASSWORD = 'password';

// The cookie the assignment asks for; HttpOnly keeps page scripts from reading it, Lax from cross-site POSTs.
const AUTH_COOKIE = { path: '/', httpOnly: true, sameSite: 'Lax' as const };
// Pages whose content depends on the cookie must never come back from a cache after logout.
const PRIVATE_PAGE = { cacheControl: 'no-store' };

/** `createSampleApp().handle(request)` answers without a socket; `.prepareAddress(ip, port).run()` listens. */
export function createSampleApp(options: SampleAppOptions = {}): WeApRous {
  const www = options.wwwRoot ?? join(REPOSITORY, 'www');
  const app = new WeApRous();

  // The routes as `sampleApp.py` declares them, `@app.route('/login', methods=['POST'])`; each is registered
  // when the object is made (`new Task1Routes()` below).
  class Task1Routes {
    @app.route('/')
    @app.route('/index.html')
    index(request: Request) {
      return isLoggedIn(request) ? serveFile(www, 'index.html', request, PRIVATE_PAGE) : unauthorized(www, request);
    }

    @app.route('/login')
    @app.route('/login.html')
    loginPage(request: Request) {
      return serveFile(www, 'login.html', request);
    }

    /** Right credentials: the index page plus `Set-Cookie: auth=true`. Wrong ones: the 401 page. */
    @app.route('/login', { methods: ['POST'] })
    async login(request: Request): Promise<Response> {
      const credentials = readCredentials(request);
      if ('error' in credentials) return text(credentials.error + '\n', 400);
      if (credentials.username !== USERNAME || credentials.password !== PASSWORD) return unauthorized(www, request);
      const page = await serveFile(www, 'index.html', request, PRIVATE_PAGE);
      return page.status === 200 ? setCookie(page, 'auth', 'true', AUTH_COOKIE) : page;
    }

    /** GET too, so a student can type /logout in the address bar; the page itself uses a POST form. */
    @app.route('/logout', { methods: ['GET', 'POST'] })
    logout() {
      return setCookie(redirect('/login', 303), 'auth', '', { ...AUTH_COOKIE, maxAge: 0 });
    }
  }
  new Task1Routes();
  staticRoutes(app, { prefix: '/static/', root: options.staticRoot ?? join(REPOSITORY, 'static') });
  return app;
}

/** The whole "session check" of Task 1: is the cookie `auth=true` there? */
export function isLoggedIn(request: Request): boolean {
  return request.cookies.auth === 'true';
}

/** The 401 page. RFC 9110 §15.5.2 requires a challenge; "Cookie" names the form login (no browser prompt). */
async function unauthorized(www: string, request: Request): Promise<Response> {
  const page = await serveFile(www, '401.html', request, { status: 401, cacheControl: 'no-store' });
  page.headers.set('WWW-Authenticate', 'Cookie realm="SampleApp", form-action="/login", cookie-name="auth"');
  return page;
}

export type Credentials = { username: string; password: string } | { error: string };

/** Reads `username` and `password` from a form body or a JSON object body. */
export function readCredentials(request: Request): Credentials {
  const usage =
    'Send username and password as a form (username=admin&password=password) or as JSON ({"username":"admin","password":"password"}).';
  const source = request.form ?? request.json;
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return { error: usage };
  const { username, password } = source as Record<string, unknown>;
  if (username === undefined || password === undefined) return { error: usage };
  if (typeof username !== 'string' || typeof password !== 'string') return { error: 'username and password must be strings.' };
  return { username, password };
}
