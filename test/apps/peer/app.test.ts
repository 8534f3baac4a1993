/**
 * PeerApp as a whole, in this process: streams stand in for the keyboard and the screen, a fake tracker
 * that never answers stands in for a slow one, and `exit` is recorded instead of ending mocha.
 * Tests for `apps/peer/app.ts` (`run()` of `class PeerApp` in WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { PeerApp } from '../../../apps/peer/app';
import { freePort } from '../child';

/** Resolves once `read()` includes `text`, checking each time the stream writes. */
function whenShown(stream: PassThrough, read: () => string, text: string): Promise<void> {
  return new Promise((done) => {
    const check = () => {
      if (!read().includes(text)) return;
      stream.off('data', check);
      done();
    };
    stream.on('data', check);
    check();
  });
}

/** Resolves true when something accepts a connection on the port, false when it is refused. */
function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1', () => { socket.destroy(); done(true); });
    socket.on('error', () => done(false));
  });
}

describe('PeerApp', () => {
  let hung: Server;
  const hungSockets: Socket[] = [];
  beforeEach(async () => {
    hung = createServer((socket) => { hungSockets.push(socket); }); // a tracker that accepts and never answers
    await new Promise<void>((done) => hung.listen(0, '127.0.0.1', () => done()));
  });
  afterEach(async () => {
    for (const socket of hungSockets) socket.destroy();
    await new Promise<void>((done) => hung.close(() => done()));
  });

  it('Ctrl+C during start-up leaves, closes its port, and does not open the console afterwards', async () => {
    const port = await freePort();
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
    let exitCode: number | null = null;
    let exited!: () => void;
    const gone = new Promise<void>((done) => { exited = done; });
    const app = new PeerApp({
      self: { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Early' },
      trackerUrl: `http://127.0.0.1:${(hung.address() as { port: number }).port}`,
      heartbeatMs: 60_000,
      requestTimeoutMs: 300,
      listenIp: '127.0.0.1',
      input,
      output,
      exit: (code) => { exitCode = code; exited(); },
    });

    const starting = app.start();
    await whenShown(output, () => text, 'Peer ID:'); // the banner is out; registration hangs
    app.interrupt();
    await Promise.all([gone, starting]);
    expect(exitCode).to.equal(0);
    const afterLeaving = text.slice(text.indexOf('Leaving:'));
    expect(afterLeaving).to.include('Goodbye!');
    expect(afterLeaving).not.to.include('Peer Console');
    expect(afterLeaving).not.to.include('[Early] > ');
    expect(await listening(port)).to.equal(false);
  });
});
