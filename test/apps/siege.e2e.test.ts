/**
 * Every attack of docs/security.md at once, from one address (127.0.0.2), against a real tracker and three real
 * peers that go on chatting meanwhile: it counts what was lost (nothing may be) and how long each honest message
 * took to reach the other two screens. The attacks are the scripts of scripts/attacks/. New; no WeApRous twin.
 */

import { expect } from 'chai';
import { trickle } from '../../scripts/attacks/body-budget';
import { connectFlood } from '../../scripts/attacks/peer-in-connect-flood';
import { floodHistory } from '../../scripts/attacks/peer-in-flood-history';
import { loginSiege } from '../../scripts/attacks/peer-in-login';
import { send } from '../../scripts/attacks/kit';
import { dataDir, exact, freePort, passwordFile, Processes, STARTUP_MS, type Child } from './child';

const ATTACKER = '127.0.0.2';

/** Registrations and channels made up from one address, as fast as the tracker answers, for `ms`. */
async function tableFloods(tracker: string, ms: number): Promise<Record<string, number>> {
  const answers: Record<string, number> = {};
  const until = Date.now() + ms;
  for (let i = 0; Date.now() < until; i++) {
    const id = `10.66.${(i >> 8) & 255}.${i & 255}`;
    const registered = await send(tracker, 'POST', '/submit-info/', JSON.stringify({ ip: id, port: 9, peer_id: `${id}:9` }), ATTACKER);
    const channel = await send(
      tracker,
      'POST',
      '/add-list/',
      JSON.stringify({ peer_id: `${id}:9`, channel: `junk${i}`, key: `${i}` }),
      ATTACKER,
    );
    for (const status of [registered.status, channel.status]) answers[status] = (answers[status] ?? 0) + 1;
  }
  return answers;
}

describe('every attack at once from one address, while three peers chat (end to end)', function () {
  this.timeout(180_000);
  const processes = new Processes();
  let trackerPort = 0;
  const peers = new Map<string, { child: Child; port: number }>();

  before(async () => {
    trackerPort = await freePort();
    const tracker = processes.start('tracker', 'apps/tracker.ts', [
      '--server-port',
      String(trackerPort),
      '--quiet',
      '--data-dir',
      dataDir('siege-tracker'),
    ]);
    await tracker.waitFor(/Listening on IP .* port/, STARTUP_MS);
    for (const name of ['Alice', 'Bob', 'Carol']) {
      const port = await freePort();
      const args = [
        '--tracker',
        `http://127.0.0.1:${trackerPort}`,
        '--port',
        String(port),
        '--name',
        name,
        '--password-file',
        passwordFile('hunter22'),
      ];
      const child = processes.start(name, 'apps/peer.ts', [...args, '--data-dir', dataDir(`siege-${name}`)]);
      await child.waitFor(exact(`[${name}] > `), STARTUP_MS);
      peers.set(name, { child, port });
    }
    await peers.get('Alice')!.child.waitFor(/Peer connected: Carol/, STARTUP_MS, 0);
  });
  after(() => processes.killAll());

  const url = (name: string) => `http://127.0.0.1:${peers.get(name)!.port}`;

  /** `from` types `text`; resolves with how long until both others show it. */
  async function say(from: string, text: string): Promise<number> {
    const others = [...peers.keys()].filter((name) => name !== from).map((name) => peers.get(name)!.child);
    const marks = others.map((child) => child.lines.length);
    const started = Date.now();
    peers.get(from)!.child.type(text);
    await Promise.all(others.map((child, i) => child.waitFor(new RegExp(`\\[BROADCAST\\] ${from} .*: ${text}$`), 20_000, marks[i])));
    return Date.now() - started;
  }

  it('loses no honest message, and keeps each one within a second or two, while every attack runs', async () => {
    const tracker = `http://127.0.0.1:${trackerPort}`;
    const trickles = await Promise.all([trickle(trackerPort, ATTACKER), trickle(peers.get('Alice')!.port, ATTACKER)]);
    const spaces = send(tracker, 'POST', '/heartbeat/', ' '.repeat(1024 * 1024), ATTACKER, 'text/plain');
    const attacks = Promise.all([
      spaces,
      tableFloods(tracker, 15_000),
      connectFlood(url('Alice'), 500, ATTACKER),
      floodHistory(url('Bob'), 16, ATTACKER),
      loginSiege(url('Carol'), 'hunter22', ATTACKER, 4, 20),
    ]);
    const waits: number[] = [];
    for (let i = 1; i <= 12; i++) waits.push(await say(['Alice', 'Bob', 'Carol'][i % 3], `siege ${i}`));
    const [, tables, connects, history, login] = await attacks;
    for (const t of trickles) t.stop();

    const slow = waits.filter((ms) => ms > 1_000).length;
    console.log(`      honest waits (ms): ${waits.join(', ')}; over 1 s: ${slow} of ${waits.length}`);
    console.log(`      attacker got: tables ${JSON.stringify(tables)}, history ${JSON.stringify(history.answers)}`);
    expect(waits).to.have.length(12); // every honest message reached both others (else say() times out)
    expect(Math.max(...waits)).to.be.below(3_000);
    expect(tables['429']).to.be.greaterThan(0); // the made-up ids and channels met their share
    expect(connects.realPeer).to.equal(200);
    expect(history.takenMiB).to.be.below(2);
    expect(login.owner).to.deep.equal({ 303: 20 });
  });
});
