/**
 * Direct messages sealed end to end, with a real tracker and two real peers: Alice's `/direct Bob ...` is shown
 * to Bob in clear, yet neither history file (Bob's holds exactly what `/send-peer/` carried) holds the text; after
 * Alice restarts, a direct message to Bob while he is down is sealed (his box key kept in known-peers.json) and queued.
 * End-to-end tests for `apps/peer/identity/envelope.ts` and `sealed.ts` through `apps/peer.ts` (new; WeApRous
 * `apps/peer.py` sent direct messages in clear).
 */

import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpClient } from '../../daemon/client';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

describe('direct messages, sealed (real tracker and peers)', function () {
  this.timeout(60_000);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  const folders: Record<string, string> = {};
  const ports: Record<string, number> = {};
  const id = (name: string) => `127.0.0.1:${ports[name]}`;
  let alice: Child;
  let bob: Child;

  async function startPeer(name: string, tracker: number): Promise<Child> {
    ports[name] = await freePort();
    folders[name] = dataDir(name);
    const args = ['--tracker', `http://127.0.0.1:${tracker}`, '--port', String(ports[name]), '--name', name, '--data-dir', folders[name]];
    const peer = processes.start(name, 'apps/peer.ts', args);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return peer;
  }

  before(async function () {
    this.timeout(90_000);
    const trackerPort = await freePort();
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    alice = await startPeer('Alice', trackerPort);
    bob = await startPeer('Bob', trackerPort);
  });
  after(async () => {
    client.close();
    await processes.killAll();
  });

  it('publishes a box key signed by the identity at /identity/', async () => {
    const body = (await client.request(`http://${id('Bob')}/identity/`)).json<Record<string, string>>();
    expect(body.box_key).to.match(/^[A-Za-z0-9+/]{43}=$/);
    expect(body.box_key_signature).to.match(/^[A-Za-z0-9+/]{86}==$/);
  });

  it("Alice's /direct reaches Bob readable, and only sealed text crosses the network and the disks", async () => {
    const secret = 'the vault code is 7391';
    alice.type(`/direct ${id('Bob')} ${secret}`);
    await alice.waitFor(exact(`[P2P] Direct message sent to ${id('Bob')}`));
    await bob.waitFor(exact(`[DIRECT] Alice (${id('Alice')}): ${secret}`));
    const atBob = readFileSync(join(folders.Bob, 'history.jsonl'), 'utf8');
    const atAlice = readFileSync(join(folders.Alice, 'history.jsonl'), 'utf8');
    expect(atBob).not.to.include('vault');
    expect(atAlice).not.to.include('vault');
    const stored = atBob
      .split('\n')
      .filter((line) => line.includes('"enc"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(stored).to.have.length(1);
    expect(stored[0]).to.include({ msg: '(encrypted)', from: id('Alice'), channel: `@${id('Bob')}` });
    expect(stored[0].signature).to.be.a('string'); // as Alice signed it, envelope included: catch-up passes it on
  });

  it("the sender's own copy stays readable to the sender, and Bob's to Bob", async () => {
    alice.type(`/history ${id('Bob')}`);
    await alice.waitFor(/Alice \(.*\): the vault code is 7391$/);
    bob.type(`/history ${id('Alice')}`);
    await bob.waitFor(/Alice \(.*\): the vault code is 7391$/);
  });
});

describe('a direct message to a peer that is down, after a restart (real tracker and peers)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  after(() => processes.killAll());

  it('is sealed with the box key kept in known-peers.json, queued, and read by Bob when he is back', async () => {
    const trackerPort = await freePort();
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    const url = `http://127.0.0.1:${trackerPort}`;
    const [alicePort, bobPort] = [await freePort(), await freePort()];
    const [aliceDir, bobDir] = [dataDir('Alice'), dataDir('Bob')];
    const start = async (name: string, port: number, folder: string) => {
      const peer = processes.startPeer(name, url, port, ['--data-dir', folder]);
      await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
      return peer;
    };
    const bobId = `127.0.0.1:${bobPort}`;
    const bob = await start('Bob', bobPort, bobDir);
    const alice = await start('Alice', alicePort, aliceDir);
    await alice.waitForLines([exact(`[P2P] Connected to peer: Bob (${bobId})`)]);
    await alice.kill();
    const aliceAgain = await start('Alice', alicePort, aliceDir);
    await aliceAgain.waitForLines([exact(`[P2P] Connected to peer: Bob (${bobId})`)]);
    const known = JSON.parse(readFileSync(join(aliceDir, 'known-peers.json'), 'utf8')) as Record<string, { box_key?: string }>;
    expect(known[bobId].box_key).to.match(/^[A-Za-z0-9+/]{43}=$/);

    await bob.kill(); // SIGKILL: no goodbye, so Alice still counts him among her peers
    const secret = 'the boat leaves at nine';
    aliceAgain.type(`/direct ${bobId} ${secret}`);
    await aliceAgain.waitFor(`[P2P]   queued for Bob (${bobId}): 1 message waiting`, 15_000);
    const bobAgain = await start('Bob', bobPort, bobDir);
    await bobAgain.waitFor(exact(`[DIRECT] Alice (127.0.0.1:${alicePort}): ${secret}`), 30_000);
    for (const folder of [aliceDir, bobDir]) {
      const file = join(folder, 'history.jsonl');
      expect(existsSync(file) ? readFileSync(file, 'utf8') : '').not.to.include('boat');
    }
  });
});
