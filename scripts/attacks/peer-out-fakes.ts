/**
 * Fake peers for the attacks on what goes out of a peer (docs/security/peer-out.md): many listening sockets on
 * another loopback address (127.0.0.2, "another laptop"), registered at the tracker or introduced to a peer. A
 * `blackhole` fake accepts and never answers; a `slow` one answers its first request at once, then each after
 * 2.9 s; a `busy` one has a key (one for all), answers `/identity/`, and 503 to everything else.
 */

import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateIdentity } from '../../apps/peer/identity/identity';

export type FakeKind = 'blackhole' | 'slow' | 'busy';

export const FAKE_IP = '127.0.0.2';
const SLOW_ANSWER_MS = 2_900;

export class Fakes {
  readonly ports: number[] = [];
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  /** The one key every `busy` fake claims (made-up ids cost their maker nothing else). */
  readonly identity = loadOrCreateIdentity(mkdtempSync(join(tmpdir(), 'peer-out-fakes-')));
  /** Requests the fakes received. */
  requests = 0;

  constructor(readonly kind: FakeKind) {}

  /** Opens `count` fakes on `FAKE_IP`. */
  async open(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      let answered = 0;
      const server = createServer((socket) => this.accept(socket, () => answered++));
      await new Promise<void>((done) => server.listen(0, FAKE_IP, () => done()));
      this.servers.push(server);
      this.ports.push((server.address() as { port: number }).port);
    }
  }

  /** The fakes as entries of a peer list: `{ ip, port, peer_id, name }`. */
  entries(): Array<{ ip: string; port: number; peer_id: string; name: string }> {
    return this.ports.map((port, i) => ({ ip: FAKE_IP, port, peer_id: `${FAKE_IP}:${port}`, name: `fake${i}` }));
  }

  private accept(socket: Socket, count: () => number): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.slice(0, end);
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.slice(end + 4 + length);
      this.requests += 1;
      this.answer(socket, head.split(' ')[1] ?? '/', count());
    });
  }

  private answer(socket: Socket, path: string, nth: number): void {
    if (this.kind === 'blackhole') return;
    const write = (status: number, body: object) => {
      const text = JSON.stringify(body);
      if (!socket.destroyed)
        socket.write(`HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
    };
    const port = socket.localPort;
    const hello = { status: 'ok', message: 'Connected', peer_id: `${FAKE_IP}:${port}`, name: `fake${port}` };
    if (this.kind === 'busy') {
      if (path.startsWith('/identity/')) return write(200, { ...hello, public_key: this.identity.publicKey });
      return write(503, { status: 'error', error: 'busy' });
    }
    const ok = path.startsWith('/connect-peer/') ? hello : { status: 'received' };
    if (nth === 0) return write(200, ok);
    setTimeout(() => write(path.startsWith('/messages/') ? 404 : 200, ok), SLOW_ANSWER_MS).unref();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((server) => new Promise((done) => server.close(done))));
  }
}
