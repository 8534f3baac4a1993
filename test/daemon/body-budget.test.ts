/**
 * The body budget's share per address on real sockets: one address's unfinished bodies fill only its share (then
 * 429 with `Retry-After`), other addresses' bodies are still taken, and behind the reverse proxy each client
 * counts against its own share (the last `X-Forwarded-For` entry). Tests `daemon/backend.ts`, `daemon/admission.ts`
 * (`MemoryBudget`, `forwardedKey`), `daemon/httpadapter.ts`; the same against a real tracker is body-budget.e2e.test.ts.
 */

import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { createBackend, type Backend } from '../../daemon/backend';
import { createProxy, type Proxy } from '../../daemon/proxy';
import { parseProxyConfig } from '../../daemon/proxyconf';
import { json } from '../../daemon/response';

const KIB = 1024;
/** Shares small enough for a test: 4 KiB bodies, 8 KiB per address, 32 KiB in all. */
const OPTIONS = { maxBodyBytes: 4 * KIB, bodyBudgetPerAddressBytes: 8 * KIB, bodyBudgetBytes: 32 * KIB, closeGraceMs: 100 };

/** A connection from `from` that sends `head` and keeps what it is answered. */
class Upload {
  text = '';
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.text += chunk.toString('latin1')));
    socket.on('error', () => {});
  }

  static open(port: number, from: string, head: string): Promise<Upload> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress: from }, () => {
        socket.write(head);
        resolve(new Upload(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Resolves with the status line once the answer's head is in; rejects after 3 s. */
  status(): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer: ${JSON.stringify(this.text)}`)), 3_000);
      const check = (): void => {
        if (!this.text.includes('\r\n\r\n')) return;
        clearTimeout(timer);
        this.socket.off('data', check);
        resolve(this.text.slice(0, this.text.indexOf('\r\n')));
      };
      this.socket.on('data', check);
      check();
    });
  }
}

/** Resolves once the server holds `count` connections; rejects after 3 s. */
async function connectionsReach(backend: Backend, count: number): Promise<void> {
  for (const deadline = Date.now() + 3_000; ;) {
    const open = await new Promise<number>((resolve, reject) => backend.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    if (open === count) return;
    if (Date.now() > deadline) throw new Error(`the server still holds ${open} connections`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const unfinished = (extra = ''): string => `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: ${4 * KIB}\r\n${extra}\r\nx`;
const small = (body = '{"a":1}'): string =>
  `POST / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

describe('the body budget, per address (backend.ts, admission.ts)', () => {
  let backend: Backend | undefined;
  let proxy: Proxy | undefined;
  let uploads: Upload[] = [];

  afterEach(async () => {
    for (const upload of uploads) upload.socket.destroy();
    uploads = [];
    await proxy?.close();
    await backend?.close();
    [proxy, backend] = [undefined, undefined];
  });

  async function start(): Promise<number> {
    backend = await createBackend('127.0.0.1', 0, (req) => json({ got: req.body.length }), OPTIONS);
    return backend.address().port;
  }

  /** Opens `count` unfinished bodies one after another, so the last ones are those past the share. */
  async function fill(port: number, from: string, count: number, extra = ''): Promise<void> {
    for (let i = 0; i < count; i++) uploads.push(await Upload.open(port, from, unfinished(extra)));
  }

  it("answers an address's body past its share 429 with Retry-After and a sentence, and takes another address's", async () => {
    const port = await start();
    await fill(port, '127.0.0.2', 3); // two fill its 8 KiB share; the third is over
    expect(await uploads[2].status()).to.equal('HTTP/1.1 429 Too Many Requests');
    expect(uploads[2].text).to.include('Retry-After: 5\r\n').and.include('Your address is sending too many request bodies');
    const honest = await Upload.open(port, '127.0.0.3', small());
    expect(await honest.status()).to.equal('HTTP/1.1 200 OK');
    uploads.push(honest);
  });

  it('gives the share back when an unfinished body closes', async () => {
    const port = await start();
    await fill(port, '127.0.0.2', 2);
    uploads[0].socket.destroy();
    await connectionsReach(backend!, 1); // the server's side of the close has run
    const again = await Upload.open(port, '127.0.0.2', small());
    uploads.push(again);
    expect(await again.status()).to.equal('HTTP/1.1 200 OK');
  });

  it('counts each client behind the reverse proxy against its own share, not the whole budget as one', async () => {
    const port = await start();
    const config = parseProxyConfig(`host "app.test" { proxy_pass http://127.0.0.1:${port}; }`);
    if (config.kind === 'error') throw new Error(config.message);
    proxy = await createProxy('127.0.0.1', 0, config.hosts, { closeGraceMs: 100 });
    const front = proxy.address().port;
    await fill(front, '127.0.0.2', 2); // the backend sees 127.0.0.1, with X-Forwarded-For: 127.0.0.2
    const over = await Upload.open(front, '127.0.0.2', unfinished());
    uploads.push(over);
    expect(await over.status()).to.equal('HTTP/1.1 429 Too Many Requests');
    const honest = await Upload.open(front, '127.0.0.3', small());
    uploads.push(honest);
    expect(await honest.status()).to.equal('HTTP/1.1 200 OK');
  });

  it('leaves a request from this machine without X-Forwarded-For only the whole budget (curl, the demo)', async () => {
    const port = await start();
    await fill(port, '127.0.0.1', 4); // 16 KiB: twice a share, and taken
    const local = await Upload.open(port, '127.0.0.1', small());
    uploads.push(local);
    expect(await local.status()).to.equal('HTTP/1.1 200 OK');
    for (const upload of uploads.slice(0, 4)) expect(upload.text).to.equal('');
  });
});
