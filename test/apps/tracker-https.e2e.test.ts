/**
 * The tracker over HTTPS, run for real as a process: with `--tls-cert`/`--tls-key` it answers `/get-list/` to a
 * client that trusts the certificate, refuses one that does not, and a missing key file is a sentence, not a trace.
 * End-to-end test for the `--tls-cert`/`--tls-key` flags of `apps/tracker.ts` and `apps/tracker/options.ts`.
 */

import { expect } from 'chai';
import { ClientError, HttpClient } from '../../daemon/client';
import { makeTestCert, type TestCert } from '../helpers/cert';
import { exact, freePort, Processes, STARTUP_MS } from './child';

describe('the tracker over HTTPS (end to end)', function () {
  this.timeout(60_000);
  const processes = new Processes();
  let cert: TestCert | null;
  before(function () {
    cert = makeTestCert();
    if (cert === null) {
      console.log('    (skipped: openssl is not installed, so no test certificate can be made)');
      this.skip();
    }
  });
  after(() => processes.killAll());

  it('answers /get-list/ over HTTPS to a client with the CA, and not to one without', async () => {
    const port = await freePort();
    const args = ['--server-ip', '127.0.0.1', '--server-port', String(port), '--tls-cert', cert!.certFile, '--tls-key', cert!.keyFile];
    const tracker = processes.start('tracker', 'apps/tracker.ts', args);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${port}`), STARTUP_MS);
    const trusting = new HttpClient({ ca: cert!.cert });
    const stranger = new HttpClient();
    try {
      const res = await trusting.request(`https://127.0.0.1:${port}/get-list/`);
      expect(res.status).to.equal(200);
      expect(res.json<{ peers: unknown[] }>().peers).to.deep.equal([]);
      const error = await stranger.request(`https://127.0.0.1:${port}/get-list/`).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ClientError);
    } finally {
      trusting.close();
      stranger.close();
    }
  });

  it('says which file it cannot read, and exits 1', async () => {
    const port = await freePort();
    const args = ['--server-port', String(port), '--tls-cert', cert!.certFile, '--tls-key', '/nonexistent/key.pem'];
    const tracker = processes.start('tracker', 'apps/tracker.ts', args);
    await tracker.waitFor(exact('[Tracker] Cannot read /nonexistent/key.pem: no such file.'), STARTUP_MS);
  });
});
