/**
 * The tracker's HTTP API over a real socket (port 0), with a fake clock and the log captured:
 * the documented answers, the 4xx reasons for bad input, heartbeats and expiry.
 * Tests for `apps/tracker/routes.ts` (the Task 2 routes of WeApRous `apps/sampleApp.py`).
 */

import { expect } from 'chai';
import { HttpClient } from '../../../daemon/client';
import type { Backend } from '../../../daemon/backend';
import { PeerRegistry, RegistryUnavailable } from '../../../apps/tracker/registry';
import { createTrackerApp, trackerBanner } from '../../../apps/tracker/routes';

describe('tracker routes', () => {
  let backend: Backend;
  let base: string;
  let now = 0;
  let log: string[] = [];
  const client = new HttpClient({ timeoutMs: 5_000 });

  beforeEach(async () => {
    now = 1_000_000;
    log = [];
    const app = createTrackerApp({ registry: new PeerRegistry(300_000), log: (line) => log.push(line), now: () => now });
    backend = await app.prepareAddress('127.0.0.1', 0).run();
    base = `http://127.0.0.1:${backend.address().port}`;
  });
  afterEach(async () => {
    client.close();
    await backend.close();
  });

  const post = (path: string, body: string, type = 'application/json') =>
    client.request(base + path, { method: 'POST', body, headers: { 'Content-Type': type } });
  const register = (port: number, extra = '') =>
    post('/submit-info/', `{"ip":"127.0.0.1","port":${port},"peer_id":"127.0.0.1:${port}"${extra}}`);

  describe('the per-peer write limit', () => {
    it('answers 429 with Retry-After once one id writes more than 10 times at once; other ids go on', async () => {
      await register(5001);
      const beats = [];
      for (let i = 0; i < 10; i++) beats.push((await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001"}')).status);
      expect(beats.slice(0, 9).every((status) => status === 200)).to.equal(true); // the registration took one
      expect(beats[9]).to.equal(429);
      const res = await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001"}');
      expect(res.status).to.equal(429);
      expect(res.headers.get('retry-after')).to.equal('1');
      expect(res.json<{ error: string }>().error).to.equal(
        'Too many requests for 127.0.0.1:5001: at most 10 at once, then 1 a second; try again in 1 s',
      );
      expect((await register(5002)).status).to.equal(200);
      now += 1_000;
      expect((await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001"}')).status).to.equal(200);
    });
  });

  describe('POST /submit-info/', () => {
    it('answers {"status":"ok","peer_id":"ip:port"} and logs as the document shows', async () => {
      const res = await register(5001);
      expect(res.status).to.equal(200);
      expect(res.text()).to.equal('{"status":"ok","peer_id":"127.0.0.1:5001"}');
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(log).to.deep.equal([
        '[Tracker] POST /submit-info/',
        '[Tracker] Body: {"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"}',
        '[Tracker] Registered: 127.0.0.1:5001 - Total: 1',
      ]);
    });

    it('reads a JSON body sent without a JSON Content-Type (curl -d)', async () => {
      const res = await post('/submit-info/', '{"ip":"127.0.0.1","port":"5002"}', 'application/x-www-form-urlencoded');
      expect(res.status).to.equal(200);
      expect(res.json()).to.deep.equal({ status: 'ok', peer_id: '127.0.0.1:5002' });
    });

    const bad: Array<[string, string, RegExp]> = [
      ['a body that is not JSON', 'hello', /not valid JSON/],
      ['an empty body', '', /body is empty/],
      ['a JSON array', '[1,2]', /must be a JSON object/],
      ['no ip', '{"port":5001}', /Missing "ip"/],
      ['an ip that is not an address', '{"ip":"not an ip!","port":5001}', /"ip" must be an IP address/],
      ['no port', '{"ip":"127.0.0.1"}', /Missing "port"/],
      ['port 0', '{"ip":"127.0.0.1","port":0}', /integer from 1 to 65535/],
      ['port 65536', '{"ip":"127.0.0.1","port":65536}', /integer from 1 to 65535/],
      ['port 70000', '{"ip":"127.0.0.1","port":70000}', /integer from 1 to 65535/],
      ['port "abc"', '{"ip":"127.0.0.1","port":"abc"}', /integer from 1 to 65535/],
      ['a fractional port', '{"ip":"127.0.0.1","port":50.5}', /integer from 1 to 65535/],
      ['a name with a control character', '{"ip":"127.0.0.1","port":5001,"name":"A\\u001b[2J"}', /"name" must be a display name/],
    ];
    for (const [what, body, reason] of bad) {
      it(`refuses ${what} with 400 and a JSON reason`, async () => {
        const res = await post('/submit-info/', body, 'text/plain');
        expect(res.status).to.equal(400);
        const answer = res.json<{ status: string; error: string }>();
        expect(answer.status).to.equal('error');
        expect(answer.error).to.match(reason);
        expect(log.at(-1)).to.match(/^\[Tracker\] Rejected \(400\): /);
      });
    }

    it('refuses invalid JSON sent as application/json with 400', async () => {
      const res = await post('/submit-info/', '{"ip":', 'application/json');
      expect(res.status).to.equal(400);
      expect(res.json<{ error: string }>().error).to.match(/not valid JSON/);
    });

    it('answers GET with 405, a JSON reason and Allow: POST', async () => {
      const res = await client.request(base + '/submit-info/');
      expect(res.status).to.equal(405);
      expect(res.headers.get('allow')).to.equal('POST');
      expect(res.json<{ error: string }>().error).to.match(/use POST/);
    });
  });

  describe('any route', () => {
    it('answers an unknown path with 404 and a JSON reason', async () => {
      const res = await client.request(base + '/peers/');
      expect(res.status).to.equal(404);
      expect(res.json()).to.deep.equal({ status: 'error', error: 'No route for /peers/' });
    });

    it('answers a body over the 1 MiB limit with 413 and a JSON reason, and keeps serving', async () => {
      const res = await post('/submit-info/', 'x'.repeat(2 * 1024 * 1024));
      expect(res.status).to.equal(413);
      expect(res.json<{ error: string }>().error).to.match(/limit/);
      expect((await register(5001)).status).to.equal(200);
    });
  });

  describe('GET /get-list/', () => {
    it('answers {"status":"ok","count":N,"peers":[...]} in registration order', async () => {
      await register(5001);
      await register(5002, ',"name":"Bob"');
      log = [];
      const res = await client.request(base + '/get-list/');
      expect(res.text()).to.equal(
        '{"status":"ok","count":2,"peers":[{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"},' +
          '{"ip":"127.0.0.1","port":5002,"peer_id":"127.0.0.1:5002","name":"Bob"}]}',
      );
      expect(log).to.deep.equal(['[Tracker] GET /get-list/', '[Tracker] Returning 2 peers']);
    });

    it('is never stored by a cache, whole, by page or by channel, nor is any other JSON answer', async () => {
      const answers = [
        await register(5001),
        ...(await Promise.all(['/get-list/', '/get-list/?limit=1', '/get-list/?channel=general'].map((p) => client.request(base + p)))),
      ];
      for (const res of answers) expect([res.status, res.headers.get('cache-control')]).to.deep.equal([200, 'no-store']);
    });

    it('drops the peers whose TTL ran out before answering', async () => {
      await register(5001);
      now += 200_000;
      await register(5002);
      now += 100_001;
      const res = await client.request(base + '/get-list/');
      expect(res.json<{ peers: Array<{ peer_id: string }> }>().peers.map((p) => p.peer_id)).to.deep.equal(['127.0.0.1:5002']);
      expect(log).to.include('[Tracker] Expired: 127.0.0.1:5001 (not seen for 300 s) - Total: 1');
    });
  });

  describe('a registry that cannot be reached (Redis down)', () => {
    it('answers 503 with Retry-After and a sentence, not 500, and logs it', async () => {
      const registry = new PeerRegistry(300_000);
      const down = () => {
        throw new RegistryUnavailable('Redis at redis://127.0.0.1:6379: Connection is closed.');
      };
      const log: string[] = [];
      const app = createTrackerApp({ registry: Object.assign(registry, { expire: down }), log: (line) => log.push(line), now: () => now });
      const server = await app.prepareAddress('127.0.0.1', 0).run();
      try {
        const res = await client.request(`http://127.0.0.1:${server.address().port}/get-list/`);
        expect(res.status).to.equal(503);
        expect(res.headers.get('retry-after')).to.equal('5');
        expect(res.json()).to.deep.equal({
          status: 'error',
          error:
            "The tracker's registry cannot be reached (Redis at redis://127.0.0.1:6379: Connection is closed.); try again in a few seconds",
        });
        expect(log).to.include(
          "[Tracker] The tracker's registry cannot be reached (Redis at redis://127.0.0.1:6379: Connection is closed.)",
        );
      } finally {
        await server.close();
      }
    });
  });

  describe('--quiet', () => {
    it('logs what changes (registrations, expiry, refusals), not every request, body, heartbeat or list', async () => {
      const quiet: string[] = [];
      const app = createTrackerApp({ registry: new PeerRegistry(300_000), log: (line) => quiet.push(line), now: () => now, quiet: true });
      const server = await app.prepareAddress('127.0.0.1', 0).run();
      const url = `http://127.0.0.1:${server.address().port}`;
      try {
        const send = (path: string, body?: string) =>
          client.request(url + path, body === undefined ? {} : { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
        await send('/submit-info/', '{"ip":"127.0.0.1","port":5001}');
        await send('/heartbeat/', '{"peer_id":"127.0.0.1:5001"}');
        await send('/get-list/');
        await send('/submit-info/', '{"ip":"127.0.0.1"}');
        now += 300_001;
        await send('/get-list/?limit=5');
      } finally {
        await server.close();
      }
      expect(quiet).to.deep.equal([
        '[Tracker] Registered: 127.0.0.1:5001 - Total: 1',
        `[Tracker] Rejected (400): Missing "port": send the peer's port, e.g. "port":5001`,
        '[Tracker] Expired: 127.0.0.1:5001 (not seen for 300 s) - Total: 0',
      ]);
    });
  });

  describe('GET /get-list/?limit=&after= (pages)', () => {
    const get = (target: string) => client.request(base + target);

    it('answers a page in peer-id order with "next", then the rest without it; the whole list is unchanged', async () => {
      for (const port of [5003, 5001, 5002]) await register(port);
      const whole = (await get('/get-list/')).text();
      log = [];
      const first = await get('/get-list/?limit=2');
      expect(first.status).to.equal(200);
      expect(first.text()).to.equal(
        '{"status":"ok","count":2,"next":"127.0.0.1:5002","peers":[{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"},' +
          '{"ip":"127.0.0.1","port":5002,"peer_id":"127.0.0.1:5002"}]}',
      );
      const rest = await get('/get-list/?limit=2&after=127.0.0.1:5002');
      expect(rest.text()).to.equal('{"status":"ok","count":1,"peers":[{"ip":"127.0.0.1","port":5003,"peer_id":"127.0.0.1:5003"}]}');
      expect(log).to.deep.equal([
        '[Tracker] GET /get-list/?limit=2',
        '[Tracker] Returning 2 peers (page; next 127.0.0.1:5002)',
        '[Tracker] GET /get-list/?limit=2&after=127.0.0.1:5002',
        '[Tracker] Returning 1 peers',
      ]);
      expect((await get('/get-list/')).text()).to.equal(whole);
      expect(whole).to.match(/^\{"status":"ok","count":3,"peers":\[\{"ip":"127.0.0.1","port":5003,/);
    });

    it('pages a channel, #general included, the same way', async () => {
      for (const port of [5001, 5002, 5003]) await register(port);
      for (const port of [5003, 5001]) await post('/add-list/', `{"peer_id":"127.0.0.1:${port}","channel":"team"}`);
      const team = (await get('/get-list/?channel=team&limit=1')).json<{ channel: string; next: string; peers: unknown[] }>();
      expect(team).to.deep.include({ channel: 'team', count: 1, next: '127.0.0.1:5001' });
      const after = (await get(`/get-list/?channel=team&limit=1&after=${team.next}`)).text();
      expect(after).to.equal(
        '{"status":"ok","channel":"team","count":1,"peers":[{"ip":"127.0.0.1","port":5003,"peer_id":"127.0.0.1:5003"}]}',
      );
      const general = (await get('/get-list/?channel=general&after=127.0.0.1:5001')).json<{ peers: Array<{ peer_id: string }> }>();
      expect(general.peers.map((p) => p.peer_id)).to.deep.equal(['127.0.0.1:5002', '127.0.0.1:5003']);
      expect((await get('/get-list/?channel=nobody&limit=5')).status).to.equal(404);
    });

    for (const [query, reason] of [
      ['limit=0', '"limit" must be a whole number from 1 to 1000, e.g. /get-list/?limit=100'],
      ['limit=5000', '"limit" must be a whole number from 1 to 1000, e.g. /get-list/?limit=100'],
      ['limit=ten', '"limit" must be a whole number from 1 to 1000, e.g. /get-list/?limit=100'],
      [
        'after=',
        '"after" must be the "next" of the previous page, a peer id such as 127.0.0.1:5001, e.g. /get-list/?limit=100&after=127.0.0.1:5001',
      ],
      ['channel=team&limit=-1', '"limit" must be a whole number from 1 to 1000, e.g. /get-list/?limit=100'],
    ]) {
      it(`refuses ?${query} with 400 and a JSON reason`, async () => {
        const res = await get(`/get-list/?${query}`);
        expect(res.status).to.equal(400);
        expect(res.json()).to.deep.equal({ status: 'error', error: reason });
      });
    }
  });

  describe('POST /remove/', () => {
    it('answers {"status":"ok","message":"Peer unregistered"}, and 200 again when already gone', async () => {
      await register(9001);
      const first = await post('/remove/', '{"peer_id":"127.0.0.1:9001"}');
      expect(first.status).to.equal(200);
      expect(first.text()).to.equal('{"status":"ok","message":"Peer unregistered"}');
      expect(log.at(-1)).to.equal('[Tracker] Unregistered: 127.0.0.1:9001 - Total: 0');
      const second = await post('/remove/', '{"peer_id":"127.0.0.1:9001"}');
      expect(second.status).to.equal(200);
      expect(second.json()).to.deep.equal({ status: 'ok', message: 'Peer was not registered (already removed or expired)' });
    });

    it('refuses a body without peer_id with 400', async () => {
      const res = await post('/remove/', '{}');
      expect(res.status).to.equal(400);
      expect(res.json<{ error: string }>().error).to.match(/Missing "peer_id"/);
    });
  });

  describe('POST /heartbeat/', () => {
    it('refreshes last_seen, so a peer that keeps beating never expires', async () => {
      await register(5001);
      for (let i = 0; i < 3; i++) {
        now += 200_000;
        const res = await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001"}');
        expect(res.status).to.equal(200);
        expect(res.json()).to.deep.equal({ status: 'ok', peer_id: '127.0.0.1:5001', ttl: 300 });
      }
      const list = await client.request(base + '/get-list/');
      expect(list.json<{ count: number }>().count).to.equal(1);
    });

    it('answers 404 with a JSON reason when the tracker does not know the peer', async () => {
      const res = await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001"}');
      expect(res.status).to.equal(404);
      expect(res.json()).to.deep.equal({
        status: 'error',
        error: 'unknown peer',
        peer_id: '127.0.0.1:5001',
        hint: 'register again with POST /submit-info/',
      });
    });

    it('answers 404 once the peer has expired', async () => {
      await register(5001);
      now += 300_001;
      const res = await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001"}');
      expect(res.status).to.equal(404);
    });
  });

  it('the banner names the routes and says the tracker answers JSON', () => {
    const banner = trackerBanner('0.0.0.0', 8000, 300).join('\n');
    expect(banner).to.include('Task 2: Tracker Server (WeApRous)');
    expect(banner).to.include('its API answers JSON');
    expect(banner).to.include('IP: 0.0.0.0\nPort: 8000');
    const routes = [
      'POST /submit-info/',
      'GET  /get-list/',
      'POST /remove/',
      'POST /heartbeat/',
      'POST /add-list/',
      'GET  /get-list/?channel=',
      'GET  / ',
    ];
    for (const route of routes) expect(banner).to.include(route);
  });
});
