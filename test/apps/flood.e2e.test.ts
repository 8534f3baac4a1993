/**
 * A flood of fake peers, run for real: 1,100 `/connect-peer/` calls naming addresses that accept a connection and
 * never answer. The peer keeps at most 1,000 (503 beyond), a broadcast then opens at most 64 connections at once,
 * and the peer's own server keeps answering meanwhile. Before issue 7 the same flood made every broadcast open
 * 1,000 sockets and reset the peer's incoming connections. End-to-end test for `apps/peer/delivery/delivery.ts` and the
 * limits in `apps/peer/network/routes.ts`.
 */

import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { HttpClient } from '../../daemon/client';
import { dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

describe('a peer flooded with fake peers (end to end)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 10_000 });
  let hole: Server;
  const held = new Set<Socket>();
  let most = 0;

  before(async () => {
    // Accepts on every 127.x.y.z (the whole loopback block is this machine), reads, never answers.
    hole = createServer((socket) => {
      held.add(socket);
      most = Math.max(most, held.size);
      socket.on('error', () => {});
      socket.on('close', () => held.delete(socket));
    });
    await new Promise<void>((resolve) => hole.listen(0, '0.0.0.0', () => resolve()));
  });

  after(async () => {
    processes.killAll();
    client.close();
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => hole.close(() => resolve()));
  });

  it('keeps at most 1,000 peers, sends a broadcast over at most 64 connections at once, and its own server answers', async () => {
    const holePort = (hole.address() as { port: number }).port;
    const port = await freePort();
    const args = ['--tracker', 'http://127.0.0.1:1', '--port', String(port), '--name', 'Target', '--data-dir', dataDir('Target')];
    const target = processes.start('Target', 'apps/peer.ts', args);
    await target.waitFor(exact('[Target] > '), STARTUP_MS);
    const base = `http://127.0.0.1:${port}`;

    const statuses: number[] = [];
    for (let i = 0; i < 1_100; i++) {
      const ip = `127.0.${2 + (i >> 8)}.${i & 255}`;
      const res = await client.request(`${base}/connect-peer/`, { json: { ip, port: holePort, name: `fake${i}` } });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 1_000).every((status) => status === 200)).to.equal(true);
    expect(statuses.slice(1_000).every((status) => status === 503)).to.equal(true);

    target.type('hello, 1,000 fake peers');
    // While the broadcast is stuck on peers that never answer, the peer's own server still answers at once.
    for (let i = 0; i < 20; i++) {
      const res = await client.request(`${base}/send-peer/`, {
        json: { from: '127.0.0.1:9001', name: 'TestPeer', msg: `still here ${i}`, timestamp: 1699680000 + i },
      });
      expect(res.status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await target.waitFor(exact('[DIRECT] TestPeer (127.0.0.1:9001): still here 19'), 10_000);
    expect(most).to.be.at.least(1).and.at.most(64);
  });
});
