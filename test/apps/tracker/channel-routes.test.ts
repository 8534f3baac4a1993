/**
 * The tracker's channel routes through `app.handle()`, with no network: `POST /add-list/` (join, private
 * join, leave), `GET /get-list/?channel=`, the heartbeat's optional channels, and what expiry, `/remove/` and
 * unreachable addresses do. Tests for the channel half of `apps/tracker/routes.ts` (new: issue 7).
 */

import { expect } from 'chai';
import { parseRequest, type Request } from '../../../daemon/request';
import type { Response } from '../../../daemon/response';
import { PeerRegistry } from '../../../apps/tracker/registry';
import { ChannelKeys } from '../../../apps/tracker/keys';
import { createTrackerApp } from '../../../apps/tracker/routes';
import type { WeApRous } from '../../../daemon/weaprous';

const A = '127.0.0.1:5001';
const B = '127.0.0.1:5002';

function req(raw: string): Request {
  const result = parseRequest(Buffer.from(raw, 'utf8'));
  if (result.kind !== 'request') throw new Error(`fixture does not parse: ${JSON.stringify(result)}`);
  return result.request;
}

interface Answer {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read parsed JSON of any shape
  json: any;
  res: Response;
}

describe('tracker channel routes', () => {
  let app: WeApRous;
  let now: number;
  let log: string[];

  beforeEach(() => {
    now = 1_000_000;
    log = [];
    app = createTrackerApp({
      registry: new PeerRegistry(300_000),
      log: (line) => log.push(line),
      now: () => now,
      keys: new ChannelKeys(),
    });
  });

  async function send(raw: string): Promise<Answer> {
    const res = await app.handle(req(raw));
    const text = (res.body as Buffer).toString('utf8');
    return { status: res.status, text, json: JSON.parse(text), res };
  }
  const post = (path: string, body: string) =>
    send(`POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const get = (target: string) => send(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`);
  const register = (port: number) => post('/submit-info/', `{"ip":"127.0.0.1","port":${port},"peer_id":"127.0.0.1:${port}"}`);
  const addList = (fields: Record<string, unknown>) => post('/add-list/', JSON.stringify(fields));
  const ids = (answer: Answer) => answer.json.peers.map((p: { peer_id: string }) => p.peer_id);

  describe('POST /add-list/ and GET /get-list/?channel=', () => {
    it('joins a channel, lists its members in the shape of /get-list/, and logs it', async () => {
      await register(5001);
      await register(5002);
      log = [];
      const joined = await addList({ peer_id: A, channel: 'team' });
      expect(joined.status).to.equal(200);
      expect(joined.text).to.equal('{"status":"ok","channel":"team","private":false,"message":"Created #team","count":1}');
      expect(log).to.deep.equal([
        '[Tracker] POST /add-list/',
        '[Tracker] Body: {"peer_id":"127.0.0.1:5001","channel":"team"}',
        '[Tracker] Created #team: 127.0.0.1:5001 - Members: 1',
      ]);
      expect((await addList({ peer_id: B, channel: '#TEAM' })).json).to.include({ message: 'Joined #team', count: 2 });
      log = [];
      const list = await get('/get-list/?channel=team');
      expect(list.status).to.equal(200);
      expect(list.text).to.equal(
        '{"status":"ok","channel":"team","count":2,"peers":[{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"},' +
          '{"ip":"127.0.0.1","port":5002,"peer_id":"127.0.0.1:5002"}]}',
      );
      expect(log).to.deep.equal(['[Tracker] GET /get-list/?channel=team', '[Tracker] Returning 2 peers in #team']);
    });

    it('leaves /get-list/ without a channel exactly as the document shows', async () => {
      await register(5001);
      await addList({ peer_id: A, channel: 'team' });
      log = [];
      const list = await get('/get-list/');
      expect(list.text).to.equal('{"status":"ok","count":1,"peers":[{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"}]}');
      expect(log).to.deep.equal(['[Tracker] GET /get-list/', '[Tracker] Returning 1 peers']);
    });

    it('says "Already in" to a member joining again', async () => {
      await register(5001);
      await addList({ peer_id: A, channel: 'team' });
      expect((await addList({ peer_id: A, channel: 'team' })).json).to.include({ message: 'Already in #team', count: 1 });
    });

    it('leaves a channel with "leave":true; an empty public channel is gone (404 with a sentence)', async () => {
      await register(5001);
      await addList({ peer_id: A, channel: 'team' });
      const left = await addList({ peer_id: A, channel: 'team', leave: true });
      expect(left.text).to.equal('{"status":"ok","channel":"team","message":"Left #team","count":0}');
      expect(log.at(-1)).to.equal('[Tracker] Left #team: 127.0.0.1:5001 - Members: 0');
      expect((await addList({ peer_id: A, channel: 'team', leave: true })).json).to.include({ message: 'Was not in #team' });
      const list = await get('/get-list/?channel=team');
      expect(list.status).to.equal(404);
      expect(list.json.status).to.equal('error');
      expect(list.json.error).to.match(/^No channel #team: nobody is in it; join it with POST \/add-list\//);
    });

    it('has every registered peer in #general; joining it is a no-op and leaving it is refused', async () => {
      await register(5001);
      await register(5002);
      const list = await get('/get-list/?channel=%23General');
      expect(list.json).to.include({ channel: 'general', count: 2 });
      expect(ids(list)).to.deep.equal([A, B]);
      expect((await addList({ peer_id: A, channel: 'general' })).json).to.include({
        message: 'Every peer is always in #general',
        count: 2,
      });
      const leave = await addList({ peer_id: A, channel: 'general', leave: true });
      expect(leave.status).to.equal(400);
      expect(leave.json).to.deep.equal({ status: 'error', error: 'Every peer is in #general; it cannot be left' });
    });

    it('refuses a peer that is not registered with 404 and says to register first', async () => {
      const res = await addList({ peer_id: A, channel: 'team' });
      expect(res.status).to.equal(404);
      expect(res.json).to.deep.equal({
        status: 'error',
        error: '127.0.0.1:5001 is not registered; register it first with POST /submit-info/',
      });
      expect(log.at(-1)).to.match(/^\[Tracker\] Rejected \(404\): /);
    });

    const bad: Array<[string, string, RegExp]> = [
      ['no channel', '{"peer_id":"127.0.0.1:5001"}', /^Missing "channel"/],
      ['a bad channel name', '{"peer_id":"127.0.0.1:5001","channel":"my team"}', /"channel" must be a channel name/],
      ['no peer_id', '{"channel":"team"}', /^Missing "peer_id"/],
      ['"leave" that is not a boolean', '{"peer_id":"127.0.0.1:5001","channel":"team","leave":1}', /"leave" must be true/],
      ['an empty key', '{"peer_id":"127.0.0.1:5001","channel":"team","key":""}', /"key" must be 1 to 128/],
      ['a body that is not JSON', 'team', /not valid JSON/],
    ];
    for (const [what, body, reason] of bad) {
      it(`refuses ${what} with 400 and a JSON sentence`, async () => {
        await register(5001);
        const res = await post('/add-list/', body);
        expect(res.status).to.equal(400);
        expect(res.json.status).to.equal('error');
        expect(res.json.error).to.match(reason);
      });
    }

    it('refuses a bad ?channel= with 400, and says how to write the #', async () => {
      for (const target of ['/get-list/?channel=', '/get-list/?channel=a%20b']) {
        const res = await get(target);
        expect(res.status).to.equal(400);
        expect(res.json.error).to.match(/e\.g\. \/get-list\/\?channel=team \(a "#" is written %23 or left out\)/);
      }
    });

    it('answers GET /add-list/ with 405 and Allow: POST', async () => {
      const res = await get('/add-list/');
      expect(res.status).to.equal(405);
      expect(res.res.headers.get('allow')).to.equal('POST');
    });
  });

  describe('private channels', () => {
    beforeEach(async () => {
      await register(5001);
      await register(5002);
      await register(5003);
    });

    it('the first join with a key creates it; the right key joins; a wrong or missing key gets 403', async () => {
      const created = await addList({ peer_id: A, channel: 'team', key: 's3cret' });
      expect(created.json).to.deep.equal({ status: 'ok', channel: 'team', private: true, message: 'Created #team', count: 1 });
      expect(log.at(-1)).to.equal('[Tracker] Created #team (private): 127.0.0.1:5001 - Members: 1');
      expect((await addList({ peer_id: B, channel: 'team', key: 's3cret' })).json).to.include({ message: 'Joined #team', count: 2 });
      const wrong = await addList({ peer_id: '127.0.0.1:5003', channel: 'team', key: 'guess' });
      expect(wrong.status).to.equal(403);
      expect(wrong.json).to.deep.equal({ status: 'error', error: 'Wrong key for #team; use the key it was created with' });
      const missing = await addList({ peer_id: '127.0.0.1:5003', channel: 'team' });
      expect(missing.status).to.equal(403);
      expect(missing.json.error).to.equal('#team is private; only its key joins it (in the console: /join #team <key>)');
      expect(ids(await get('/get-list/?channel=team'))).to.deep.equal([A, B]);
    });

    it('never writes a key to the log', async () => {
      await addList({ peer_id: A, channel: 'team', key: 's3cret' });
      expect(log.join('\n')).not.to.include('s3cret');
      expect(log).to.include('[Tracker] Body: {"peer_id":"127.0.0.1:5001","channel":"team","key":"***"}');
    });

    it('refuses a key for a public channel with 409', async () => {
      await addList({ peer_id: A, channel: 'team' });
      const res = await addList({ peer_id: B, channel: 'team', key: 'k' });
      expect(res.status).to.equal(409);
      expect(res.json.error).to.match(/#team is a public channel; join it without a key/);
    });

    it('answers 429 with Retry-After while the same peer has a key check running', async () => {
      const first = addList({ peer_id: A, channel: 'team', key: 'k' });
      const second = await addList({ peer_id: A, channel: 'dev', key: 'k' });
      expect(second.status).to.equal(429);
      expect(second.res.headers.get('retry-after')).to.equal('1');
      expect(second.json.error).to.match(/A key check for this peer is still running/);
      expect((await first).status).to.equal(200);
    });
  });

  describe('a peer that goes leaves its channels', () => {
    it('POST /remove/ takes the peer out of its channels', async () => {
      await register(5001);
      await register(5002);
      await addList({ peer_id: A, channel: 'team' });
      await addList({ peer_id: B, channel: 'team' });
      await post('/remove/', '{"peer_id":"127.0.0.1:5001"}');
      expect(log.at(-1)).to.equal('[Tracker] 127.0.0.1:5001 left #team');
      expect(ids(await get('/get-list/?channel=team'))).to.deep.equal([B]);
    });

    it('an expired peer leaves its channels before the next answer', async () => {
      await register(5001);
      await addList({ peer_id: A, channel: 'team' });
      now += 300_001;
      expect((await get('/get-list/?channel=team')).status).to.equal(404);
      expect(log).to.include('[Tracker] 127.0.0.1:5001 left #team');
    });
  });

  describe('POST /heartbeat/ with channels', () => {
    it("answers the document's heartbeat exactly as before", async () => {
      await register(5001);
      expect((await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001"}')).text).to.equal(
        '{"status":"ok","peer_id":"127.0.0.1:5001","ttl":300}',
      );
    });

    it('joins the peer to the channels it carries, so a restarted tracker learns them again', async () => {
      await register(5001);
      const res = await post(
        '/heartbeat/',
        '{"peer_id":"127.0.0.1:5001","channels":[{"channel":"team","key":"s3cret"},{"channel":"dev"}]}',
      );
      expect(res.status).to.equal(200);
      expect(res.json).to.deep.equal({ status: 'ok', peer_id: A, ttl: 300, channels: ['team', 'dev'], refused: [] });
      expect(log).to.include('[Tracker] Created #team (private): 127.0.0.1:5001 - Members: 1');
      expect((await addList({ peer_id: B, channel: 'team' })).status).to.equal(404); // B is not registered
      await register(5002);
      expect((await addList({ peer_id: B, channel: 'team' })).status).to.equal(403); // the heartbeat made it private
    });

    it('a heartbeat with channels the peer is in already changes nothing and logs only the heartbeat', async () => {
      await register(5001);
      const body = '{"peer_id":"127.0.0.1:5001","channels":[{"channel":"team","key":"s3cret"}]}';
      await post('/heartbeat/', body);
      log = [];
      expect((await post('/heartbeat/', body)).json).to.deep.include({ channels: ['team'], refused: [] });
      expect(log.slice(2)).to.deep.equal(['[Tracker] Heartbeat: 127.0.0.1:5001']);
    });

    it('says which channels it refused: a wrong key after someone else re-created the channel', async () => {
      await register(5001);
      await register(5002);
      await addList({ peer_id: B, channel: 'team', key: 'theirs' });
      const res = await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001","channels":[{"channel":"team","key":"mine"},{"channel":"dev"}]}');
      expect(res.status).to.equal(200);
      expect(res.json.channels).to.deep.equal(['dev']);
      expect(res.json.refused).to.deep.equal([
        { channel: 'team', status: 403, error: 'Wrong key for #team; use the key it was created with' },
      ]);
      expect(log).to.include('[Tracker] Refused #team for 127.0.0.1:5001 (403): Wrong key for #team; use the key it was created with');
    });

    it('answers 404 to an unknown peer, as before, whatever channels it carries', async () => {
      const res = await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001","channels":[{"channel":"team"}]}');
      expect(res.status).to.equal(404);
      expect(res.json.hint).to.equal('register again with POST /submit-info/');
    });

    it('refuses bad channels with 400', async () => {
      await register(5001);
      const res = await post('/heartbeat/', '{"peer_id":"127.0.0.1:5001","channels":[{"channel":"a b"}]}');
      expect(res.status).to.equal(400);
      expect(res.json.error).to.match(/must be a channel name/);
    });
  });

  describe('POST /submit-info/ and unreachable addresses', () => {
    for (const ip of ['0.0.0.0', '::', '224.0.0.1', '255.255.255.255', '169.254.1.1', 'fe80::1', 'ff02::1']) {
      it(`refuses ${ip} with 400 and a sentence`, async () => {
        const res = await post('/submit-info/', `{"ip":"${ip}","port":5001}`);
        expect(res.status).to.equal(400);
        expect(res.json.error).to.include(`"ip" ${ip} `);
        expect(res.json.error).to.match(/send the address other peers reach this peer at/);
      });
    }

    it('still accepts loopback and private addresses', async () => {
      for (const ip of ['127.0.0.1', '192.168.1.5', '10.1.2.3', '::1']) {
        expect((await post('/submit-info/', `{"ip":"${ip}","port":5001}`)).status, ip).to.equal(200);
      }
    });
  });
});
