/**
 * The browser chat's flags on a real `apps/peer.ts`: `--password-file` logs a browser in, the old `--password`
 * still does but warns that `ps` shows it, and `--web-from` without `--tls-cert`/`--tls-key` refuses to start.
 * Tests for `apps/peer/options.ts` and `apps/peer.ts`, end to end.
 */

import { expect } from 'chai';
import { HttpClient } from '../../../../daemon/client';
import { PASSWORD_WARNING, WEB_FROM_NEEDS_TLS } from '../../../../apps/peer/options';
import { exact, freePort, passwordFile, Processes, STARTUP_MS } from '../../child';

describe('the browser chat from the command line (end to end)', function () {
  this.timeout(3 * STARTUP_MS);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  after(async () => {
    client.close();
    await processes.killAll();
  });

  /** A peer whose tracker never answers, started with `extra`; resolves once its prompt shows. */
  async function startPeer(name: string, extra: string[]): Promise<{ port: number; output: () => string }> {
    const port = await freePort();
    const child = processes.start(name, 'apps/peer.ts', [
      '--tracker',
      'http://127.0.0.1:1',
      '--port',
      String(port),
      '--name',
      name,
      ...extra,
    ]);
    await child.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return { port, output: () => child.output() };
  }

  /** `POST /login/` from this machine, as the login form sends it. */
  function login(port: number, password: string) {
    const base = `http://127.0.0.1:${port}`;
    return client.request(`${base}/login/`, {
      method: 'POST',
      headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `password=${encodeURIComponent(password)}`,
    });
  }

  it('logs in with the first line of --password-file, and warns of nothing', async () => {
    const { port, output } = await startPeer('Alice', ['--password-file', passwordFile('correct horse')]);
    expect((await login(port, 'correct horse')).status).to.equal(303);
    expect((await login(port, 'wrong')).status).to.equal(401);
    expect(output()).not.to.include('Warning');
  });

  it('still takes --password, with a line saying what to use instead', async () => {
    const { port, output } = await startPeer('Bob', ['--password', 'correct horse']);
    expect(output()).to.include(PASSWORD_WARNING);
    expect((await login(port, 'correct horse')).status).to.equal(303);
  });

  it('refuses to start with --web-from but no --tls-cert and --tls-key, saying why', async () => {
    const child = processes.start('Carol', 'apps/peer.ts', ['--port', String(await freePort()), '--web-from', '127.0.0.2']);
    expect(await child.waitForExit(STARTUP_MS)).to.equal(2);
    expect(child.output()).to.include(WEB_FROM_NEEDS_TLS);
  });
});
