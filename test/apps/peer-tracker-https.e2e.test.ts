/**
 * Peers with a tracker over HTTPS, run for real as processes: one trusting its certificate as a CA file
 * (`--tls-ca`), one pinning its SHA-256 fingerprint (`--tls-pin`), both register, connect to each other over
 * plain http:// and chat; a peer with the wrong CA says why registration fails; none starts without a check.
 * End-to-end test for the `--tls-ca`/`--tls-pin` flags of `apps/peer/options.ts` and `apps/peer.ts`.
 */

import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { makeTestCert, type TestCert } from '../helpers/cert';
import { Child, exact, freePort, Processes, STARTUP_MS, dataDir } from './child';
import { TRACKER_NEEDS_TRUST } from '../../apps/peer/options';

describe('peers with a tracker over HTTPS (end to end)', function () {
  this.timeout(90_000);
  const processes = new Processes();
  let cert: TestCert | null;
  let other: TestCert | null;
  let trackerUrl = '';
  let tracker: Child;
  before(async function () {
    cert = makeTestCert();
    other = makeTestCert(); // a certificate the tracker does not have: the wrong CA
    if (cert === null || other === null) {
      console.log('    (skipped: openssl is not installed, so no test certificate can be made)');
      this.skip();
    }
    const port = await freePort();
    trackerUrl = `https://127.0.0.1:${port}`;
    const args = ['--server-ip', '127.0.0.1', '--server-port', String(port), '--tls-cert', cert!.certFile, '--tls-key', cert!.keyFile];
    tracker = processes.start('tracker', 'apps/tracker.ts', args);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${port}`), STARTUP_MS);
  });
  after(() => processes.killAll());

  /** A peer of this tracker, checked with `trust` (`--tls-ca FILE` or `--tls-pin SHA256`). */
  const startPeer = async (name: string, trust: string[]) => {
    const port = await freePort();
    const args = ['--tracker', trackerUrl, '--port', String(port), '--name', name, '--data-dir', dataDir(name), ...trust];
    return { peer: processes.start(name, 'apps/peer.ts', args), id: `127.0.0.1:${port}` };
  };

  it('a peer with the CA and a peer with the pin register, connect to each other, and a broadcast arrives', async () => {
    const alice = await startPeer('Alice', ['--tls-ca', cert!.certFile]);
    await alice.peer.waitForLines(
      [`Tracker: ${trackerUrl}`, '[Tracker] Registration successful: OK', '[Tracker] Found 1 peers', '[Alice] > '].map(exact),
      STARTUP_MS,
    );
    const pin = new X509Certificate(cert!.cert).fingerprint256; // AB:CD:..., as openssl prints it
    const bob = await startPeer('Bob', ['--tls-pin', pin]);
    await bob.peer.waitForLines(
      ['[Tracker] Registration successful: OK', '[Tracker] Found 2 peers', `[P2P] Connected to peer: Alice (${alice.id})`, '[Bob] > '].map(
        exact,
      ),
      STARTUP_MS,
    );
    await alice.peer.waitFor(exact(`[P2P] Peer connected: Bob (${bob.id})`));
    alice.peer.type('Hello over a checked tracker');
    await alice.peer.waitFor(exact('[P2P] Broadcast sent to 1/1 peers'));
    await bob.peer.waitFor(exact(`[BROADCAST] Alice (${alice.id}): Hello over a checked tracker`));
    expect(tracker.lines.join('\n')).not.to.include('Hello over');
  });

  it('a peer with the wrong CA prints the registration failure with the reason', async () => {
    const mallory = await startPeer('Mallory', ['--tls-ca', other!.certFile]);
    const line = await mallory.peer.waitFor(/^\[Tracker\] Registration failed: /, STARTUP_MS);
    // Node says "self-signed certificate" (older versions "self signed certificate"): the tracker's is not this CA.
    const reason = /^\[Tracker\] Registration failed: TLS with 127\.0\.0\.1:\d+ failed: self.signed certificate - retrying every 2s/;
    expect(line).to.match(reason);
  });

  it('a peer given an https:// tracker and no --tls-ca or --tls-pin refuses to start, saying what to give', async () => {
    const { peer } = await startPeer('Careless', []);
    expect(await peer.waitForExit(STARTUP_MS)).to.equal(2);
    expect(peer.lines).to.include(TRACKER_NEEDS_TRUST);
  });
});
