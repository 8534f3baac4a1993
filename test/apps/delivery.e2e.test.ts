/**
 * Delivery that loses nothing, run for real as processes: messages queued for a peer that is down outlive
 * the sender's own SIGKILL and reach the peer after both restart; a hung peer delays no message to the
 * others. End-to-end tests for `apps/peer/delivery/delivery.ts` wired into `apps/peer.ts` (issue 7, item 5).
 */

import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { HttpClient } from '../../daemon/client';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

describe('delivery through the outbox (end to end)', function () {
  this.timeout(60_000);
  const processes = new Processes();
  let trackerUrl = '';

  beforeEach(async () => {
    const trackerPort = await freePort();
    trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
  });
  afterEach(() => processes.killAll());

  async function startPeer(name: string, port: number, folder: string): Promise<Child> {
    const args = ['--tracker', trackerUrl, '--port', String(port), '--name', name, '--data-dir', folder];
    const peer = processes.start(name, 'apps/peer.ts', args);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return peer;
  }

  it('a sender killed with messages queued delivers them, in order, after its own restart', async () => {
    const [bobPort, alicePort] = [await freePort(), await freePort()];
    const [bobFolder, aliceFolder] = [dataDir('Bob'), dataDir('Alice')];
    const bob = await startPeer('Bob', bobPort, bobFolder);
    const alice = await startPeer('Alice', alicePort, aliceFolder);
    await alice.waitForLines([exact(`[P2P] Connected to peer: Bob (127.0.0.1:${bobPort})`)]);
    await bob.kill();

    for (let i = 1; i <= 5; i++) alice.type(`m${i}`);
    for (let i = 1; i <= 5; i++) {
      await alice.waitFor(`[P2P]   queued for Bob (127.0.0.1:${bobPort}): ${i} message${i === 1 ? '' : 's'} waiting`);
    }
    await alice.kill(); // SIGKILL, with five messages in Bob's outbox

    const bobAgain = await startPeer('Bob', bobPort, bobFolder);
    const from = bobAgain.lines.length;
    const aliceAgain = await startPeer('Alice', alicePort, aliceFolder);
    await bobAgain.waitFor(exact(`[BROADCAST] Alice (127.0.0.1:${alicePort}): m5`), 15_000);
    const shown = bobAgain.since(from).filter((line) => line.startsWith('[BROADCAST]'));
    expect(shown).to.deep.equal([1, 2, 3, 4, 5].map((i) => `[BROADCAST] Alice (127.0.0.1:${alicePort}): m${i}`));
    // Named once the tracker has listed Bob; by his id alone if the outbox got there first.
    await aliceAgain.waitForLines([new RegExp(`^\\[P2P\\] Delivered 5 waiting messages to (Bob \\()?127\\.0\\.0\\.1:${bobPort}\\)?$`)]);
  });

  describe('a hung peer', () => {
    let hung: Server;
    const sockets: Socket[] = [];
    beforeEach(async () => {
      hung = createServer((socket) => void sockets.push(socket)); // accepts, reads, never answers
      await new Promise<void>((done) => hung.listen(0, '127.0.0.1', () => done()));
    });
    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.destroy();
      await new Promise<void>((done) => hung.close(() => done()));
    });

    it('delays no message to the others, and what it did not take waits in its outbox', async () => {
      const bobPort = await freePort();
      const bob = await startPeer('Bob', bobPort, dataDir('Bob'));
      const alicePort = await freePort();
      const alice = await startPeer('Alice', alicePort, dataDir('Alice'));
      await alice.waitForLines([exact(`[P2P] Connected to peer: Bob (127.0.0.1:${bobPort})`)]);
      const hungPort = (hung.address() as { port: number }).port;
      const client = new HttpClient({ timeoutMs: 5_000 });
      const body = { ip: '127.0.0.1', port: hungPort, name: 'Hung' };
      expect((await client.request(`http://127.0.0.1:${alicePort}/connect-peer/`, { method: 'POST', json: body })).status).to.equal(200);
      client.close();

      const started = Date.now();
      for (const line of ['one', 'two', 'three']) alice.type(line);
      await bob.waitFor(exact(`[BROADCAST] Alice (127.0.0.1:${alicePort}): three`));
      // One after another, each would wait for the hung peer's 3 s timeout: "three" would come after 6 s.
      expect(Date.now() - started).to.be.below(2_000);
      await alice.waitFor(exact('[P2P] Broadcast sent to 1/2 peers'), 10_000);
      await alice.waitFor(`[P2P]   queued for Hung (127.0.0.1:${hungPort}): `);
      alice.type('/peers');
      await alice.waitFor(new RegExp(`^ {2}- Hung \\(127\\.0\\.0\\.1:${hungPort}\\) \\[unverified\\] - \\d messages? waiting$`)); // it sent no key
    });
  });
});
