/**
 * Who the browser chat answers: only the owner's machine (loopback and the peer's --ip) unless --web-from opens
 * it, on every page, API, event stream and asset, while the P2P endpoints answer everyone; the cookie is Secure
 * once it is open. Other machines are simulated by connecting from 127.0.0.2. Tests for `apps/peer/web/guard.ts`.
 */

import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PeerApp } from '../../../../apps/peer/app';
import { secured, sourceProblem, webAudience } from '../../../../apps/peer/web/guard';
import { toRequest } from '../../../../daemon/request';
import type { Response } from '../../../../daemon/response';
import { freePort } from '../../child';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request to 127.0.0.1:`port` from the local address `from` (another "machine" on loopback). */
function ask(port: number, from: string, method: string, path: string, body?: string): Promise<Answer> {
  const headers: Record<string, string> = { Origin: `http://127.0.0.1:${port}` };
  if (body !== undefined) headers['Content-Type'] = body.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded';
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, localAddress: from, method, path, headers, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', fail);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.end(body);
  });
}

/** A peer on 127.0.0.1 (its tracker never answers), with `webFrom`; `stop` quits it and removes its folder. */
async function startPeer(webFrom?: string[]): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'weaprous-guard-'));
  const input = new PassThrough();
  const output = new PassThrough();
  output.resume();
  let exited!: () => void;
  const gone = new Promise<void>((done) => (exited = done));
  const app = (await PeerApp.start({
    self: { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name: 'Alice' },
    trackerUrl: 'http://127.0.0.1:1',
    heartbeatMs: 60_000,
    dataDir: folder,
    password: 'correct horse',
    webFrom,
    requestTimeoutMs: 1_000,
    listenIp: '127.0.0.1',
    input,
    output,
    exit: () => exited(),
  }))!;
  await app.open();
  const stop = async () => {
    input.write('/quit\n');
    await gone;
    rmSync(folder, { recursive: true, force: true });
  };
  return { port, stop };
}

const SENTENCE =
  "This peer's web UI answers only its owner's machine (127.0.0.1, ::1); open it on that machine: its password and cookie do not cross the network in clear";

describe('webAudience() and sourceProblem()', () => {
  const from = (remoteAddress: string) =>
    toRequest({ method: 'GET', target: '/', version: 'HTTP/1.1', headers: new Map() } as never, Buffer.alloc(0), remoteAddress);

  it("lets in loopback, the mapped 127.0.0.1, the peer's --ip and --web-from, no one else", () => {
    const audience = webAudience('127.0.0.3', ['192.168.1.20']);
    expect(audience).to.deep.equal(['127.0.0.1', '::1', '127.0.0.3', '192.168.1.20']);
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.0.0.3', '192.168.1.20'])
      expect(sourceProblem(from(address), audience)).to.equal(null);
    expect(sourceProblem(from('127.0.0.2'), audience)).to.match(
      /^This peer's web UI answers only its owner's machine \(127\.0\.0\.1, ::1, 127\.0\.0\.3, 192\.168\.1\.20\)/,
    );
    expect(webAudience('alice.lan')).to.deep.equal(['127.0.0.1', '::1']);
  });

  it('refuses in secured() before the handler runs or the peer is ready', async () => {
    let ran = false;
    const never = new Promise<void>(() => {});
    const handler = secured(() => ((ran = true), 'hello'), { ready: never, hosts: [], from: webAudience('127.0.0.1') });
    const res = (await handler(from('10.0.0.7'))) as Response;
    expect(res.status).to.equal(403);
    expect(String(res.body)).to.include(SENTENCE);
    expect(ran).to.equal(false);
  });
});

describe('the browser chat from another machine', function () {
  this.timeout(15_000);

  it('answers 127.0.0.2 403 with the sentence on every web route, while /connect-peer/ works', async () => {
    const { port, stop } = await startPeer();
    try {
      for (const path of ['/', '/login/', '/api/state/', '/events/', '/static/js/chat.js']) {
        const res = await ask(port, '127.0.0.2', 'GET', path);
        expect(res.status, path).to.equal(403);
        expect(res.text, path).to.include(SENTENCE);
      }
      const login = await ask(port, '127.0.0.2', 'POST', '/login/', 'password=correct+horse');
      expect([login.status, login.headers['set-cookie']]).to.deep.equal([403, undefined]);
      const body = JSON.stringify({ peer_id: '127.0.0.2:5009', ip: '127.0.0.2', port: 5009, name: 'Bob' });
      const connected = await ask(port, '127.0.0.2', 'POST', '/connect-peer/', body);
      expect(connected.status).to.equal(200);
      expect(JSON.parse(connected.text)).to.include({ status: 'ok', message: 'Connected' });

      const local = await ask(port, '127.0.0.1', 'POST', '/login/', 'password=correct+horse');
      expect(local.status).to.equal(303);
      expect(String(local.headers['set-cookie'])).to.match(/; HttpOnly; SameSite=Strict$/);
      expect((await ask(port, '127.0.0.1', 'GET', '/static/js/chat.js')).status).to.equal(200);
    } finally {
      await stop();
    }
  });

  it('answers the machines --web-from names, with a Secure cookie', async () => {
    const { port, stop } = await startPeer(['127.0.0.2']);
    try {
      const login = await ask(port, '127.0.0.2', 'POST', '/login/', 'password=correct+horse');
      expect(login.status).to.equal(303);
      expect(String(login.headers['set-cookie'])).to.match(/; HttpOnly; Secure; SameSite=Strict$/);
      const stranger = await ask(port, '127.0.0.4', 'GET', '/login/');
      expect(stranger.status).to.equal(403);
      expect(stranger.text).to.include('(127.0.0.1, ::1, 127.0.0.2)');
    } finally {
      await stop();
    }
  });
});
