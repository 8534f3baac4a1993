/**
 * The peer's server routes over a real socket: the document's curl requests and answers, what each
 * prints, and 400s with a reason for bad bodies.
 * Tests for `apps/peer/network/routes.ts` (`setup_routes()` of WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../../../daemon/client';
import type { Backend } from '../../../../daemon/backend';
import { History } from '../../../../apps/peer/storage/history';
import { derivedId } from '../../../../apps/peer/model/message';
import { createPeerServer } from '../../../../apps/peer/network/routes';
import { clearInPrivate } from '../../../../apps/peer/network/inbox';
import { noticeLines } from '../../../../apps/peer/console/notices';
import { ChatState } from '../../../../apps/peer/model/peers';
import { Trust } from '../../../../apps/peer/identity/trust';
import { KnownPeers } from '../../../../apps/peer/identity/known-peers';
import { loadOrCreateIdentity } from '../../../../apps/peer/identity/identity';
import { freePort } from '../../child';

describe('peer server routes', () => {
  let backend: Backend;
  let base: string;
  let state: ChatState;
  let shown: string[];
  let folder: string;
  let history: History;
  const client = new HttpClient({ timeoutMs: 5_000 });

  beforeEach(async () => {
    const port = await freePort();
    state = new ChatState({ peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Alice' });
    shown = [];
    folder = mkdtempSync(join(tmpdir(), 'weaprous-server-'));
    history = await History.open(folder, state.self, { startedAt: Date.now() });
    backend = await createPeerServer(state, { history }, (notice) => shown.push(...noticeLines(notice)))
      .prepareAddress('127.0.0.1', port)
      .run();
    base = `http://127.0.0.1:${port}`;
  });
  afterEach(async () => {
    client.close();
    await backend.close();
    await history.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const post = (path: string, body: string) =>
    client.request(base + path, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  const CONNECT = '{"ip":"127.0.0.1","port":9001,"peer_id":"127.0.0.1:9001","name":"TestPeer"}';

  describe('POST /connect-peer/', () => {
    it('answers the documented JSON with its own id and name, and shows who connected', async () => {
      const res = await post('/connect-peer/', CONNECT);
      expect(res.status).to.equal(200);
      expect(res.text()).to.equal(`{"status":"ok","message":"Connected","peer_id":"${state.self.peer_id}","name":"Alice"}`);
      expect(shown).to.deep.equal(['[P2P] Peer connected: TestPeer (127.0.0.1:9001)']);
      expect(state.peers()).to.deep.equal([{ peer_id: '127.0.0.1:9001', ip: '127.0.0.1', port: 9001, name: 'TestPeer' }]);
    });

    it('does not announce the same peer twice', async () => {
      await post('/connect-peer/', CONNECT);
      await post('/connect-peer/', CONNECT);
      expect(shown).to.have.length(1);
    });

    it('answers 503 once it keeps as many connected peers as it may (a flood of fake peers stops there)', async () => {
      for (let i = 0; i < 1_000; i++)
        state.connect({ peer_id: `10.0.${i >> 8}.${i & 255}:1`, ip: `10.0.${i >> 8}.${i & 255}`, port: 1, name: 'fake' });
      const res = await post('/connect-peer/', CONNECT);
      expect(res.status).to.equal(503);
      expect(res.json<{ error: string }>().error).to.equal('Service Unavailable'); // a 5xx keeps its reason to itself
      expect(state.isConnected('127.0.0.1:9001')).to.equal(false);
    });

    it('refuses a peer that claims our own id', async () => {
      const { port } = state.self;
      const res = await post('/connect-peer/', `{"ip":"127.0.0.1","port":${port},"peer_id":"127.0.0.1:${port}","name":"Mallory"}`);
      expect(res.status).to.equal(400);
      expect(res.json<{ error: string }>().error).to.match(/own id/);
    });

    it("refuses a peer_id that is not the ip:port sent, so nobody takes another peer's place", async () => {
      await post('/connect-peer/', CONNECT);
      const res = await post('/connect-peer/', '{"ip":"10.9.9.9","port":6666,"peer_id":"127.0.0.1:9001","name":"Mallory"}');
      expect(res.status).to.equal(400);
      expect(res.json()).to.deep.equal({
        status: 'error',
        error: '"peer_id" must be "ip:port" of the ip and port sent, here "10.9.9.9:6666" (or leave it out)',
      });
      expect(state.peers()).to.deep.equal([{ peer_id: '127.0.0.1:9001', ip: '127.0.0.1', port: 9001, name: 'TestPeer' }]);
    });

    it('refuses a body without a valid port with 400 and a JSON reason', async () => {
      for (const port of ['"x"', '0', '70000', '"abc"', '5001.5', '-1']) {
        const res = await post('/connect-peer/', `{"ip":"127.0.0.1","port":${port},"name":"A"}`);
        expect(res.status, port).to.equal(400);
        expect(res.json()).to.deep.equal({ status: 'error', error: '"port" must be an integer from 1 to 65535, e.g. "port":5001' });
      }
      expect(state.peers()).to.deep.equal([]);
    });

    it('refuses a missing or invalid ip, a JSON array and a body that is not JSON, each with a reason', async () => {
      const cases: Array<[string, RegExp]> = [
        ['{"port":5002}', /^Missing "ip"/],
        ['{"ip":"no such host!","port":5002}', /^"ip" must be an IP address/],
        ['[1,2]', /must be a JSON object/],
        ['hello', /not valid JSON/],
      ];
      for (const [body, reason] of cases) {
        const res = await client.request(base + '/connect-peer/', { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
        expect(res.status, body).to.equal(400);
        expect(res.json<{ error: string }>().error, body).to.match(reason);
      }
      expect(shown).to.deep.equal([]);
    });
  });

  describe('GET /history/', () => {
    const get = (query: string) => client.request(`${base}/history/?${query}`);
    const say = (msg: string, clock: number) =>
      post('/broadcast-peer/', JSON.stringify({ id: `127.0.0.1:9001/x-${clock}`, from: '127.0.0.1:9001', msg, timestamp: 1, clock }));

    it('is never stored by a cache, nor is /identity/ (Cache-Control: no-store)', async () => {
      for (const res of [await get('channel=general&since=0'), await client.request(base + '/identity/')])
        expect([res.status, res.headers.get('cache-control')]).to.deep.equal([200, 'no-store']);
    });

    it('answers a page of #general after a clock, in Lamport order, and says when more follow', async () => {
      for (const [msg, clock] of [
        ['a', 3],
        ['b', 1],
        ['c', 7],
      ] as const)
        await say(msg, clock);
      const first = await get('channel=general&since=1&limit=1');
      expect(first.status).to.equal(200);
      const body = first.json<{ channel: string; count: number; more: boolean; messages: Array<{ msg: string; clock: number }> }>();
      expect([body.channel, body.count, body.more, body.messages.map((m) => m.msg)]).to.deep.equal(['general', 1, true, ['a']]);
      const rest = (await get('channel=%23General&since=3')).json<{ more: boolean; messages: Array<{ msg: string }> }>();
      expect([rest.more, rest.messages.map((m) => m.msg)]).to.deep.equal([false, ['c']]);
    });

    it('refuses a bad channel, clock or limit with 400, and a channel this peer is not in with 403', async () => {
      for (const query of ['channel=no%20such', 'channel=general&since=x', 'channel=general&limit=0', 'channel=general&limit=501']) {
        expect((await get(query)).status, query).to.equal(400);
      }
      const team = await get('channel=team&peer=127.0.0.1:9001');
      expect([team.status, team.json<{ error: string }>().error]).to.deep.equal([403, 'This peer is not in #team']);
    });
  });

  describe('POST /messages/ (several messages in one request)', () => {
    const from = '127.0.0.1:9001';
    const one = (n: number, fields: object = {}) => ({
      id: `${from}/b-${n}`,
      from,
      name: 'TestPeer',
      msg: `batch ${n}`,
      timestamp: n,
      clock: n,
      ...fields,
    });

    it('checks each message alone, stores and shows the good ones in order, and answers each one', async () => {
      const body = JSON.stringify({ messages: [one(1), one(2, { msg: '' }), one(3, { channel: `@${state.self.peer_id}` }), one(1)] });
      const res = await post('/messages/', body);
      expect(res.status).to.equal(200);
      const { results } = res.json<{ results: Array<Record<string, unknown>> }>();
      expect(results.map((r) => r.status)).to.deep.equal(['received', 'error', 'received', 'received']);
      expect(results[1]).to.deep.include({ code: 400, error: '"msg" must be a non-empty string, e.g. "msg":"Hello"' });
      expect(shown).to.deep.equal(['[BROADCAST] TestPeer (127.0.0.1:9001): batch 1', '[DIRECT] TestPeer (127.0.0.1:9001): batch 3']);
      expect(history.recent('general', 10).total).to.equal(1); // the copy of 1 is one message
    });

    it('shows a batch inside one `showing` call, so a screen draws it at once; a lone message without one', async () => {
      const port = await freePort();
      const calls: number[] = [];
      const lines: string[] = [];
      const showing = <T>(work: () => T): T => {
        calls.push(lines.length);
        const result = work();
        calls.push(lines.length);
        return result;
      };
      const onMessage = (_type: string, message: { msg: string }) => void lines.push(message.msg);
      const held = await createPeerServer(state, { history, showing, onMessage }, () => {})
        .prepareAddress('127.0.0.1', port)
        .run();
      try {
        const batch = JSON.stringify({ messages: [one(21), one(22), one(23)] });
        expect((await client.request(`http://127.0.0.1:${port}/messages/`, { method: 'POST', body: batch })).status).to.equal(200);
        expect(calls).to.deep.equal([0, 3]); // the three shown inside one call
        const alone = JSON.stringify(one(24));
        expect((await client.request(`http://127.0.0.1:${port}/broadcast-peer/`, { method: 'POST', body: alone })).status).to.equal(200);
        expect(calls).to.deep.equal([0, 3]);
        expect(lines).to.deep.equal(['batch 21', 'batch 22', 'batch 23', 'batch 24']);
      } finally {
        await held.close();
      }
    });

    it('refuses a body without a list of 1 to 100 messages (400)', async () => {
      for (const messages of [undefined, [], 'x', Array.from({ length: 101 }, (_, n) => one(n))]) {
        const res = await post('/messages/', JSON.stringify({ messages }));
        expect(res.status).to.equal(400);
        expect(res.json<{ error: string }>().error).to.equal(
          '"messages" must be a list of 1 to 100 messages, each as /broadcast-peer/ takes one',
        );
      }
    });
  });

  describe('POST /broadcast-peer/ and /send-peer/', () => {
    it('answers {"status":"received"} and shows [BROADCAST] as in the curl section', async () => {
      const res = await post(
        '/broadcast-peer/',
        '{"from":"127.0.0.1:9001","name":"TestPeer","msg":"Hello via curl!","timestamp":1699680000}',
      );
      expect(res.status).to.equal(200);
      expect(res.text()).to.equal('{"status":"received"}');
      expect(shown).to.deep.equal(['[BROADCAST] TestPeer (127.0.0.1:9001): Hello via curl!']);
      // The document's payload has no id: it is derived from what it says, so the same curl run twice is one message.
      const id = derivedId('127.0.0.1:9001', 'general', 1699680000, 'Hello via curl!');
      const stored = { id, channel: 'general', from: '127.0.0.1:9001', name: 'TestPeer', msg: 'Hello via curl!', timestamp: 1699680000 };
      expect(history.recent('general', 20)).to.deep.equal({ messages: [{ ...stored, clock: 1 }], total: 1 });
    });

    it('answers a resend (the same payload, or the same id) with 200 and shows it once', async () => {
      const curl = '{"from":"127.0.0.1:9001","name":"TestPeer","msg":"Hello via curl!","timestamp":1699680000}';
      const full =
        '{"id":"127.0.0.1:9001/x-1","channel":"general","from":"127.0.0.1:9001","name":"TestPeer","msg":"Hi","timestamp":1,"clock":7}';
      for (const body of [curl, curl, full, full]) expect((await post('/broadcast-peer/', body)).text()).to.equal('{"status":"received"}');
      expect(shown).to.deep.equal(['[BROADCAST] TestPeer (127.0.0.1:9001): Hello via curl!', '[BROADCAST] TestPeer (127.0.0.1:9001): Hi']);
      expect(history.recent('general', 20).messages.map((m) => [m.msg, m.clock])).to.deep.equal([
        ['Hello via curl!', 1],
        ['Hi', 7],
      ]);
    });

    it('keeps a channel in Lamport order, whatever order the messages arrive in', async () => {
      const at = (msg: string, clock: number) =>
        JSON.stringify({ id: `127.0.0.1:9001/x-${clock}`, channel: 'general', from: '127.0.0.1:9001', msg, timestamp: 1, clock });
      await post('/broadcast-peer/', at('second', 9));
      await post('/broadcast-peer/', at('first', 4));
      expect(history.recent('general', 20).messages.map((m) => m.msg)).to.deep.equal(['first', 'second']);
    });

    it('refuses a broadcast in a channel this peer is not in (403), and a direct message for another peer (400)', async () => {
      const team = await post('/broadcast-peer/', '{"from":"127.0.0.1:9001","msg":"psst","channel":"team"}');
      expect(team.status).to.equal(403);
      expect(team.json<{ error: string }>().error).to.equal('This peer is not in #team; it takes broadcasts in #general only');
      const other = await post('/send-peer/', '{"from":"127.0.0.1:9001","msg":"psst","channel":"@127.0.0.1:9999"}');
      expect(other.status).to.equal(400);
      expect(shown).to.deep.equal([]);
    });

    it('refuses a clock near 2^53 (it would stop every later clock), and keeps counting after it', async () => {
      const res = await post('/broadcast-peer/', '{"from":"10.0.0.66:5000","msg":"tick","clock":9007199254740991}');
      expect(res.status).to.equal(400);
      expect(res.json<{ error: string }>().error).to.match(/^"clock" must be a whole number from 0 to 1099511627776/);
      expect(shown).to.deep.equal([]);
    });

    it("refuses an id that names another sender (taking a peer's next ids would drop its real messages)", async () => {
      const squat = '{"from":"10.0.0.66:5000","msg":"squatted","id":"10.0.0.8:5000/abc-1","clock":3}';
      const res = await post('/broadcast-peer/', squat);
      expect(res.status).to.equal(400);
      expect(res.json<{ error: string }>().error).to.equal('"id" must start with the sender\'s id and "/", here "10.0.0.66:5000/"');
      const real = await post('/broadcast-peer/', '{"from":"10.0.0.8:5000","msg":"REAL message","id":"10.0.0.8:5000/abc-1","clock":4}');
      expect(real.status).to.equal(200);
      expect(shown).to.deep.equal(['[BROADCAST] 10.0.0.8:5000 (10.0.0.8:5000): REAL message']);
    });

    it('refuses a message that claims to come from this peer itself', async () => {
      const res = await post('/send-peer/', `{"from":"${state.self.peer_id}","name":"X","msg":"it was me"}`);
      expect(res.status).to.equal(400);
      expect(shown).to.deep.equal([]);
    });

    it('shows [DIRECT] for /send-peer/', async () => {
      const res = await post('/send-peer/', '{"from":"127.0.0.1:9001","name":"TestPeer","msg":"Direct via curl!","timestamp":1699680000}');
      expect(res.text()).to.equal('{"status":"received"}');
      expect(shown).to.deep.equal(['[DIRECT] TestPeer (127.0.0.1:9001): Direct via curl!']);
    });

    it('names a sender that sent no name by the name it connected with', async () => {
      await post('/connect-peer/', CONNECT);
      await post('/send-peer/', '{"from":"127.0.0.1:9001","msg":"hi"}');
      expect(shown.at(-1)).to.equal('[DIRECT] TestPeer (127.0.0.1:9001): hi');
    });

    for (const [what, body] of [
      ['no msg', '{"from":"127.0.0.1:9001","name":"T"}'],
      ['no from', '{"msg":"hi"}'],
      ['not JSON', 'hi there'],
    ]) {
      it(`refuses a message with ${what} with 400 and shows nothing`, async () => {
        const res = await client.request(base + '/broadcast-peer/', { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
        expect(res.status).to.equal(400);
        expect(res.json<{ status: string }>().status).to.equal('error');
        expect(shown).to.deep.equal([]);
      });
    }

    it('answers GET with 405', async () => {
      const res = await client.request(base + '/send-peer/');
      expect(res.status).to.equal(405);
    });

    it('refuses a message longer than 10000 characters with 400 and shows nothing', async () => {
      const res = await post('/broadcast-peer/', JSON.stringify({ from: '127.0.0.1:9001', msg: 'ư'.repeat(10_001) }));
      expect(res.status).to.equal(400);
      expect(res.json()).to.deep.equal({ status: 'error', error: '"msg" is longer than 10000 characters; send it in shorter parts' });
      expect(shown).to.deep.equal([]);
    });

    it('shows Vietnamese text with diacritics unchanged', async () => {
      await post('/send-peer/', '{"from":"127.0.0.1:9001","name":"Nguyễn Thị Bích","msg":"Chào bạn, khỏe không?"}');
      expect(shown).to.deep.equal(['[DIRECT] Nguyễn Thị Bích (127.0.0.1:9001): Chào bạn, khỏe không?']);
    });
  });

  describe('any route', () => {
    it('answers an unknown path with 404 and a huge body with 413, each with a JSON reason', async () => {
      const missing = await client.request(base + '/chat/');
      expect(missing.status).to.equal(404);
      expect(missing.json()).to.deep.equal({ status: 'error', error: 'No route for /chat/' });
      const huge = await post('/broadcast-peer/', 'x'.repeat(2 * 1024 * 1024));
      expect(huge.status).to.equal(413);
      expect(huge.json<{ status: string }>().status).to.equal('error');
      expect(shown).to.deep.equal([]);
    });
  });

  describe('POST /disconnect-peer/', () => {
    it('drops a peer that leaves and says so; a second time it was not connected', async () => {
      await post('/connect-peer/', CONNECT);
      const res = await post('/disconnect-peer/', '{"peer_id":"127.0.0.1:9001"}');
      expect(res.json()).to.deep.equal({ status: 'ok', message: 'Disconnected' });
      expect(shown.at(-1)).to.equal('[P2P] Peer disconnected: TestPeer (127.0.0.1:9001)');
      expect(state.peers()).to.deep.equal([]);
      const again = await post('/disconnect-peer/', '{"peer_id":"127.0.0.1:9001"}');
      expect(again.json()).to.deep.equal({ status: 'ok', message: 'Was not connected' });
    });
  });

  describe('a flood that fills the history file', () => {
    it('is refused with 507 and a reason once strangers filled their part, said once on the console; nothing is acknowledged unstored', async () => {
      const port = await freePort();
      const small = await History.open(mkdtempSync(join(tmpdir(), 'weaprous-server-full-')), state.self, {
        startedAt: Date.now(),
        fileLimit: 4_000,
      });
      const lines: string[] = [];
      const full = await createPeerServer(state, { history: small }, (notice) => lines.push(...noticeLines(notice)))
        .prepareAddress('127.0.0.1', port)
        .run();
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const body = JSON.stringify({ from: '10.6.6.6:6666', name: 'Flood', msg: 'x'.repeat(1_000), timestamp: i });
          const res = await client.request(`http://127.0.0.1:${port}/broadcast-peer/`, { method: 'POST', body });
          statuses.push(res.status);
          if (res.status === 507) expect(res.json<{ error: string }>().error).to.match(/^This peer's history\.jsonl is full \(0 MB\)/);
        }
        // A stranger's messages stop short of the limit: the rest is kept for contacts; the owner's always fit.
        expect(statuses).to.deep.equal([200, 200, 507, 507, 507]);
        expect(small.recent('general', 10).total).to.equal(2);
        await small.compose('general', 'x'.repeat(3_000), Date.now());
        expect(small.recent('general', 10).total).to.equal(3);
        expect(lines.filter((line) => line.startsWith('[History]'))).to.have.length(1);
      } finally {
        await full.close();
        await small.close();
      }
    });
  });

  describe("a private channel's history, asked with curl", () => {
    let privateBackend: Backend;
    let privateBase: string;
    let keyFolder: string;
    let memberFolder: string;
    let member: ReturnType<typeof loadOrCreateIdentity>;
    const MEMBER = '10.0.0.9:5000';

    beforeEach(async () => {
      keyFolder = mkdtempSync(join(tmpdir(), 'weaprous-server-keys-'));
      memberFolder = mkdtempSync(join(tmpdir(), 'weaprous-server-member-'));
      member = loadOrCreateIdentity(memberFolder);
      const trust = new Trust(
        loadOrCreateIdentity(keyFolder),
        new KnownPeers({ [MEMBER]: member.publicKey }),
        () => {},
        'known-peers.json',
        async () => ({
          ok: false,
          reason: 'not asked in this test',
        }),
      );
      // This peer is in #team, and the tracker says 10.0.0.8:5000 is a member; this peer has never met its key.
      // #vault is private: its members seal every message (docs/security/channels.md).
      const gate = { isMember: () => true, admits: async () => true, isPrivate: (channel: string) => channel === 'vault' };
      const port = await freePort();
      privateBackend = await createPeerServer(state, { history, trust, gate }, () => {})
        .prepareAddress('127.0.0.1', port)
        .run();
      privateBase = `http://127.0.0.1:${port}`;
    });
    afterEach(async () => {
      await privateBackend.close();
      rmSync(keyFolder, { recursive: true, force: true });
      rmSync(memberFolder, { recursive: true, force: true });
    });

    /** A history query signed by the member whose key this peer knows. */
    const signedQuery = (fields: Record<string, string>) => {
      const query = { channel: 'team', since: '-1', peer: MEMBER, to: state.self.peer_id, ...fields };
      return Object.entries({ ...query, signature: member.sign(query) })
        .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
        .join('&');
    };

    it('gives a known member its page only for a fresh signed query: no "time" or an old one is a replay (401)', async () => {
      const fresh = await client.request(`${privateBase}/history/?${signedQuery({ time: String(Date.now()) })}`);
      expect(fresh.status).to.equal(200);
      const untimed = await client.request(`${privateBase}/history/?${signedQuery({})}`);
      expect([untimed.status, untimed.json<{ error: string }>().error]).to.deep.equal([
        401,
        'A signed request must carry "time", the milliseconds since the epoch when it was signed',
      ]);
      const replayed = await client.request(`${privateBase}/history/?${signedQuery({ time: String(Date.now() - 10 * 60_000) })}`);
      expect(replayed.status).to.equal(401);
      expect(replayed.json<{ error: string }>().error).to.match(/^"time" is 600 s away from this peer's clock/);
    });

    it("refuses a member's message in a private channel sent in clear (400), and takes it sealed", async () => {
      const made = (n: number, extra: object = {}) => {
        const message = {
          id: `${MEMBER}/v-${n}`,
          channel: 'vault',
          from: MEMBER,
          name: 'M',
          msg: 'in clear',
          timestamp: n,
          clock: n,
          ...extra,
        };
        return { ...message, signature: member.sign(message) };
      };
      const clear = await client.request(`${privateBase}/broadcast-peer/`, { method: 'POST', json: made(1) });
      expect([clear.status, clear.json<{ error: string }>().error]).to.deep.equal([400, clearInPrivate('vault')]);
      const enc = {
        v: 1,
        salt: Buffer.alloc(16).toString('base64'),
        nonce: Buffer.alloc(12).toString('base64'),
        ct: Buffer.alloc(20).toString('base64'),
      };
      const sealed = await client.request(`${privateBase}/broadcast-peer/`, { method: 'POST', json: made(2, { msg: '(encrypted)', enc }) });
      expect(sealed.status).to.equal(200);
      expect(history.recent('vault', 10).messages.map((m) => m.msg)).to.deep.equal(['(encrypted)']);
    });

    it('is refused (401) to a caller that names a member whose key this peer does not know', async () => {
      const res = await client.request(`${privateBase}/history/?channel=team&since=-1&peer=10.0.0.8:5000`);
      expect(res.status).to.equal(401);
      expect(res.json<{ error: string }>().error).to.match(/^History of #team is given to a member this peer knows the key of/);
    });

    it('gives the direct conversation @<asker> only to that peer, signed and fresh', async () => {
      const time = String(Date.now());
      const own = await client.request(`${privateBase}/history/?${signedQuery({ channel: `@${MEMBER}`, time })}`);
      expect([own.status, own.json<{ channel: string }>().channel]).to.deep.equal([200, `@${MEMBER}`]);
      const other = await client.request(`${privateBase}/history/?${signedQuery({ channel: '@10.0.0.8:5000', time })}`);
      expect(other.status).to.equal(403);
      const unknown = await client.request(`${privateBase}/history/?channel=@10.0.0.8:5000&since=-1&peer=10.0.0.8:5000`);
      expect(unknown.status).to.equal(401);
      const stale = await client.request(`${privateBase}/history/?${signedQuery({ channel: `@${MEMBER}` })}`);
      expect(stale.status).to.equal(401);
    });
  });
});

