/**
 * How many connections a server keeps: one past `maxConnections` is answered 503 with `Retry-After` and closed,
 * unread; a slot freed is a slot to reuse; and a thousand slowloris sockets trickling their heads leave a normal
 * client answered and the memory bounded. Real sockets on port 0. Tests for `createBackend`'s and `createProxy`'s
 * cap (`daemon/backend.ts`, `daemon/proxy.ts`, `turnAway` in `daemon/connection.ts`); new, WeApRous had no cap.
 */

import type { Server } from 'node:net';
import { expect } from 'chai';
import { createBackend, type Backend } from '../../daemon/backend';
import { createProxy, type Proxy } from '../../daemon/proxy';
import { parseProxyConfig } from '../../daemon/proxyconf';
import { json } from '../../daemon/response';
import { RawConnection, type RawResponse } from '../helpers/raw';

const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';

/** Opens `count` connections, `batch` at a time so the listen backlog never overflows. */
async function openMany(port: number, count: number, batch = 100): Promise<RawConnection[]> {
  const all: RawConnection[] = [];
  while (all.length < count) {
    const size = Math.min(batch, count - all.length);
    all.push(...(await Promise.all(Array.from({ length: size }, () => RawConnection.open(port)))));
  }
  return all;
}

/** Resolves once the server holds a number of sockets that `ok` accepts (a closed one leaves once its 'close' has run). */
async function connectionsReach(server: Server, ok: (open: number) => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const open = await new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    if (ok(open)) return;
    if (Date.now() > deadline) throw new Error(`the server still holds ${open} connections`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The turned-away answer, exactly as `turnAway` writes it; then the server closes. */
async function expectTurnedAway(connection: RawConnection): Promise<RawResponse> {
  const res = await connection.readOne({ timeoutMs: 3_000 });
  expect(res.status).to.equal(503);
  expect(res.headers['retry-after']).to.equal('5');
  expect(res.headers['connection']).to.equal('close');
  expect(res.headers['content-type']).to.equal('application/json');
  expect(JSON.parse(res.body.toString())).to.have.property('status', 'error');
  await connection.waitForClose(3_000);
  return res;
}

describe('maxConnections (backend.ts, proxy.ts)', () => {
  let backend: Backend | undefined;
  let proxy: Proxy | undefined;
  let sockets: RawConnection[] = [];

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets = [];
    await backend?.close();
    await proxy?.close();
    backend = proxy = undefined;
  });

  it('answers the connection past the cap 503 with Retry-After, closes it, and accepts again once some close', async () => {
    backend = await createBackend('127.0.0.1', 0, () => json({ ok: true }), { maxConnections: 50, closeGraceMs: 100 });
    const port = backend.address().port;
    sockets = await openMany(port, 50);
    // An answer on each proves the server has taken all 50 (a client's 'connect' can come before the server's accept).
    await Promise.all(sockets.map(async (s) => (await s.write(GET), expect((await s.readOne()).status).to.equal(200))));

    const extra = await RawConnection.open(port);
    await extra.write(GET); // never parsed: the answer is the same whatever it sends
    await expectTurnedAway(extra);

    for (const s of sockets.splice(0, 10)) s.destroy();
    await connectionsReach(backend.server, (open) => open <= 40);
    const again = await openMany(port, 10);
    sockets.push(...again);
    await Promise.all(again.map(async (s) => (await s.write(GET), expect((await s.readOne()).status).to.equal(200))));
    await expectTurnedAway(await RawConnection.open(port));
  });

  it('turns away a client that sends nothing at all, without waiting for its bytes', async () => {
    backend = await createBackend('127.0.0.1', 0, () => json({ ok: true }), { maxConnections: 1, closeGraceMs: 100 });
    sockets = [await RawConnection.open(backend.address().port)];
    await connectionsReach(backend.server, (open) => open === 1);
    await expectTurnedAway(await RawConnection.open(backend.address().port));
  });

  it('caps the reverse proxy the same way', async () => {
    const config = parseProxyConfig('host "app.test" { proxy_pass http://127.0.0.1:9; }');
    if (config.kind === 'error') throw new Error(config.message);
    proxy = await createProxy('127.0.0.1', 0, config.hosts, { maxConnections: 2, closeGraceMs: 100 });
    const port = proxy.address().port;
    sockets = await openMany(port, 2);
    await sockets[0].write('GET / HTTP/1.1\r\n'); // a head in progress holds its slot
    await connectionsReach(proxy.server, (open) => open === 2);
    await expectTurnedAway(await RawConnection.open(port));
  });

  it('keeps answering a normal client while 1,000 slowloris sockets trickle their heads', async function () {
    this.timeout(60_000);
    const SLOW = 1_000;
    const REQUESTS = 100;
    // Room for the slow sockets and the normal client: with exactly 1,000 (the default cap) the slowloris would
    // fill every slot and the normal client would get the 503, until headersTimeoutMs (30 s) frees them.
    backend = await createBackend('127.0.0.1', 0, () => json({ ok: true }), { maxConnections: SLOW + 50, closeGraceMs: 100 });
    const port = backend.address().port;
    global.gc?.();
    const before = process.memoryUsage();

    sockets = await openMany(port, SLOW);
    await Promise.all(sockets.map((s) => s.write('GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ')));
    // Each slow socket sends a byte every 200 ms, a fifth of them every 40 ms: spread in time, as strangers' bytes are.
    let trickled = 0;
    const trickle = setInterval(() => {
      for (let i = trickled % 5; i < sockets.length; i += 5) if (!sockets[i].closed) sockets[i].socket.write('a');
      trickled++;
    }, 40);

    const times: number[] = [];
    try {
      for (let i = 0; i < REQUESTS; i++) {
        const started = process.hrtime.bigint();
        const client = await RawConnection.open(port);
        await client.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
        const res = await client.readOne({ timeoutMs: 5_000 });
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        client.destroy();
        expect(res.status).to.equal(200);
        await new Promise((resolve) => setTimeout(resolve, 10)); // a normal client's pace, while the trickle goes on
      }
    } finally {
      clearInterval(trickle);
    }
    const after = process.memoryUsage();

    expect(sockets.filter((s) => s.closed)).to.have.length(0); // every slow socket was held, none dropped
    times.sort((a, b) => a - b);
    const p99 = times[Math.ceil(times.length * 0.99) - 1];
    const mb = (bytes: number): string => `${bytes < 0 ? '' : '+'}${(bytes / 1024 / 1024).toFixed(1)}`;
    // Measured, not asserted (speed is the benchmarks' business); both ends of every socket live in this process.
    console.log(
      `      ${SLOW} slowloris sockets, ${trickled * 200} bytes trickled: normal client p50 ${times[Math.floor(times.length / 2)].toFixed(1)} ms, ` +
        `p99 ${p99.toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms; ` +
        `rss ${mb(after.rss - before.rss)} MB, heapUsed ${mb(after.heapUsed - before.heapUsed)} MB`,
    );
    // Generous: a few KiB per socket at each end, far from what 1,000 buffered heads could cost if unbounded.
    expect(after.heapUsed - before.heapUsed).to.be.below(64 * 1024 * 1024);
    expect(after.rss - before.rss).to.be.below(256 * 1024 * 1024);
  });
});
