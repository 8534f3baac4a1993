/**
 * The browser chat's routes on a real peer (PeerApp in this process, its console on streams, the real tracker app
 * on a free port), spoken to over HTTP as a browser or curl would: the login (password, delay, cap on attempts,
 * one-time links), the session cookie, 401 without it, 403 without this page's Origin, the security headers, the
 * API, the event stream, logout, and the P2P endpoints, which need none of it. Tests for `apps/peer/web/pages.ts`,
 * `api.ts`, `guard.ts` and `ui.ts`.
 */

import { expect } from 'chai';
import { get, type IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PeerApp } from '../../../../apps/peer/app';
import { CONTENT_SECURITY_POLICY } from '../../../../apps/peer/web/guard';
import { SESSIONS_FILE } from '../../../../apps/peer/web/ui';
import { PeerRegistry } from '../../../../apps/tracker/registry';
import { createTrackerApp } from '../../../../apps/tracker/routes';
import type { Backend } from '../../../../daemon/backend';
import { HttpClient, type ClientResponse } from '../../../../daemon/client';
import { freePort } from '../../child';

describe('the browser chat on a peer (routes)', function () {
  this.timeout(15_000);
  const client = new HttpClient({ timeoutMs: 5_000 });
  const folder = mkdtempSync(join(tmpdir(), 'weaprous-web-'));
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString('utf8')));
  let tracker: Backend;
  let app: PeerApp;
  let base: string;
  let port: number;
  let cookie: string;
  let gone: Promise<void>;

  /** Resolves once the console has printed `text` (after `from`). */
  function whenShown(text: string, from = 0): Promise<void> {
    return new Promise((done) => {
      const check = () => {
        if (!shown.slice(from).includes(text)) return;
        output.off('data', check);
        done();
      };
      output.on('data', check);
      check();
    });
  }

  before(async () => {
    const trackerPort = await freePort();
    tracker = await createTrackerApp({ registry: new PeerRegistry(300_000), log: () => {}, now: Date.now })
      .prepareAddress('127.0.0.1', trackerPort)
      .run();
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    let exited!: () => void;
    gone = new Promise((done) => (exited = done));
    app = (await PeerApp.start({
      self: { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Alice' },
      trackerUrl: `http://127.0.0.1:${trackerPort}`,
      heartbeatMs: 60_000,
      dataDir: folder,
      password: 'correct horse',
      requestTimeoutMs: 1_000,
      listenIp: '127.0.0.1',
      input,
      output,
      exit: () => exited(),
    }))!;
    await app.open();
    await whenShown('Peer Console');
  });
  after(async () => {
    input.write('/quit\n');
    await gone;
    client.close();
    await tracker.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const origin = () => ({ Origin: base });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<ClientResponse> =>
    client.request(base + path, { method: 'POST', json: body, headers });
  const form = (path: string, body: string, headers: Record<string, string> = origin()) =>
    client.request(base + path, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    });
  const withCookie = (extra: Record<string, string> = {}) => ({ Cookie: cookie, ...extra });

  it('sends a browser without a session to the login page, every page and answer with the security headers', async () => {
    const root = await client.request(`${base}/`);
    expect(root.status).to.equal(303);
    expect(root.headers.get('location')).to.equal('/login/');
    const login = await client.request(`${base}/login/`);
    expect(login.status).to.equal(200);
    expect(login.text()).to.include('<label for="password">Password</label>');
    expect(login.text()).not.to.include('<!-- message -->');
    for (const res of [root, login]) {
      expect(res.headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    }
    expect(CONTENT_SECURITY_POLICY).to.include("script-src 'self'").and.include("frame-ancestors 'none'").and.not.include('unsafe');
    const script = await client.request(`${base}/static/js/chat.js`);
    expect(script.status).to.equal(200);
    expect(script.headers.get('content-type')).to.match(/javascript/);
    expect((await client.request(`${base}/static/css/styles.css`)).status).to.equal(404); // only the chat's own assets
  });

  it("answers every API call without a valid session 401, and every POST without this page's Origin 403", async () => {
    const state = await client.request(`${base}/api/state/`);
    expect(state.status).to.equal(401);
    expect(state.json()).to.deep.equal({ status: 'error', error: 'Log in first: open /login/ (the chat needs its session cookie)' });
    expect(state.headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY);
    const forged = await client.request(`${base}/api/state/`, { headers: { Cookie: `weaprous_chat_${port}=${'A'.repeat(43)}` } });
    expect(forged.status).to.equal(401);
    expect((await client.request(`${base}/events/`)).status).to.equal(401);
    const noOrigin = await post('/api/send/', { conversation: 'general', text: 'x' });
    expect(noOrigin.status).to.equal(403);
    expect(noOrigin.json<{ error: string }>().error).to.match(/^A POST needs an Origin header naming this page/);
    const otherSite = await post('/api/send/', { conversation: 'general', text: 'x' }, { Origin: 'http://evil.example' });
    expect(otherSite.json<{ error: string }>().error).to.equal(
      `Origin http://evil.example is not this page's origin (${base}); only this peer's own pages may change its state`,
    );
    expect((await post('/api/send/', { conversation: 'general', text: 'x' }, origin())).status).to.equal(401);
    expect((await form('/login/', 'password=correct+horse', { Origin: 'http://evil.example' })).status).to.equal(403);
  });

  it('answers a wrong password after a delay that holds up no other request, and a right one with the session cookie', async () => {
    const started = Date.now();
    const wrong = form('/login/', 'password=guess');
    const other = client.request(`${base}/login/`).then(() => Date.now() - started);
    expect(await other).to.be.below(500);
    const refused = await wrong;
    expect(Date.now() - started).to.be.at.least(900);
    expect(refused.status).to.equal(401);
    expect(refused.text()).to.include('<p class="notice" role="alert">Wrong password.');

    const right = await form('/login/', 'password=correct+horse');
    expect(right.status).to.equal(303);
    expect(right.headers.get('location')).to.equal('/');
    const set = right.headers.get('set-cookie')!;
    expect(set).to.match(new RegExp(`^weaprous_chat_${port}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`));
    cookie = set.split(';')[0];
    const page = await client.request(`${base}/`, { headers: withCookie() });
    expect(page.status).to.equal(200);
    expect(page.text()).to.include('role="status"').and.include('<script src="/static/js/chat.js" defer></script>');
    expect((await client.request(`${base}/login/`, { headers: withCookie() })).headers.get('location')).to.equal('/');
    const saved = readFileSync(join(folder, SESSIONS_FILE), 'utf8');
    expect(saved).to.match(/"id":"[0-9a-f]{64}"/);
    expect(saved).not.to.include(cookie.split('=')[1]); // only the hash is kept on disk
  });

  it('checks at most four passwords at once: a fifth guess meanwhile gets 429 at once', async () => {
    const guesses = Array.from({ length: 5 }, () => form('/login/', 'password=guess'));
    const answers = await Promise.all(guesses);
    expect(answers.map((res) => res.status).sort()).to.deep.equal([401, 401, 401, 401, 429]);
    expect(answers.find((res) => res.status === 429)!.headers.get('retry-after')).to.equal('1');
  });

  it('lets a login link from /web in once', async () => {
    const { link, minutes } = app.web.freshLink();
    expect(link).to.match(/^http:\/\/127\.0\.0\.1:\d+\/login\/\?token=[A-Za-z0-9_-]{43}$/);
    expect(minutes).to.equal(10);
    const first = await client.request(link);
    expect(first.status).to.equal(303);
    expect(first.headers.get('set-cookie')).to.match(/^weaprous_chat_\d+=/);
    const again = await client.request(link);
    expect(again.status).to.equal(401);
    expect(again.text()).to.include('This login link has been used or has expired');
  });

  it('sends, lists and pages messages; a message typed in the browser shows on the console', async () => {
    const mark = shown.length;
    const sent = await post('/api/send/', { conversation: 'general', text: '<img src=x onerror=alert(1)>' }, withCookie(origin()));
    expect(sent.status).to.equal(200);
    const { message } = sent.json<{ message: Record<string, unknown> }>();
    expect(message).to.include({ conversation: 'general', name: 'Alice', text: '<img src=x onerror=alert(1)>', mine: true });
    expect(message.authorship).to.equal('verified');
    await whenShown(`[Web] Alice (127.0.0.1:${port}) in #general: <img src=x onerror=alert(1)>`, mark);
    for (const text of ['two', 'three']) await post('/api/send/', { conversation: 'general', text }, withCookie(origin()));

    const latest = await client.request(`${base}/api/messages/?conversation=general&limit=2`, { headers: withCookie() });
    const page = latest.json<{ messages: Array<{ text: string; id: string }>; older: string }>();
    expect(page.messages.map((m) => m.text)).to.deep.equal(['two', 'three']);
    expect(page.older).to.equal(page.messages[0].id);
    const older = await client.request(`${base}/api/messages/?conversation=general&limit=2&before=${encodeURIComponent(page.older)}`, {
      headers: withCookie(),
    });
    expect(older.json()).to.deep.include({ older: null });
    expect(older.json<{ messages: Array<{ text: string }> }>().messages.map((m) => m.text)).to.deep.equal(['<img src=x onerror=alert(1)>']);

    const state = (await client.request(`${base}/api/state/`, { headers: withCookie() })).json<Record<string, unknown>>();
    expect(state.self).to.deep.equal({ peer_id: `127.0.0.1:${port}`, name: 'Alice' });
    expect(state.channels).to.deep.equal([{ name: 'general', private: false, unread: 0 }]);
    const refused = await post('/api/send/', { conversation: 'nowhere', text: 'x' }, withCookie(origin()));
    expect(refused.status).to.equal(404);
    expect(refused.json<{ error: string }>().error).to.equal('You are not in #nowhere; /join #nowhere first (/channels lists yours)');
  });

  it('streams events: what another peer sends (to the P2P endpoint, no session needed) and what the console types', async () => {
    const res = await openEvents(withCookie());
    const events = reader(res);
    await events.until('retry: 1000');
    const broadcast = await client.request(`${base}/broadcast-peer/`, {
      method: 'POST',
      body: JSON.stringify({ from: '127.0.0.1:9001', name: 'TestPeer', msg: 'Hello @Alice via curl', timestamp: 1_699_680_000 }),
    });
    expect(broadcast.json()).to.deep.equal({ status: 'received' });
    const message = await events.until('"text":"Hello @Alice via curl"');
    expect(message).to.include('"authorship":"unverified"').and.include('"mention":true').and.include('"origin":"peer"');
    input.write('typed in the console\n');
    await events.until('"text":"typed in the console"');
    expect(app.web.streams.count).to.equal(1);
    res.destroy();
  });

  it('answers HEAD /events/ with headers only, opening no stream', async () => {
    const head = await client.request(`${base}/events/`, { method: 'HEAD', headers: withCookie() });
    expect(head.status).to.equal(200);
    expect(head.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    expect(app.web.streams.count).to.be.at.most(1);
  });

  it('joins a private channel with its key and leaves it, through the tracker, as /join and /leave do', async () => {
    const joined = await post('/api/join/', { channel: '#Secret', key: 's3cret' }, withCookie(origin()));
    const warning =
      'The key of #secret has 6 characters: whoever captures one of its messages can try guesses offline. ' +
      'A key of 12 or more characters (a few words) is much harder to guess.';
    expect(joined.json()).to.deep.equal({
      status: 'ok',
      channel: 'secret',
      message: `Created #secret: you are in #secret (1 member). ${warning}`,
      warning,
    });
    const state = (await client.request(`${base}/api/state/`, { headers: withCookie() })).json<{ channels: unknown[] }>();
    expect(state.channels).to.deep.include({ name: 'secret', private: true, unread: 0 });
    const res = await openEvents(withCookie());
    const events = reader(res);
    await events.until('retry: 1000');
    input.write('plain text after a browser join\n'); // the console still sends where it did
    const said = (await events.until('"text":"plain text after a browser join"'))
      .split('\n')
      .find((line) => line.includes('after a browser join'));
    expect(said).to.include('"conversation":"general"');
    res.destroy();
    const general = await post('/api/join/', { channel: 'general' }, withCookie(origin()));
    expect(general.status).to.equal(400);
    const left = await post('/api/leave/', { channel: 'secret' }, withCookie(origin()));
    expect(left.json()).to.deep.equal({ status: 'ok', channel: 'secret', message: 'Left #secret' });
    expect((await post('/api/leave/', { channel: 'secret' }, withCookie(origin()))).status).to.equal(404);
  });

  it('refuses a page asked for by a host name other than its own (DNS rebinding), and takes localhost', async () => {
    const rebound = await client.request(`${base}/login/`, { headers: { Host: `attacker.example:${port}` } });
    expect(rebound.status).to.equal(403);
    expect(rebound.json<{ error: string }>().error).to.equal(
      `Host attacker.example:${port} is not an address of this peer; open it by its IP address (or localhost)`,
    );
    expect((await client.request(`${base}/login/`, { headers: { Host: `localhost:${port}` } })).status).to.equal(200);
    const p2p = await client.request(`${base}/identity/`, { headers: { Host: `attacker.example:${port}` } });
    expect(p2p.status).to.equal(200); // the P2P endpoints are as they were
  });

  it('ends the session at logout: its streams are told, its cookie is cleared and no longer works', async () => {
    const res = await openEvents(withCookie());
    const events = reader(res);
    await events.until('retry: 1000');
    const out = await client.request(`${base}/logout/`, { method: 'POST', headers: withCookie(origin()) });
    expect(out.status).to.equal(303);
    expect(out.headers.get('location')).to.equal('/login/?out');
    expect(out.headers.get('set-cookie')).to.equal(`weaprous_chat_${port}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`);
    await events.until('event: logout');
    await events.ended;
    expect((await client.request(`${base}/api/state/`, { headers: withCookie() })).status).to.equal(401);
  });

  function openEvents(headers: Record<string, string>): Promise<IncomingMessage> {
    return new Promise((done, fail) => get(`${base}/events/`, { headers }, done).on('error', fail));
  }

  /** Collects a stream's text; `until(text)` resolves with everything read once it includes `text`. */
  function reader(res: IncomingMessage) {
    let text = '';
    const waiters: Array<() => void> = [];
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
      for (const wake of waiters.splice(0)) wake();
    });
    const ended = new Promise<void>((done) => res.on('end', done));
    const until = async (wanted: string): Promise<string> => {
      while (!text.includes(wanted)) await new Promise<void>((wake) => waiters.push(wake));
      return text;
    };
    return { until, ended };
  }
});
