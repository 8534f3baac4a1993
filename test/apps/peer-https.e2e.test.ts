/**
 * Peers that serve HTTPS, run for real as processes: two with `--tls-cert` register their scheme with a plain
 * tracker and exchange a broadcast and a direct message over TLS; a peer without their CA cannot reach them;
 * with `--web-from`, the browser chat answers the machines listed, with a Secure cookie, and refuses the others.
 * End-to-end test for `--tls-cert`/`--tls-key`/`--web-from` of `apps/peer/options.ts` and `"scheme"` (docs/protocol.md).
 */

import { expect } from 'chai';
import { request as httpsRequest } from 'node:https';
import { makeTestCert, type TestCert } from '../helpers/cert';
import { type Child, exact, freePort, passwordFile, Processes, STARTUP_MS, dataDir } from './child';

/** The answer to `POST /login/` over HTTPS, sent from `from` (a second loopback address is a second machine). */
function loginFrom(port: number, from: string, ca: Buffer, password: string): Promise<{ status: number; cookie: string; body: string }> {
  const origin = `https://127.0.0.1:${port}`;
  const body = `password=${encodeURIComponent(password)}`;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/login/',
        method: 'POST',
        localAddress: from,
        ca,
        headers: { Origin: origin, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: (res.headers['set-cookie'] ?? []).join('\n'), body: text }));
      },
    );
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('no answer in 5 s')));
    req.end(body);
  });
}

describe('peers that serve HTTPS (end to end)', function () {
  this.timeout(90_000);
  const processes = new Processes();
  let cert: TestCert | null;
  let trackerUrl = '';
  before(async function () {
    cert = makeTestCert();
    if (cert === null) {
      console.log('    (skipped: openssl is not installed, so no test certificate can be made)');
      this.skip();
    }
    const port = await freePort();
    trackerUrl = `http://127.0.0.1:${port}`;
    const args = ['--server-ip', '127.0.0.1', '--server-port', String(port), '--tls-ca', cert!.certFile];
    const tracker = processes.start('tracker', 'apps/tracker.ts', args);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${port}`), STARTUP_MS);
  });
  after(() => processes.killAll());

  /** A peer serving HTTPS with the shared test certificate, which is also the CA it checks the others with. */
  const startSecure = async (name: string, more: string[] = []): Promise<{ peer: Child; id: string; port: number }> => {
    const port = await freePort();
    const tls = ['--tls-cert', cert!.certFile, '--tls-key', cert!.keyFile, '--tls-ca', cert!.certFile];
    const peer = processes.startPeer(name, trackerUrl, port, ['--data-dir', dataDir(name), ...tls, ...more]);
    return { peer, id: `127.0.0.1:${port}`, port };
  };

  it('two peers with --tls-cert register, connect and exchange a broadcast and a direct message over HTTPS', async () => {
    const alice = await startSecure('Alice');
    await alice.peer.waitForLines(['[Tracker] Registration successful: OK', '[Alice] > '].map(exact), STARTUP_MS);
    const bob = await startSecure('Bob');
    await bob.peer.waitForLines(
      ['[Tracker] Registration successful: OK', `[P2P] Connected to peer: Alice (${alice.id})`, '[Bob] > '].map(exact),
      STARTUP_MS,
    );
    await alice.peer.waitFor(exact(`[P2P] Peer connected: Bob (${bob.id})`));
    alice.peer.type('Hello over TLS');
    await alice.peer.waitFor(exact('[P2P] Broadcast sent to 1/1 peers'));
    await bob.peer.waitFor(exact(`[BROADCAST] Alice (${alice.id}): Hello over TLS`));
    bob.peer.type(`/direct ${alice.id} psst, sealed and over TLS`);
    await bob.peer.waitFor(exact(`[P2P] Direct message sent to ${alice.id}`));
    await alice.peer.waitFor(exact(`[DIRECT] Bob (${bob.id}): psst, sealed and over TLS`));
  });

  it('a peer without their CA cannot connect to peers that serve HTTPS', async () => {
    const port = await freePort();
    const carol = processes.startPeer('Carol', trackerUrl, port, ['--data-dir', dataDir('Carol')]);
    await carol.waitFor(exact('[Tracker] Registration successful: OK'), STARTUP_MS);
    // Node says "self-signed certificate" (older versions "self signed certificate"): nothing is sent unchecked.
    await carol.waitFor(/self.signed certificate/, STARTUP_MS);
    await carol.waitFor(exact('[Carol] > '), STARTUP_MS);
    expect(carol.output()).not.to.match(/Connected to peer: (Alice|Bob)/);
  });

  it("a tracker without --tls-ca cannot bind an HTTPS peer's key, and the peer is told which flag it lacks", async () => {
    const port = await freePort();
    const blind = processes.start('blind tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(port)]);
    await blind.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${port}`), STARTUP_MS);
    const tls = ['--tls-cert', cert!.certFile, '--tls-key', cert!.keyFile, '--tls-ca', cert!.certFile];
    const erin = processes.startPeer('Erin', `http://127.0.0.1:${port}`, await freePort(), ['--data-dir', dataDir('Erin'), ...tls]);
    const line = await erin.waitFor(/^\[Tracker\] Registration failed: /, STARTUP_MS);
    expect(line).to.include("over HTTPS with a certificate the asker trusts (the tracker's --tls-ca");
  });

  it('with --web-from, a login from a machine listed works with a Secure cookie; another machine gets the 403 sentence', async () => {
    const dave = await startSecure('Dave', ['--web-from', '127.0.0.2', '--password-file', passwordFile('correct horse')]);
    await dave.peer.waitFor(exact('[Dave] > '), STARTUP_MS);
    const listed = await loginFrom(dave.port, '127.0.0.2', cert!.cert, 'correct horse');
    expect(listed.status).to.equal(303);
    expect(listed.cookie).to.match(new RegExp(`^weaprous_chat_${dave.port}=[^;]+;.*\\bSecure\\b`));
    const stranger = await loginFrom(dave.port, '127.0.0.3', cert!.cert, 'correct horse');
    expect(stranger.status).to.equal(403);
    expect(stranger.body).to.include("This peer's web UI answers only");
    expect(stranger.cookie).to.equal('');
  });
});
