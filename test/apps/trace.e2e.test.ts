/**
 * `--trace` on real processes: the tracker prints a curl's request and response heads with the connection's
 * number and the route that answered, and the proxy names the backend that answered. The format and the
 * masking themselves are specified in `test/daemon/trace.test.ts` and `test/daemon/mask.test.ts`.
 */

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, Processes, STARTUP_MS } from './child';

/** Runs curl (no ~/.curlrc, no proxy variables) and resolves its body. */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, http_proxy: '', HTTP_PROXY: '', no_proxy: '*' };
    execFile('curl', ['-q', '-s', '--max-time', '10', ...args], { env }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

describe('--trace on real processes', function () {
  this.timeout(60_000);
  const processes = new Processes();
  let folder = '';

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'weaprous-trace-'));
  });

  afterEach(async () => {
    await processes.killAll();
    rmSync(folder, { recursive: true, force: true });
  });

  it('the tracker prints the heads of a curl, with the connection number, the route and the cookie masked', async () => {
    const port = await freePort();
    const tracker = processes.start('Tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(port), '--trace']);
    await tracker.waitFor('[Backend] Listening on', STARTUP_MS);
    await curl(['-H', 'Cookie: session=s3cret', `http://127.0.0.1:${port}/get-list/`]);
    const open = await tracker.waitFor(/^trace #\d+ open from 127\.0\.0\.1:\d+$/);
    const tag = /^trace #\d+/.exec(open)![0];
    await tracker.waitForLines(
      [
        `${tag} > GET /get-list/ HTTP/1.1`,
        `${tag} > Cookie: session=***`,
        new RegExp(`^${tag} > \\(head \\d+ bytes, no body\\)$`),
        `${tag} < HTTP/1.1 200 OK`,
        new RegExp(`^${tag} < \\(head \\d+ bytes, body \\d+ bytes, \\d+\\.\\d ms, route /get-list/\\)$`),
        new RegExp(`^${tag} closed after 1 request: \\d+ bytes in, \\d+ bytes out`),
      ],
      10_000,
      tracker.lines.indexOf(open),
    );
    expect(tracker.lines.join('\n')).not.to.include('s3cret');
  });

  it('the proxy names the backend that answered', async () => {
    const [backendPort, proxyPort] = [await freePort(), await freePort()];
    const config = join(folder, 'proxy.conf');
    writeFileSync(config, `host "127.0.0.1:${proxyPort}" {\n    proxy_pass http://127.0.0.1:${backendPort};\n}\n`);
    const backend = processes.start('Backend', 'start_backend.ts', ['--server-ip', '127.0.0.1', '--server-port', String(backendPort)]);
    const proxy = processes.start('Proxy', 'start_proxy.ts', [
      '--server-ip',
      '127.0.0.1',
      '--server-port',
      String(proxyPort),
      '--config',
      config,
      '--trace',
    ]);
    await Promise.all([backend.waitFor('[Backend] Listening on', STARTUP_MS), proxy.waitFor('[Proxy] Listening on', STARTUP_MS)]);
    await curl([`http://127.0.0.1:${proxyPort}/`]);
    await proxy.waitForLines([
      / > GET \/ HTTP\/1\.1$/,
      / < HTTP\/1\.1 200 OK$/,
      new RegExp(` < \\(head \\d+ bytes, body streamed, \\d+\\.\\d ms, backend 127\\.0\\.0\\.1:${backendPort}\\)$`),
    ]);
  });
});
