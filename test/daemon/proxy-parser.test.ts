/**
 * A backend whose response head breaks the rules gets the client a quick 502: a status of four digits, a
 * head too large even when it arrives in pieces, bare LF line ends. The rules live in the response-head
 * parser (`daemon/parser.ts`, `parseResponseHead`); these check the proxy's side of them, through
 * `daemon/upstream.ts`, with raw backends on real sockets. New: WeApRous `daemon/proxy.py` relayed any bytes.
 */

import type { Socket } from 'node:net';
import { expect } from 'chai';
import { createProxy, type Proxy, type ProxyOptions } from '../../daemon/proxy';
import { parseProxyConfig } from '../../daemon/proxyconf';
import { RawConnection, rawServer } from '../helpers/raw';

describe('the proxy and a broken response head (upstream.ts)', () => {
  let proxy: Proxy;
  let client: RawConnection;
  const stops: Array<() => Promise<void>> = [];

  async function start(backendPort: number, options: Partial<ProxyOptions> = {}): Promise<void> {
    const config = parseProxyConfig(`host "app.test" { proxy_pass http://127.0.0.1:${backendPort}; }`);
    if (config.kind === 'error') throw new Error(config.message);
    proxy = await createProxy('127.0.0.1', 0, config.hosts, options);
    client = await RawConnection.open(proxy.address().port);
  }

  /** A raw backend that answers every request with `answer(socket)`. */
  async function rawBackend(answer: (socket: Socket) => void): Promise<number> {
    const raw = await rawServer((socket) => socket.once('data', () => answer(socket)));
    stops.push(raw.stop);
    return raw.port;
  }

  afterEach(async () => {
    client?.destroy();
    await proxy?.close();
    for (const stop of stops.splice(0)) await stop();
  });

  it('a four-digit status (HTTP/1.1 2000 OK) is not forwarded as "200 0 OK" (RFC 9112 §4: status is 3DIGIT)', async () => {
    await start(await rawBackend((socket) => socket.write('HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok')));
    await client.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect((await client.readOne({ timeoutMs: 3_000 })).status).to.equal(502);
  });

  it('a 100 KB head that arrives in two reads is refused, like one that arrives at once', async () => {
    await start(
      await rawBackend((socket) => {
        socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(50_000)}`);
        setTimeout(() => socket.write(`${'b'.repeat(50_000)}\r\nContent-Length: 2\r\n\r\nok`), 50); // a second read
      }),
    );
    await client.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect((await client.readOne({ timeoutMs: 3_000 })).status).to.equal(502);
  });

  it('a head with bare LF line ends gets 502 at once, not a 504 after the upstream timeout (RFC 9112 §2.2)', async () => {
    await start(await rawBackend((socket) => socket.write('HTTP/1.1 200 OK\nContent-Length: 2\n\nok')), { upstreamTimeoutMs: 5_000 });
    const started = Date.now();
    await client.write('GET / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect((await client.readOne({ timeoutMs: 4_000 })).status).to.equal(502);
    expect(Date.now() - started).to.be.below(1_000);
  });
});
