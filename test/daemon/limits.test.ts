/**
 * How many connections a server keeps: one past `maxConnections` is answered 503 with `Retry-After` and closed,
 * unread; a slot freed is a slot to reuse; a thousand slowloris sockets trickling their heads leave a normal
 * client answered and the memory bounded; a thousand slow heads from one address fill only that address's
 * share; and a crowded server lets slow heads go sooner. Real sockets on port 0; a second loopback address
 * (127.0.0.2) plays the stranger. Tests for `createBackend`'s and `createProxy`'s caps (`daemon/backend.ts`,
 * `daemon/admission.ts`, `daemon/proxy.ts`, `turnAway` in `daemon/admission.ts`); new, WeApRous had no cap.
 */

import { connect, type Server, type Socket } from 'node:net';
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
    // What a held slow head costs, so room for twice as many: below three quarters of the cap the server is not
    // crowded and lets each head take its 30 s. (From 127.0.0.1, which has no cap of its own; the tests below
    // send the same flood from another address, and fill the server.)
    backend = await createBackend('127.0.0.1', 0, () => json({ ok: true }), { maxConnections: 2 * SLOW, closeGraceMs: 100 });
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

/** A client connected from `localAddress` (a second loopback address is a second machine to the server). */
class Stranger {
  text = '';
  closed = false;
  private readonly closing: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => (this.text += text));
    socket.on('error', () => {});
    this.closing = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  static open(port: number, localAddress: string): Promise<Stranger> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Stranger(socket));
      });
    });
  }

  /** Resolves once the server has closed the connection; rejects after `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<void> {
    let timer!: NodeJS.Timeout;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms; got ${JSON.stringify(this.text)}`)), timeoutMs);
    });
    return Promise.race([this.closing, late]).finally(() => clearTimeout(timer));
  }
}

/** Resolves as soon as `count` of `strangers` have been closed by the server; rejects after `timeoutMs`. */
function someClosed(strangers: Stranger[], count: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let closed = 0;
    const timer = setTimeout(() => reject(new Error(`${closed} of ${count} closed within ${timeoutMs} ms`)), timeoutMs);
    const one = (): void => {
      if (++closed !== count) return;
      clearTimeout(timer);
      resolve();
    };
    for (const stranger of strangers) void stranger.closedWithin(timeoutMs + 1_000).then(one, () => {}); // also those closed already
  });
}

/** `count` strangers from `localAddress`, `batch` at a time, each sending the first line of a head and no more. */
async function slowHeads(port: number, localAddress: string, count: number, batch = 100): Promise<Stranger[]> {
  const all: Stranger[] = [];
  while (all.length < count) {
    const size = Math.min(batch, count - all.length);
    all.push(...(await Promise.all(Array.from({ length: size }, () => Stranger.open(port, localAddress)))));
  }
  for (const stranger of all) stranger.socket.write('GET / HTTP/1.1\r\nHost: a\r\n');
  return all;
}

/** A normal client's request from 127.0.0.1, on a connection of its own. */
async function normalGet(port: number): Promise<number> {
  const client = await RawConnection.open(port);
  try {
    await client.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    return (await client.readOne({ timeoutMs: 3_000 })).status;
  } finally {
    client.destroy();
  }
}

