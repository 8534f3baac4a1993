/**
 * Channels on the real tracker: `apps/tracker.ts` started as its own process, driven over HTTP with
 * `POST /add-list/` and `GET /get-list/?channel=` as curl would, its log lines awaited; `/get-list/` without
 * a channel answers exactly as the reference document shows, and a restarted tracker learns channels again
 * from heartbeats. End-to-end tests for issue 7's tracker half (new: WeApRous's tracker had no channels).
 */

import { expect } from 'chai';
import { HttpClient, type ClientResponse } from '../../daemon/client';
import { Child, exact, freePort, Processes, STARTUP_MS } from './child';

describe('channels on the real tracker (e2e)', () => {
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  let tracker: Child;
  let base: string;
  let port: number;

  async function startTracker(): Promise<void> {
    tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(port)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${port}`), STARTUP_MS);
  }

  before(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await startTracker();
  });
  after(async () => {
    client.close();
    await processes.killAll();
  });

  const post = (path: string, body: unknown): Promise<ClientResponse> =>
    client.request(base + path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  const peerIds = (res: ClientResponse) => res.json<{ peers: Array<{ peer_id: string }> }>().peers.map((p) => p.peer_id);

  it('joins, lists and leaves channels over HTTP, and /get-list/ stays as the document shows', async () => {
    for (const p of [5001, 5002, 9001])
      expect((await post('/submit-info/', { ip: '127.0.0.1', port: p, peer_id: `127.0.0.1:${p}` })).status).to.equal(200);

    const joined = await post('/add-list/', { peer_id: '127.0.0.1:5001', channel: 'team' });
    expect(joined.text()).to.equal('{"status":"ok","channel":"team","private":false,"message":"Created #team","count":1}');
    await tracker.waitFor(exact('[Tracker] Created #team: 127.0.0.1:5001 - Members: 1'));
    expect((await post('/add-list/', { peer_id: '127.0.0.1:5002', channel: '#Team' })).status).to.equal(200);

    const team = await client.request(`${base}/get-list/?channel=team`);
    expect(team.status).to.equal(200);
    expect(team.json()).to.deep.include({ status: 'ok', channel: 'team', count: 2 });
    expect(peerIds(team)).to.deep.equal(['127.0.0.1:5001', '127.0.0.1:5002']);
    await tracker.waitFor(exact('[Tracker] Returning 2 peers in #team'));

    const all = await client.request(`${base}/get-list/`);
    expect(all.text()).to.equal(
      '{"status":"ok","count":3,"peers":[{"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001"},' +
        '{"ip":"127.0.0.1","port":5002,"peer_id":"127.0.0.1:5002"},{"ip":"127.0.0.1","port":9001,"peer_id":"127.0.0.1:9001"}]}',
    );
    await tracker.waitFor(exact('[Tracker] Returning 3 peers'));

    const left = await post('/add-list/', { peer_id: '127.0.0.1:5001', channel: 'team', leave: true });
    expect(left.json()).to.deep.include({ message: 'Left #team', count: 1 });
    expect(peerIds(await client.request(`${base}/get-list/?channel=team`))).to.deep.equal(['127.0.0.1:5002']);
  });

  it('keeps private channels behind their key, and never logs the key', async () => {
    const created = await post('/add-list/', { peer_id: '127.0.0.1:5001', channel: 'secret-club', key: 'hunter2' });
    expect(created.json()).to.deep.include({ private: true, message: 'Created #secret-club' });
    const wrong = await post('/add-list/', { peer_id: '127.0.0.1:9001', channel: 'secret-club', key: 'guess' });
    expect(wrong.status).to.equal(403);
    expect(wrong.json()).to.deep.equal({ status: 'error', error: 'Wrong key for #secret-club; use the key it was created with' });
    expect((await post('/add-list/', { peer_id: '127.0.0.1:5002', channel: 'secret-club', key: 'hunter2' })).status).to.equal(200);
    await tracker.waitFor('[Tracker] Joined #secret-club: 127.0.0.1:5002');
    expect(tracker.lines.join('\n')).not.to.include('hunter2');
  });

  it('refuses an address no peer can reach with 400 and a sentence', async () => {
    const res = await post('/submit-info/', { ip: '0.0.0.0', port: 5009 });
    expect(res.status).to.equal(400);
    expect(res.json<{ error: string }>().error).to.match(/^"ip" 0\.0\.0\.0 is the "any address" a server listens on; send the address/);
  });

  it('after a restart, learns channels again from heartbeats', async () => {
    tracker.signal('SIGTERM');
    await tracker.waitForExit();
    await startTracker();
    expect((await post('/heartbeat/', { peer_id: '127.0.0.1:5002' })).status).to.equal(404);
    await post('/submit-info/', { ip: '127.0.0.1', port: 5002 });
    const beat = await post('/heartbeat/', {
      peer_id: '127.0.0.1:5002',
      channels: [{ channel: 'team' }, { channel: 'secret-club', key: 'hunter2' }],
    });
    expect(beat.json()).to.deep.equal({
      status: 'ok',
      peer_id: '127.0.0.1:5002',
      ttl: 300,
      channels: ['team', 'secret-club'],
      refused: [],
    });
    expect(peerIds(await client.request(`${base}/get-list/?channel=secret-club`))).to.deep.equal(['127.0.0.1:5002']);
  });
});
