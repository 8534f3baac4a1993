/**
 * Attacks on a real tracker from one other address (127.0.0.2, as another machine), each beside an honest
 * user who must be unharmed: a body of spaces does not freeze the tracker, a key guesser behind made-up ids
 * pays per guess and leaves other addresses' creations alone, a flood of channels stops at its share, and so
 * does a flood of made-up registrations (a peer started afterwards still finds and meets another).
 * End-to-end test for `apps/tracker/logging.ts`, `keys.ts`, `channels.ts`, `shares.ts` (docs/security/tracker.md).
 */

import { expect } from 'chai';
import { send } from '../../scripts/attacks/kit';
import { dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

describe('a tracker under attack from one address (end to end)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  let base = '';
  after(() => processes.killAll());

  const post = (path: string, body: object, from: string) => send(base, 'POST', path, JSON.stringify(body), from);
  const register = async (ip: string, port: number, from: string) => {
    expect((await post('/submit-info/', { ip, port }, from)).status).to.equal(200);
    return `${ip}:${port}`;
  };

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '0.0.0.0', '--server-port', String(port)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 0.0.0.0 port ${port}`), STARTUP_MS);
  });

  it("answers another client's /get-list/ quickly while 1 MiB of spaces is posted to /heartbeat/", async () => {
    const attack = send(base, 'POST', '/heartbeat/', ' '.repeat(1024 * 1024), '127.0.0.2', 'text/plain');
    const honest = await send(base, 'GET', '/get-list/');
    expect(honest.status).to.equal(200);
    expect(honest.ms).to.be.below(2_000); // it took minutes when the log's expression was quadratic
    expect((await attack).status).to.equal(400);
  });

  it('makes a key guesser behind many made-up ids wait, and creates private channels from other addresses', async () => {
    const victim = await register('127.0.0.1', 39_001, '127.0.0.1');
    expect((await post('/add-list/', { peer_id: victim, channel: 'vault', key: '777' }, '127.0.0.1')).status).to.equal(200);
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => register('10.66.0.1', 20_000 + i, '127.0.0.2')));
    const guesses = ids.map((id, i) => post('/add-list/', { peer_id: id, channel: 'vault', key: String(i) }, '127.0.0.2'));
    const honestId = await register('127.0.0.3', 5001, '127.0.0.3');
    const honest = await post('/add-list/', { peer_id: honestId, channel: 'ours', key: 'k' }, '127.0.0.3');
    const statuses = (await Promise.all(guesses)).map((answer) => answer.status);
    expect(honest.status, honest.body).to.equal(200);
    expect(statuses.filter((status) => status === 403).length).to.be.at.most(3); // the rest: 429, wait your turn
    expect(statuses.filter((status) => status === 429).length).to.be.at.least(9);
  });

  it("stops made-up peers at their address's share of channels, and an honest address still creates one", async () => {
    const made: number[] = [];
    for (let p = 0; p < 8; p++) {
      const id = await register(`10.77.0.${p}`, 4000, '127.0.0.4');
      for (let c = 0; c < 6; c++) made.push((await post('/add-list/', { peer_id: id, channel: `x${p}_${c}` }, '127.0.0.4')).status);
    }
    expect(made.filter((status) => status === 200)).to.have.length(32);
    expect(made.slice(32).every((status) => status === 429)).to.equal(true);
    const honestId = await register('127.0.0.5', 5001, '127.0.0.5');
    expect((await post('/add-list/', { peer_id: honestId, channel: 'team' }, '127.0.0.5')).status).to.equal(200);
  });

  it('stops made-up registrations at 16 per address; the curl example still works and a new peer meets another', async () => {
    const answers = [];
    for (let n = 0; n < 40; n++) answers.push(await post('/submit-info/', { ip: `10.88.0.${n}`, port: 4000 }, '127.0.0.6'));
    expect(answers.filter((answer) => answer.status === 200)).to.have.length(16);
    expect(answers.slice(16).every((answer) => answer.status === 429)).to.equal(true);
    expect(JSON.parse(answers[39].body).error).to.match(/^Your address 127\.0\.0\.6 has registered 16 peers with no key, its share; /);
    const curl = await post('/submit-info/', { ip: '127.0.0.1', port: 9001 }, '127.0.0.1');
    expect(curl.body).to.equal('{"status":"ok","peer_id":"127.0.0.1:9001"}');
    const [alicePort, bobPort] = [await freePort(), await freePort()];
    const peer = (name: string, peerPort: number) =>
      processes.start(name, 'apps/peer.ts', ['--tracker', base, '--port', String(peerPort), '--name', name, '--data-dir', dataDir(name)]);
    await peer('Alice', alicePort).waitFor(exact('[Alice] > '), STARTUP_MS);
    const bob = peer('Bob', bobPort);
    await bob.waitFor(exact(`[P2P] Connected to peer: Alice (127.0.0.1:${alicePort})`), STARTUP_MS);
    const listed = (JSON.parse((await send(base, 'GET', '/get-list/')).body).peers as Array<{ peer_id: string }>).map((p) => p.peer_id);
    expect(listed.slice(0, 2)).to.have.members([`127.0.0.1:${alicePort}`, `127.0.0.1:${bobPort}`]); // proven first
    expect(listed).to.include('127.0.0.1:9001');
  });
});

describe('a private channel after a tracker restart (end to end)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  after(() => processes.killAll());

  it("stays its key's: a stranger is refused 403, public or private; a member with the key rejoins", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const folder = dataDir('tracker');
    const start = async () => {
      const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-port', String(port), '--data-dir', folder]);
      await tracker.waitFor(exact(`[Backend] Listening on IP 0.0.0.0 port ${port}`), STARTUP_MS);
      return tracker;
    };
    const post = (path: string, body: object, from: string) => send(base, 'POST', path, JSON.stringify(body), from);
    const member = { peer_id: '127.0.0.1:39101', channel: 'secret', key: 's3cret' };
    const join = async () => {
      expect((await post('/submit-info/', { ip: '127.0.0.1', port: 39101 }, '127.0.0.1')).status).to.equal(200);
      return post('/add-list/', member, '127.0.0.1');
    };
    const first = await start();
    expect(JSON.parse((await join()).body)).to.include({ status: 'ok', private: true, message: 'Created #secret' });
    await first.kill();
    await start();
    expect((await post('/submit-info/', { ip: '10.9.0.1', port: 4000 }, '127.0.0.2')).status).to.equal(200);
    const stranger = { peer_id: '10.9.0.1:4000', channel: 'secret' };
    const asPublic = await post('/add-list/', stranger, '127.0.0.2');
    expect(asPublic.status).to.equal(403);
    expect(JSON.parse(asPublic.body).error).to.equal('#secret is private; only its key joins it (in the console: /join #secret <key>)');
    expect((await post('/add-list/', { ...stranger, key: 'mine now' }, '127.0.0.2')).status).to.equal(403);
    const back = await join();
    expect(back.status, back.body).to.equal(200);
    expect(JSON.parse(back.body)).to.include({ private: true, message: 'Created #secret' });
  });
});