describe('maxConnectionsPerAddress and crowded heads (backend.ts, admission.ts)', () => {
  let backend: Backend | undefined;
  let strangers: Stranger[] = [];

  afterEach(async () => {
    for (const stranger of strangers) stranger.socket.destroy();
    strangers = [];
    await backend?.close();
    backend = undefined;
  });

  it('the slow-header flood (1,000 connections from one address, a header line now and then) holds 64 slots, and others are answered', async function () {
    this.timeout(30_000);
    backend = await createBackend('127.0.0.1', 0, () => json({ ok: true }), { closeGraceMs: 100 }); // the defaults: 1,000 and 64
    const port = backend.address().port;
    strangers = await slowHeads(port, '127.0.0.2', 1_000);
    await someClosed(strangers, 1_000 - 64, 5_000);
    await connectionsReach(backend.server, (open) => open === 64);

    const turnedAway = strangers.filter((s) => s.closed);
    expect(turnedAway).to.have.length(1_000 - 64);
    for (const stranger of turnedAway) {
      expect(stranger.text).to.match(/^HTTP\/1\.1 503 Service Unavailable\r\nRetry-After: 5\r\n/);
      expect(stranger.text).to.include('Too many connections are open from your address');
    }
    for (const stranger of strangers.filter((s) => !s.closed)) stranger.socket.write('X-Slow: 1\r\n'); // the next line of each held head
    for (let i = 0; i < 20; i++) expect(await normalGet(port)).to.equal(200);
    // Another stranger's machine has a share of its own.
    const other = await Stranger.open(port, '127.0.0.3');
    strangers.push(other);
    other.socket.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await other.closedWithin(3_000);
    expect(other.text).to.match(/^HTTP\/1\.1 200 OK/);
  });

  it('gives an address its slots back as its connections close', async () => {
    backend = await createBackend('127.0.0.1', 0, () => json({ ok: true }), { maxConnectionsPerAddress: 3, closeGraceMs: 100 });
    const port = backend.address().port;
    strangers = await slowHeads(port, '127.0.0.2', 4, 1); // one at a time: the fourth is the one over
    await strangers[3].closedWithin(3_000);
    expect(strangers[3].text).to.include('Too many connections are open from your address');
    strangers[0].socket.destroy();
    // The server hears that close a moment later: ask until a connection from the address is let in again.
    const deadline = Date.now() + 3_000;
    for (;;) {
      const again = await Stranger.open(port, '127.0.0.2');
      strangers.push(again);
      again.socket.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      await again.closedWithin(3_000);
      if (again.text.startsWith('HTTP/1.1 200 OK')) break;
      expect(Date.now()).to.be.below(deadline, 'the address never got its slot back');
    }
  });

  it('lets slow heads go after crowdedHeadersTimeoutMs once the server is three quarters full, and the others get in', async () => {
    backend = await createBackend('127.0.0.1', 0, () => json({ ok: true }), {
      maxConnections: 40,
      crowdedHeadersTimeoutMs: 300,
      closeGraceMs: 100,
    });
    const port = backend.address().port;
    // 40 slow heads from four addresses (10 each, under any per-address cap): the server is full.
    for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) strangers.push(...(await slowHeads(port, address, 10)));
    expect(await normalGet(port)).to.equal(503);
    await Promise.all(strangers.map((s) => s.closedWithin(3_000))); // not the 30 s of headersTimeoutMs
    await connectionsReach(backend.server, (open) => open === 0);
    for (const stranger of strangers) {
      expect(stranger.text).to.match(/^HTTP\/1\.1 408 /);
      expect(stranger.text).to.include('took longer than 300 ms to arrive (the server is busy)');
    }
    expect(await normalGet(port)).to.equal(200);
  });

  it('lets a slow head take the whole headersTimeoutMs while the server is not crowded', async () => {
    backend = await createBackend('127.0.0.1', 0, () => json({ ok: true }), {
      maxConnections: 40,
      crowdedHeadersTimeoutMs: 100,
      closeGraceMs: 100,
    });
    strangers = await slowHeads(backend.address().port, '127.0.0.2', 29); // 29 of 40: below three quarters
    // Nothing to await for a timeout that must not fire: wait well past it (ticks every 25 ms) and look.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(strangers.filter((s) => s.closed)).to.have.length(0);
  });
});

describe('maxConnectionsPerAddress at the reverse proxy (proxy.ts, admission.ts)', () => {
  let proxy: Proxy | undefined;
  let strangers: Stranger[] = [];

  afterEach(async () => {
    for (const stranger of strangers) stranger.socket.destroy();
    strangers = [];
    await proxy?.close();
    proxy = undefined;
  });

  it('turns away one address over its cap with its own 503, and keeps serving the others', async () => {
    // The backend behind it is never reached: the slow heads never finish, and the turned-away ones are not read.
    const config = parseProxyConfig('host "app.test" { proxy_pass http://127.0.0.1:9; }');
    if (config.kind === 'error') throw new Error(config.message);
    proxy = await createProxy('127.0.0.1', 0, config.hosts, { maxConnectionsPerAddress: 3, closeGraceMs: 100 });
    const port = proxy.address().port;
    strangers = await slowHeads(port, '127.0.0.2', 4, 1); // one at a time: the fourth is the one over
    await strangers[3].closedWithin(3_000);
    expect(strangers[3].text).to.match(/^HTTP\/1\.1 503 Service Unavailable\r\nRetry-After: 5\r\n/);
    expect(strangers[3].text).to.include('Too many connections are open from your address');
    const other = await Stranger.open(port, '127.0.0.3');
    strangers.push(other);
    other.socket.write('GET / HTTP/1.1\r\nHost: nowhere.test\r\nConnection: close\r\n\r\n');
    await other.closedWithin(3_000);
    expect(other.text).to.match(/^HTTP\/1\.1 404 /); // answered by the proxy itself: no such virtual host
  });
});