describe('peer server routes against a hostile classmate', () => {
  const client = new HttpClient({ timeoutMs: 5_000 });
  const folders: string[] = [];
  const backends: Backend[] = [];
  let state: ChatState;
  let history: History;
  let known: KnownPeers;
  let base: string;
  let admitsAsked = 0;
  const folder = (label: string) => {
    const made = mkdtempSync(join(tmpdir(), `weaprous-hostile-${label}-`));
    folders.push(made);
    return made;
  };
  const bob = loadOrCreateIdentity(folder('bob'));
  const BOB = '127.0.0.1:5002';

  beforeEach(async () => {
    const port = await freePort();
    state = new ChatState({ peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Alice' });
    history = await History.open(folder('alice'), state.self, { startedAt: Date.now() });
    known = new KnownPeers();
    // Nobody answers GET /identity/ here: a sender's key is known only when a test puts it in `known`.
    const trust = new Trust(
      loadOrCreateIdentity(folder('alice-keys')),
      known,
      () => {},
      'known-peers.json',
      async () => ({
        ok: false,
        reason: 'nobody there',
      }),
    );
    admitsAsked = 0;
    const gate = {
      isMember: () => true,
      admits: async () => {
        admitsAsked += 1;
        return false;
      },
    };
    backends.push(
      await createPeerServer(state, { history, trust, gate }, () => {})
        .prepareAddress('127.0.0.1', port)
        .run(),
    );
    base = `http://127.0.0.1:${port}`;
  });
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
    await history.close();
  });
  after(() => {
    client.close();
    for (const made of folders) rmSync(made, { recursive: true, force: true });
  });

  const post = (path: string, json: object) => client.request(base + path, { method: 'POST', json });

  it("cannot take Bob's next ids before Alice knows his key: a stranger's copy is kept under the id its text makes", async () => {
    const real = {
      id: `${BOB}/lq2x8k-1`,
      channel: 'general',
      from: BOB,
      name: 'Bob',
      msg: 'the exam room moved to B4',
      timestamp: 2,
      clock: 2,
    };
    const planted = { ...real, msg: 'homework is cancelled', timestamp: 1, clock: 1 };
    expect((await post('/broadcast-peer/', planted)).status).to.equal(200);
    known.remember(BOB, bob.publicKey); // Bob connects; his real message comes, signed
    expect((await post('/broadcast-peer/', { ...real, signature: bob.sign(real) })).status).to.equal(200);
    const held = history.recent('general', 10).messages;
    expect(held.map((m) => m.msg)).to.deep.equal(['homework is cancelled', 'the exam room moved to B4']);
    expect(held[0].id).to.match(/^127\.0\.0\.1:5002\/h-[0-9a-f]{20}$/);
    expect(held[1].id).to.equal(real.id);
  });

  it("takes a known sender's batch on one signature over the whole batch, and refuses a batch signed by anyone else", async () => {
    known.remember(BOB, bob.publicKey);
    const one = (n: number) => ({
      id: `${BOB}/b-${n}`,
      channel: 'general',
      from: BOB,
      name: 'Bob',
      msg: `batched ${n}`,
      timestamp: n,
      clock: n,
    });
    const batch = { messages: [one(1), one(2)], to: state.self.peer_id, time: Date.now() };
    const taken = await post('/messages/', { ...batch, signature: bob.sign(batch) });
    expect(taken.json<{ results: Array<{ status: string }> }>().results.map((r) => r.status)).to.deep.equal(['received', 'received']);
    const other = { messages: [one(3)], to: state.self.peer_id, time: Date.now() };
    const mallory = loadOrCreateIdentity(folder('mallory'));
    expect((await post('/messages/', { ...other, signature: mallory.sign(other) })).status).to.equal(401);
    // Not signed as a whole: each message on its own, and these are not signed by Bob.
    const loose = await post('/messages/', other);
    expect(loose.json<{ results: Array<{ code?: number }> }>().results.map((r) => r.code)).to.deep.equal([401]);
    expect(history.recent('general', 10).messages.map((m) => m.msg)).to.deep.equal(['batched 1', 'batched 2']);
  });

  it('refuses a replayed goodbye: for a known peer, /disconnect-peer/ must be signed for this peer and now', async () => {
    known.remember(BOB, bob.publicKey);
    state.connect({ peer_id: BOB, ip: '127.0.0.1', port: 5002, name: 'Bob' });
    const old = { peer_id: BOB };
    const forCarol = { peer_id: BOB, to: '127.0.0.1:5003', time: Date.now() };
    const stale = { peer_id: BOB, to: state.self.peer_id, time: Date.now() - 10 * 60_000 };
    for (const body of [old, forCarol, stale]) {
      const res = await post('/disconnect-peer/', { ...body, signature: bob.sign(body) });
      expect(res.status).to.equal(401);
    }
    expect(state.isConnected(BOB)).to.equal(true);
    const fresh = { peer_id: BOB, to: state.self.peer_id, time: Date.now() };
    expect((await post('/disconnect-peer/', { ...fresh, signature: bob.sign(fresh) })).json()).to.deep.equal({
      status: 'ok',
      message: 'Disconnected',
    });
  });

  it('asks about a sender in a channel once per request, not once per message of a batch', async () => {
    const messages = Array.from({ length: 100 }, (_, n) => ({ from: '10.6.6.6:6666', msg: `spam ${n}`, channel: 'team', timestamp: n }));
    const res = await post('/messages/', { messages });
    expect(res.json<{ results: Array<{ code?: number }> }>().results.every((r) => r.code === 409)).to.equal(true);
    expect(admitsAsked).to.equal(1);
  });

  it('takes 200 messages at once from senders it has no key for, from another machine, then answers 429 with Retry-After', async () => {
    // Another machine: the request comes from 127.0.0.2 (this machine's own 127.0.0.1 is not held back).
    const postFrom = (path: string, json: object) =>
      new Promise<{ status: number; retryAfter?: string; body: Record<string, unknown> }>((done, fail) => {
        const body = JSON.stringify(json);
        const url = new URL(base + path);
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path,
            method: 'POST',
            localAddress: '127.0.0.2',
            headers: { 'Content-Type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            res.on('end', () =>
              done({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body: JSON.parse(text) }),
            );
          },
        );
        req.on('error', fail);
        req.end(body);
      });
    const flood = (n: number) => ({ from: `10.6.${n >> 8}.${n & 255}:6666`, msg: `flood ${n}`, timestamp: n });
    for (let n = 0; n < 2; n++) {
      const res = await postFrom('/messages/', { messages: Array.from({ length: 100 }, (_, i) => flood(n * 100 + i)) });
      expect((res.body.results as Array<{ status: string }>).every((r) => r.status === 'received')).to.equal(true);
    }
    const refused = await postFrom('/broadcast-peer/', flood(200));
    expect(refused.status).to.equal(429);
    expect(refused.retryAfter).to.match(/^\d+$/);
    expect(refused.body.error).to.match(/^Too many messages from senders this peer has no key for, from 127\.0\.0\.2/);
    // This machine itself is not held back, nor a sender whose key is known.
    expect((await post('/broadcast-peer/', flood(201))).status).to.equal(200);
    known.remember(BOB, bob.publicKey);
    const signed = { id: `${BOB}/x-1`, channel: 'general', from: BOB, name: 'Bob', msg: 'still heard', timestamp: 1, clock: 1 };
    expect((await postFrom('/broadcast-peer/', { ...signed, signature: bob.sign(signed) })).status).to.equal(200);
  });
});
