/**
 * The tracker's status page over a real socket (port 0), with a fake clock: `GET /` and its two assets with
 * their Content-Security-Policy, and the shape of `GET /status/` (no key hash, no expired peer, nothing logged).
 * Tests for `apps/tracker/status.ts` (new, not in WeApRous). The page in Chromium: test/browser/tracker-status.browser.test.ts.
 */

import { expect } from 'chai';
import { HttpClient } from '../../../daemon/client';
import type { Backend } from '../../../daemon/backend';
import { PeerRegistry } from '../../../apps/tracker/registry';
import { ChannelKeys } from '../../../apps/tracker/keys';
import { createTrackerApp } from '../../../apps/tracker/routes';
import { CONTENT_SECURITY_POLICY } from '../../../apps/tracker/status';

const XSS = '<img src=x onerror=alert(1)>';

describe('tracker status page', () => {
  let backend: Backend;
  let base: string;
  let now = 0;
  let log: string[] = [];
  const client = new HttpClient({ timeoutMs: 5_000 });

  beforeEach(async () => {
    now = 1_000_000;
    log = [];
    const keys = new ChannelKeys();
    const app = createTrackerApp({ registry: new PeerRegistry(300_000), log: (line) => log.push(line), now: () => now, keys });
    backend = await app.prepareAddress('127.0.0.1', 0).run();
    base = `http://127.0.0.1:${backend.address().port}`;
  });
  afterEach(async () => {
    client.close();
    await backend.close();
  });

  const post = async (path: string, body: unknown) => {
    const res = await client.request(base + path, { method: 'POST', json: body });
    expect(res.status, `${path} ${res.text()}`).to.equal(200);
  };
  const register = (port: number, name?: string) =>
    post('/submit-info/', { ip: '127.0.0.1', port, peer_id: `127.0.0.1:${port}`, ...(name === undefined ? {} : { name }) });

  describe('GET /', () => {
    it('serves the page as HTML with a policy that runs only the tracker’s own scripts and styles', async () => {
      const res = await client.request(base + '/');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY);
      expect(CONTENT_SECURITY_POLICY).to.match(/^default-src 'self';/);
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      const page = res.text();
      expect(page).to.include('<caption>Peers</caption>').and.include('<caption>Channels</caption>');
      // The policy forbids inline scripts, so the page must have none: every <script> loads a file.
      expect(page.match(/<script\b[^>]*>/g)).to.deep.equal(['<script src="/static/js/tracker.js" defer>']);
    });

    it('serves the page’s script and style sheet with the same policy, and nothing else of static/', async () => {
      const script = await client.request(base + '/static/js/tracker.js');
      expect(script.status).to.equal(200);
      expect(script.headers.get('content-type')).to.match(/^text\/javascript/);
      expect(script.headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY);
      expect(script.text()).to.include('textContent').and.not.include('innerHTML =');
      const style = await client.request(base + '/static/css/tracker.css');
      expect(style.status).to.equal(200);
      expect(style.headers.get('content-type')).to.match(/^text\/css/);
      expect((await client.request(base + '/static/js/app.js')).status).to.equal(404);
    });

    it('names an icon the tracker serves, so a browser asks for no /favicon.ico and logs no 404', async () => {
      const page = (await client.request(base + '/')).text();
      const icons = [...page.matchAll(/<link rel="icon" href="([^"]+)"/g)].map((m) => m[1]);
      expect(icons).to.deep.equal(['/static/images/logo.svg']);
      const icon = await client.request(base + icons[0]);
      expect(icon.status).to.equal(200);
      expect(icon.headers.get('content-type')).to.match(/^image\/svg\+xml/);
    });

    it('logs neither the page nor its polling, so an open page does not fill the log', async () => {
      await client.request(base + '/');
      await client.request(base + '/status/');
      expect(log).to.deep.equal([]);
    });
  });

  describe('GET /status/', () => {
    it('answers #general alone, as JSON that no cache keeps, when no peer is registered', async () => {
      const res = await client.request(base + '/status/');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('content-security-policy')).to.equal(CONTENT_SECURITY_POLICY);
      expect(res.json()).to.deep.equal({
        status: 'ok',
        now: 1_000_000,
        ttl: 300,
        peers: [],
        channels: [{ name: 'general', private: false, members: [] }],
      });
    });

    it('lists each peer with its name, address, last heartbeat and channels, and each channel with its members', async () => {
      await register(5001, 'Alice');
      now += 2_000;
      await register(5002);
      await register(5003, XSS);
      await post('/add-list/', { peer_id: '127.0.0.1:5001', channel: 'team' });
      await post('/add-list/', { peer_id: '127.0.0.1:5002', channel: 'secret', key: 'hunter2' });
      await post('/add-list/', { peer_id: '127.0.0.1:5001', channel: 'secret', key: 'hunter2' });
      now += 5_000;
      await post('/heartbeat/', { peer_id: '127.0.0.1:5002' });

      const res = await client.request(base + '/status/');
      expect(res.json()).to.deep.equal({
        status: 'ok',
        now: 1_007_000,
        ttl: 300,
        peers: [
          {
            peer_id: '127.0.0.1:5001',
            ip: '127.0.0.1',
            port: 5001,
            name: 'Alice',
            last_seen: 1_000_000,
            channels: ['general', 'team', 'secret'],
          },
          { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, last_seen: 1_007_000, channels: ['general', 'secret'] },
          { peer_id: '127.0.0.1:5003', ip: '127.0.0.1', port: 5003, name: XSS, last_seen: 1_002_000, channels: ['general'] },
        ],
        channels: [
          { name: 'general', private: false, members: ['127.0.0.1:5001', '127.0.0.1:5002', '127.0.0.1:5003'] },
          { name: 'team', private: false, members: ['127.0.0.1:5001'] },
          { name: 'secret', private: true, members: ['127.0.0.1:5002', '127.0.0.1:5001'] },
        ],
      });
      // A private channel is marked private, and that is all: no key, no hash, no salt.
      expect(res.text()).not.to.match(/hunter2|hash|salt|scrypt|"key"/i);
    });

    it('leaves out a peer past its TTL at once, before a write request expires it, and keeps the rule of /get-list/', async () => {
      await register(5001, 'Alice');
      await post('/add-list/', { peer_id: '127.0.0.1:5001', channel: 'team' });
      now += 200_000;
      await register(5002, 'Bob');
      now += 100_000; // Alice was seen exactly 300 s ago: still listed, as /get-list/ would
      expect(
        (await client.request(base + '/status/')).json<{ peers: Array<{ peer_id: string }> }>().peers.map((p) => p.peer_id),
      ).to.deep.equal(['127.0.0.1:5001', '127.0.0.1:5002']);
      now += 1;
      const status = (await client.request(base + '/status/')).json<{ peers: unknown[]; channels: unknown[] }>();
      expect(status.peers).to.have.length(1);
      expect(status.channels).to.deep.equal([
        { name: 'general', private: false, members: ['127.0.0.1:5002'] },
        { name: 'team', private: false, members: [] },
      ]);
      expect(log.some((line) => line.includes('Expired'))).to.equal(false);
    });

    it('leaves the document’s endpoints as they were: /get-list/ still answers its documented shape', async () => {
      await register(5001, 'Alice');
      expect((await client.request(base + '/get-list/')).text()).to.equal(
        '{"status":"ok","count":1,"peers":[{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001","name":"Alice"}]}',
      );
    });
  });
});
