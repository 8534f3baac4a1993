/**
 * `/outbox` with real processes: Alice sends to a key-less peer that is gone (the walkthrough's curl `TestPeer`),
 * `/outbox` lists what waits for it, `/outbox drop TestPeer` empties that queue, and the next broadcast no longer
 * speaks of it. End-to-end test for `apps/peer/delivery/outboxes.ts` and the console's `/outbox`.
 */

import { expect } from 'chai';
import { HttpClient } from '../../daemon/client';
import { exact, freePort, Processes, STARTUP_MS } from './child';

describe('/outbox (end to end)', function () {
  this.timeout(60_000);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  after(async () => {
    client.close();
    await processes.killAll();
  });

  it('lists what waits for a gone key-less peer, drops it on request, and the next broadcast is clean', async () => {
    const alicePort = await freePort();
    const dead = await freePort(); // TestPeer: nothing listens there
    const tracker = `http://127.0.0.1:${await freePort()}`;
    const alice = processes.start('Alice', 'apps/peer.ts', ['--tracker', tracker, '--port', String(alicePort), '--name', 'Alice']);
    await alice.waitFor(exact('[Alice] > '), STARTUP_MS);
    const testPeer = { ip: '127.0.0.1', port: dead, peer_id: `127.0.0.1:${dead}`, name: 'TestPeer' };
    await client.request(`http://127.0.0.1:${alicePort}/connect-peer/`, { method: 'POST', json: testPeer });
    alice.type('Hello TestPeer');
    await alice.waitFor(/queued for TestPeer/);
    alice.type('/outbox');
    await alice.waitFor(exact('Messages waiting (1 peer):'));
    const line = await alice.waitFor(/^ {2}- TestPeer/);
    expect(line).to.match(new RegExp(`^  - TestPeer \\(127\\.0\\.0\\.1:${dead}\\): 1 message, oldest \\d+s ago, next try (now|in \\d+s)$`));
    alice.type('/outbox drop TestPeer');
    await alice.waitFor(exact(`[P2P] Dropped 1 message waiting for TestPeer (127.0.0.1:${dead}) (they stay in this peer's history)`));
    alice.type('/outbox');
    await alice.waitFor(exact('No messages are waiting for any peer'));
    alice.type('Hello again');
    const after = await alice.waitFor(/^\[P2P\] (Broadcast sent|No connected peers)/);
    expect(after).not.to.include('TestPeer');
  });
});
