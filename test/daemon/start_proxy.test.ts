/**
 * The two start scripts at the top of the repository: their default ports, and the scripts themselves as
 * child processes, which must say what is wrong in one line and exit, never print a stack. (The flag parser
 * they share is specified in `test/apps/cli.test.ts`.)
 * Tests for `start_proxy.ts` and `start_backend.ts` (WeApRous `start_proxy.py`, `start_backend.py`).
 */

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../daemon/client';
import { BACKEND_DEFAULTS } from '../../start_backend';
import { PROXY_DEFAULTS } from '../../start_proxy';

const ROOT = join(__dirname, '..', '..');

describe('the default ports', () => {
  it("live in the scripts (backend 9001, proxy 8080), so `npm run backend -- --server-port 9002` passes one port, the user's", () => {
    expect(BACKEND_DEFAULTS).to.deep.equal({ ip: '0.0.0.0', port: 9001 });
    expect(PROXY_DEFAULTS).to.deep.equal({ ip: '0.0.0.0', port: 8080 });
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const name of ['backend', 'proxy', 'tracker', 'sampleapp']) expect(scripts[name], name).not.to.include('--server-port');
  });
});

describe('start_proxy.ts and start_backend.ts as processes', function () {
  this.timeout(40_000);
  const children: ChildProcess[] = [];
  let folder = '';

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'weaprous-start-'));
  });

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  });

  /** Runs a script with ts-node (transpile only) and collects its output. */
  function start(script: string, args: string[]) {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (chunk) => (out.stdout += chunk));
    child.stderr!.on('data', (chunk) => (out.stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, out, exited };
  }

  /** The first stdout match of `pattern`; rejects after 30 s or if the process exits first. */
  function waitFor(started: ReturnType<typeof start>, pattern: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern}; stderr: ${started.out.stderr}`)), 30_000);
      const check = () => {
        const match = started.out.stdout.match(pattern);
        if (match) (clearTimeout(timer), resolve(match));
      };
      started.child.stdout!.on('data', check);
      check();
      void started.exited.then(() => (clearTimeout(timer), reject(new Error(`exited early; stderr: ${started.out.stderr}`))));
    });
  }

  it('the proxy reports a config mistake as "file:line: what" and exits 1', async () => {
    const file = join(folder, 'bad.conf');
    writeFileSync(file, 'host "x" {\n  proxy_pass http://127.0.0.1:9000\n  dist_policy fastest;\n}\n');
    const started = start('start_proxy.ts', ['--config', file]);
    expect(await started.exited).to.equal(1);
    expect(started.out.stderr.trim()).to.equal(`[Proxy] ${file}:2: expected ';' after proxy_pass URL`);
  });

  it('the proxy says a missing config file is missing, and exits 1', async () => {
    const started = start('start_proxy.ts', ['--config', join(folder, 'nowhere.conf')]);
    expect(await started.exited).to.equal(1);
    expect(started.out.stderr)
      .to.include('no such file')
      .and.not.match(/\n\s+at /);
  });

  it('a backend and the proxy in front of it: both print where they listen, answer, and stop on SIGTERM', async () => {
    const backend = start('start_backend.ts', ['--server-ip', '127.0.0.1', '--server-port', '0']);
    const backendPort = (await waitFor(backend, /\[Backend\] Listening on 127\.0\.0\.1:(\d+)\n/))[1];
    const file = join(folder, 'proxy.conf');
    writeFileSync(file, `host "app.test" {\n  proxy_pass http://127.0.0.1:${backendPort};\n}\n`);
    const proxy = start('start_proxy.ts', ['--server-ip', '127.0.0.1', '--server-port', '0', '--config', file]);
    const proxyPort = (await waitFor(proxy, /\[Proxy\] Listening on 127\.0\.0\.1:(\d+)\n/))[1];

    const client = new HttpClient({ timeoutMs: 10_000 });
    try {
      const res = await client.request(`http://127.0.0.1:${proxyPort}/`, { headers: { Host: 'app.test' } });
      expect(res.json()).to.include({ path: '/', host: 'app.test', forwardedFor: '127.0.0.1' });
      await waitFor(proxy, new RegExp(`GET / \\(Host: app\\.test\\) -> 127\\.0\\.0\\.1:${backendPort} 200\n`)); // the log line
    } finally {
      client.close();
    }
    proxy.child.kill('SIGTERM');
    backend.child.kill('SIGTERM');
    expect([await proxy.exited, await backend.exited]).to.deep.equal([0, 0]);
  });

  it('the backend explains a bad flag and exits 2', async () => {
    const started = start('start_backend.ts', ['--server-port', 'ninety']);
    expect(await started.exited).to.equal(2);
    expect(started.out.stderr).to.include('--server-port "ninety" is not a port number').and.include('Usage:');
  });
});
