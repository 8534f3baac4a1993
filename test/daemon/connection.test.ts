/**
 * The connection skeleton on its own, under a toy line protocol (one line in, one line out) over real
 * sockets on port 0: phases, the head, body-rate and keep-alive timers, holds and closing. The HTTP server
 * and the proxy use the same skeleton (httpadapter.test.ts, proxy*.test.ts).
 * Tests for `daemon/connection.ts` (new: WeApRous's Python adapter answered once and closed).
 */

import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { Connection } from '../../daemon/connection';
import { DEFAULT_CONNECTION_OPTIONS, watchTimeouts, type ConnectionOptions, type TimeoutWatch } from '../../daemon/timeouts';
import { RawConnection } from '../helpers/raw';

/** `PING\n` → `echo PING\n`; `QUIT\n` is the last request; `BODY\n` starts a body that must then keep coming. */
class LineConnection extends Connection {
  readonly refused: string[] = [];

  readRequests(): void {
    while (this.reading && this.phase !== 'closing' && this.phase !== 'lingering') {
      if (this.input.length === 0) return this.finishIfDone();
      if (this.phase === 'body') return this.input.consume(this.input.length); // body bytes: taken and dropped
      this.beginHead();
      const end = this.input.bytes.indexOf(10);
      if (end === -1) return;
      const line = this.input.bytes.toString('latin1', 0, end);
      this.input.consume(end + 1);
      if (line === 'BODY') return this.beginBody(0);
      this.endRequest(line === 'QUIT');
      this.send(Buffer.from(`echo ${line}\n`));
    }
    this.finishIfDone();
  }

  refuse(status: number, code: string): void {
    this.refused.push(`${status} ${code}`);
    this.send(Buffer.from(`refused ${status} ${code}\n`));
    this.setPhase('closing');
    this.finishIfDone();
  }

  isBusy(): boolean {
    return false;
  }

  onGone(): void {}

  pauseFor(reason: string): void {
    this.hold(reason);
  }

  resumeFor(reason: string): void {
    this.release(reason);
  }
}

describe('Connection', () => {
  let server: Server;
  let watch: TimeoutWatch;
  const connections = new Set<Connection>();
  let last: LineConnection;

  async function start(options: Partial<ConnectionOptions> = {}): Promise<RawConnection> {
    const settings = { ...DEFAULT_CONNECTION_OPTIONS, ...options };
    server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
      watch.wake();
      last = new LineConnection(socket, settings, (c) => connections.delete(c));
      connections.add(last);
    });
    watch = watchTimeouts(connections, settings);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return RawConnection.open((server.address() as { port: number }).port);
  }

  afterEach(async () => {
    watch.stop();
    for (const connection of connections) connection.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function lines(client: RawConnection, count: number): Promise<string[]> {
    for (let waited = 0; client.unparsed().toString().split('\n').length <= count; waited += 10) {
      if (waited > 5_000) throw new Error(`only got ${JSON.stringify(client.unparsed().toString())}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return client.unparsed().toString().split('\n').slice(0, count);
  }

  it('answers requests in turn and closes after the last one, discarding what follows it', async () => {
    const client = await start();
    await client.write('PING\nQUIT\nNEVER\n');
    await client.waitForClose();
    expect(client.unparsed().toString()).to.equal('echo PING\necho QUIT\n');
  });

  it('refuses a head that does not arrive within headersTimeoutMs of its first byte', async () => {
    const client = await start({ headersTimeoutMs: 150 });
    await client.write('PIN');
    expect(await lines(client, 1)).to.deep.equal(['refused 408 HEADERS_TIMEOUT']);
    await client.waitForClose();
  });

  it('refuses a body that brings fewer than minBodyBytes in a window, and keeps one that is slow but steady', async () => {
    const client = await start({ bodyRateWindowMs: 150, minBodyBytes: 2 });
    await client.write('BODY\n');
    for (let i = 0; i < 10; i++) {
      await client.write('ab'); // 2 bytes every 50 ms: above the minimum
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(last.refused).to.deep.equal([]);
    expect(await lines(client, 1)).to.deep.equal(['refused 408 BODY_STALLED']); // then it stops
  });

  it('closes an idle keep-alive connection after keepAliveTimeoutMs, without a word', async () => {
    const client = await start({ keepAliveTimeoutMs: 150 });
    await client.write('PING\n');
    await client.waitForClose();
    expect(client.unparsed().toString()).to.equal('echo PING\n');
  });

  it('reads nothing while held, and reads what waited once released', async () => {
    const client = await start();
    await client.write('ONE\n');
    await lines(client, 1);
    last.pauseFor('test');
    await client.write('TWO\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.unparsed().toString()).to.equal('echo ONE\n');
    last.resumeFor('test');
    expect(await lines(client, 2)).to.deep.equal(['echo ONE', 'echo TWO']);
  });

  it('answers, then closes, when the client sends its FIN', async () => {
    const client = await start();
    await client.write('PING\n');
    client.end();
    await client.waitForClose();
    expect(client.unparsed().toString()).to.equal('echo PING\n');
  });
});
