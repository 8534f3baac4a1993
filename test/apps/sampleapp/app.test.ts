/**
 * Specification of Task 1 (cookie login): the real sample app with the repository's pages, over real
 * sockets on port 0: the 401 page without the cookie, `POST /login` setting `auth=true`, the index page
 * with it, logout, and the static assets.
 * Tests for `apps/sampleapp/app.ts` (the Task 1 routes of WeApRous `apps/sampleApp.py`).
 */

import { expect } from 'chai';
import { HttpClient, type ClientResponse } from '../../../daemon/client';
import { createSampleApp } from '../../../apps/sampleapp/app';
import type { Backend } from '../../../daemon/backend';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const AUTH_COOKIE = 'auth=true; Path=/; HttpOnly; SameSite=Lax';

describe('SampleApp (Task 1, cookie login)', () => {
  let backend: Backend;
  let client: HttpClient;
  const url = (path: string) => `http://127.0.0.1:${backend.address().port}${path}`;
  const get = (path: string, cookie?: string) => client.request(url(path), { headers: cookie ? { Cookie: cookie } : {} });
  const postForm = (path: string, body: string) => client.request(url(path), { method: 'POST', headers: FORM, body });

  before(async () => {
    backend = await createSampleApp().prepareAddress('127.0.0.1', 0).run();
    client = new HttpClient({ timeoutMs: 10_000 });
  });
  after(async () => {
    client.close();
    await backend.close();
  });

  function expectUnauthorized(res: ClientResponse): void {
    expect(res.status).to.equal(401);
    expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(res.text()).to.include('401 Unauthorized');
    expect(res.headers.get('www-authenticate')).to.match(/^Cookie /);
    expect(res.headers.get('set-cookie')).to.equal(undefined);
  }

  function expectLoggedInPage(res: ClientResponse): void {
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(res.text()).to.include('You are logged in');
  }

  describe('without the cookie', () => {
    it('answers GET / and GET /index.html with the 401 page', async () => {
      expectUnauthorized(await get('/'));
      expectUnauthorized(await get('/index.html'));
    });

    it('treats any other value of auth as logged out', async () => {
      expectUnauthorized(await get('/', 'auth=false'));
      expectUnauthorized(await get('/', 'session=true'));
    });

    it('serves the login form, which POSTs to /login', async () => {
      const res = await get('/login');
      expect(res.status).to.equal(200);
      expect(res.text()).to.match(/<form method="post" action="\/login">/);
      expect(res.text()).to.include('name="username"').and.include('name="password"');
    });
  });

  describe('POST /login', () => {
    it('answers wrong credentials with the 401 page and no cookie', async () => {
      expectUnauthorized(await postForm('/login', 'username=admin&password=wrong'));
      expectUnauthorized(await postForm('/login', 'username=root&password=password'));
      expectUnauthorized(await client.request(url('/login'), { json: { username: 'admin', password: '' } }));
    });

    it('answers the right form with the index page and Set-Cookie auth=true with every attribute', async () => {
      const res = await postForm('/login', 'username=admin&password=password');
      expectLoggedInPage(res);
      expect(res.headers.get('set-cookie')).to.equal(AUTH_COOKIE);
      // The index file's validators belong to a GET of it (RFC 9110 §8.8), not to the answer to a login.
      expect([res.headers.get('etag'), res.headers.get('last-modified')]).to.deep.equal([undefined, undefined]);
    });

    it('accepts the same credentials as JSON', async () => {
      const res = await client.request(url('/login'), { json: { username: 'admin', password: 'password' } });
      expectLoggedInPage(res);
      expect(res.headers.get('set-cookie')).to.equal(AUTH_COOKIE);
    });

    it('answers a body without credentials with 400 and says what to send', async () => {
      const cases = [
        client.request(url('/login'), { method: 'POST' }),
        client.request(url('/login'), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'admin password' }),
        client.request(url('/login'), { json: ['admin', 'password'] }),
        postForm('/login', 'username=admin'),
      ];
      for (const res of await Promise.all(cases)) {
        expect(res.status).to.equal(400);
        expect(res.text()).to.include('Send username and password');
      }
    });

    it('answers non-string fields and broken JSON with 400', async () => {
      const numbers = await client.request(url('/login'), { json: { username: 1, password: 2 } });
      expect(numbers.status).to.equal(400);
      expect(numbers.text()).to.include('must be strings');
      const broken = await client.request(url('/login'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"username":',
      });
      expect(broken.status).to.equal(400);
    });
  });

  describe('with the cookie', () => {
    it('serves the index page to the cookie that POST /login set', async () => {
      const login = await postForm('/login', 'username=admin&password=password');
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      expect(cookie).to.equal('auth=true');
      expectLoggedInPage(await get('/', cookie));
      expectLoggedInPage(await get('/index.html', `theme=dark; ${cookie}`));
    });

    it('logs out by expiring the cookie and sending the browser to /login', async () => {
      const res = await client.request(url('/logout'), { method: 'POST' });
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.equal('/login');
      expect(res.headers.get('set-cookie')).to.equal('auth=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax');
    });
  });

  describe('static assets', () => {
    it('serves css, js and the logo with their types', async () => {
      const types: Record<string, string> = {
        '/static/css/styles.css': 'text/css; charset=utf-8',
        '/static/js/app.js': 'text/javascript; charset=utf-8',
        '/static/images/logo.svg': 'image/svg+xml; charset=utf-8',
      };
      for (const [path, type] of Object.entries(types)) {
        const res = await get(path);
        expect(res.status, path).to.equal(200);
        expect(res.headers.get('content-type'), path).to.equal(type);
      }
    });

    it('has every asset the pages link to', async () => {
      const pages = [await get('/login'), await get('/'), await get('/', 'auth=true')];
      const links = new Set(pages.flatMap((page) => [...page.text().matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1])));
      expect(links.size).to.be.greaterThan(2);
      for (const link of links) expect((await get(link)).status, link).to.equal(200);
    });

    it('never serves a file from outside static/', async () => {
      expect((await get('/static/..%5c..%5cpackage.json')).status).to.equal(403);
      expect((await get('/static/%252e%252e/package.json')).status).to.equal(403);
    });
  });
});
