/**
 * A peer's registration at the tracker belongs to its key, run for real as processes: a running peer
 * registers with its public key and its name (shown on the status page); a third party's unsigned `/remove/` and `/heartbeat/`, and a `/submit-info/`
 * that tries to rename it or bind another key, all get 401, and the peer stays listed.
 * End-to-end test for `apps/tracker/binding.ts` and `apps/peer/network/tracker-client.ts` (issue 7, item 7).
 */

import { expect } from 'chai';
import { HttpClient } from '../../daemon/client';
import { loadOrCreateIdentity } from '../../apps/peer/identity/identity';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

describe('a registration belongs to its key (end to end)', function () {
  this.timeout(60_000);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  let trackerUrl = '';
  let tracker: Child;
  let alicePort = 0;
  let alice: Child;
  after(async () => {
    client.close();
    await processes.killAll();
  });

  const post = (path: string, json: object) => client.request(trackerUrl + path, { method: 'POST', json });
  const listed = async () => (await client.request(trackerUrl + '/get-list/')).json<{ peers: Array<Record<string, unknown>> }>().peers;

  it('a running peer registers with its key', async () => {
    const trackerPort = await freePort();
    trackerUrl = `http://127.0.0.1:${trackerPort}`;
    tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    alicePort = await freePort();
    alice = processes.start('Alice', 'apps/peer.ts', ['--tracker', trackerUrl, '--port', String(alicePort), '--name', 'Alice']);
    await alice.waitFor(exact('[Alice] > '), STARTUP_MS);
    await tracker.waitFor(new RegExp(`^\\[Tracker\\] Key bound: 127\\.0\\.0\\.1:${alicePort} \\(.{43}=\\)$`));
  });

  it("a third party cannot remove, heartbeat or rename another peer's registration", async () => {
    const id = `127.0.0.1:${alicePort}`;
    const register = { ip: '127.0.0.1', port: alicePort, peer_id: id };
    const mallory = loadOrCreateIdentity(dataDir('Mallory'));
    const rebind = { ...register, name: 'Mallory', public_key: mallory.publicKey, time: Date.now() };
    const attempts: Array<[string, object]> = [
      ['/remove/', { peer_id: id }],
      ['/heartbeat/', { peer_id: id }],
      ['/submit-info/', { ...register, name: 'Mallory' }],
      ['/submit-info/', { ...rebind, signature: mallory.sign(rebind) }],
    ];
    for (const [path, body] of attempts) {
      const res = await post(path, body);
      expect(res.status, path).to.equal(401);
      expect(res.json<{ error: string }>().error).to.match(new RegExp(`^127\\.0\\.0\\.1:${alicePort} is registered with `));
    }
    expect(await listed()).to.deep.equal([{ ...register, name: 'Alice' }]);
  });

  it("the tracker's status page names the peer: it sent its name with its registration", async () => {
    const status = (await client.request(trackerUrl + '/status/')).json<{ peers: Array<{ peer_id: string; name?: string }> }>();
    expect(status.peers.map(({ peer_id, name }) => ({ peer_id, name }))).to.deep.equal([
      { peer_id: `127.0.0.1:${alicePort}`, name: 'Alice' },
    ]);
  });

  it('the peer itself still writes its registration: its signed /add-list/ is taken', async () => {
    alice.type('/join #team');
    await alice.waitFor(exact('[Channel] Created #team: you are in #team (1 member); plain text goes there now'));
    await tracker.waitFor(exact(`[Tracker] Created #team: 127.0.0.1:${alicePort} - Members: 1`));
  });
});

describe("a stranger cannot bind another peer's id to its own key (end to end)", function () {
  this.timeout(60_000);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  after(async () => {
    client.close();
    await processes.killAll();
  });

  it('at the tracker and at a peer before that peer starts; the real peer then registers and chats', async () => {
    const trackerPort = await freePort();
    const trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    const alicePort = await freePort();
    const alice = processes.start('Alice', 'apps/peer.ts', ['--tracker', trackerUrl, '--port', String(alicePort), '--name', 'Alice']);
    await alice.waitFor(exact('[Alice] > '), STARTUP_MS);

    // Mallory names Bob's future address with her own key, signed by it, at the tracker and at Alice.
    const bobPort = await freePort();
    const bobId = `127.0.0.1:${bobPort}`;
    const mallory = loadOrCreateIdentity(dataDir('Mallory'));
    const claim = { ip: '127.0.0.1', port: bobPort, peer_id: bobId, name: 'Bob', public_key: mallory.publicKey, time: Date.now() };
    const signed = { ...claim, signature: mallory.sign(claim) };
    const atTracker = await client.request(`${trackerUrl}/submit-info/`, { method: 'POST', json: signed });
    expect(atTracker.status).to.equal(401);
    expect(atTracker.json<{ error: string }>().error).to.match(
      /^The key offered for 127\.0\.0\.1:\d+ cannot be confirmed: the peer listening at that address must answer GET \/identity\/ with it/,
    );
    const atAlice = await client.request(`http://127.0.0.1:${alicePort}/connect-peer/`, { method: 'POST', json: signed });
    expect(atAlice.status).to.equal(401);

    const bob = processes.start('Bob', 'apps/peer.ts', ['--tracker', trackerUrl, '--port', String(bobPort), '--name', 'Bob']);
    await tracker.waitFor(new RegExp(`^\\[Tracker\\] Key bound: 127\\.0\\.0\\.1:${bobPort} \\(.{43}=\\)$`), STARTUP_MS);
    await alice.waitFor(exact(`[P2P] Peer connected: Bob (${bobId})`));
    await bob.waitFor(exact('[Bob] > '));
    bob.type('hello from the real Bob');
    await alice.waitFor(exact(`[BROADCAST] Bob (${bobId}): hello from the real Bob`));
    // Once Alice knows Bob's key, Mallory's claim is refused as a different key.
    const again = await client.request(`http://127.0.0.1:${alicePort}/connect-peer/`, { method: 'POST', json: signed });
    expect(again.status).to.equal(401);
    expect(again.json<{ error: string }>().error).to.match(/^This peer knows another key for 127\.0\.0\.1:\d+/);
  });
});
