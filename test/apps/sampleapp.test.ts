/**
 * The Task 1 start script: its flags, and the script itself as a child process that says where it listens,
 * or why it cannot, in one line. (The app's routes are specified in `sampleapp/app.test.ts`.)
 * Tests for `apps/sampleapp.ts` (WeApRous `start_sampleapp.py`).
 */

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { HttpClient } from '../../daemon/client';
import { parseFlags } from '../../apps/sampleapp';

describe('parseFlags() (apps/sampleapp.ts)', () => {
  it('defaults to 0.0.0.0:9000', () => {
    expect(parseFlags([])).to.deep.equal({ ip: '0.0.0.0', port: 9000 });
  });

  it('reads --server-ip and --server-port, spaced or with "="', () => {
    expect(parseFlags(['--server-ip', '127.0.0.1', '--server-port', '9001'])).to.deep.equal({ ip: '127.0.0.1', port: 9001 });
    expect(parseFlags(['--server-port=0'])).to.deep.equal({ ip: '0.0.0.0', port: 0 });
  });

  it('reads --tls-cert and --tls-key, and says which file it cannot read or which flag is missing', () => {
    expect(parseFlags(['--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem'])).to.deep.equal({
      error: 'Cannot read /nonexistent/cert.pem: no such file.',
    });
    expect(parseFlags(['--tls-key', 'cert/key.pem']))
      .to.have.property('error')
      .that.includes('HTTPS needs both --tls-cert FILE and --tls-key FILE');
  });

  it('explains a bad port, a bad address, a missing value and an unknown option', () => {
    expect(parseFlags(['--server-port', 'abc']))
      .to.have.property('error')
      .that.includes('not a port number');
    expect(parseFlags(['--server-port', '70000']))
      .to.have.property('error')
      .that.includes('not a port number');
    expect(parseFlags(['--server-ip', 'my-laptop']))
      .to.have.property('error')
      .that.includes('not an IP address');
    expect(parseFlags(['--server-port']))
      .to.have.property('error')
      .that.includes('needs a value');
    expect(parseFlags(['--port', '9000']))
      .to.have.property('error')
      .that.includes('Unknown option');
  });
});

describe('apps/sampleapp.ts as a process', function () {
  this.timeout(40_000);
  const ENTRY = join(__dirname, '..', '..', 'apps', 'sampleapp.ts');
  const children: ChildProcess[] = [];
  let blocker: Server | null = null;

  /** Starts the entry file with ts-node (no type check, for speed) and collects its output. */
  function start(args: string[]) {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (chunk) => (out.stdout += chunk));
    child.stderr!.on('data', (chunk) => (out.stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, out, exited };
  }

  /** Resolves with the first stdout match of `pattern`, or rejects after `ms` or when the process exits. */
  function waitFor(started: ReturnType<typeof start>, pattern: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; stderr: ${started.out.stderr}`)), ms);
      const check = () => {
        const match = started.out.stdout.match(pattern);
        if (match) (clearTimeout(timer), resolve(match));
      };
      started.child.stdout!.on('data', check);
      void started.exited.then(() => (clearTimeout(timer), reject(new Error(`exited early; stderr: ${started.out.stderr}`))));
    });
  }

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (blocker) await new Promise((resolve) => blocker!.close(resolve));
    blocker = null;
  });

  it('prints where it listens and answers there', async () => {
    const started = start(['--server-ip', '127.0.0.1', '--server-port', '0']);
    const match = await waitFor(started, /\[SampleApp\] Listening on 127\.0\.0\.1:(\d+)\n/);
    const client = new HttpClient({ timeoutMs: 10_000 });
    try {
      expect((await client.request(`http://127.0.0.1:${match[1]}/`)).status).to.equal(401);
    } finally {
      client.close();
    }
    started.child.kill('SIGTERM');
    expect(await started.exited).to.equal(0);
  });

  it('says the port is in use, in one line and without a stack trace, and exits 1', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const started = start(['--server-ip', '127.0.0.1', '--server-port', String(port)]);
    expect(await started.exited).to.equal(1);
    expect(started.out.stderr.trim()).to.equal(
      `[SampleApp] Port ${port} on 127.0.0.1 is already in use; stop the other server or choose another port with --server-port.`,
    );
  });

  it('explains a bad flag and exits 2', async () => {
    const started = start(['--server-port', 'ninety']);
    expect(await started.exited).to.equal(2);
    expect(started.out.stderr).to.include('--server-port "ninety" is not a port number').and.include('Usage:');
    expect(started.out.stderr).not.to.match(/\n\s+at /);
  });
});
