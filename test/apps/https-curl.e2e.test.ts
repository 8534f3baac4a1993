/**
 * The documented curl commands over HTTPS, run for real: the tracker, the sample app, start_backend.ts and the
 * proxy each run twice, plain and with `--tls-cert`/`--tls-key`, and every command answers `curl --cacert` over
 * https:// with the status and body it answers over http://; without `--cacert`, curl refuses (exit 60).
 * End-to-end test of the TLS flags of apps/tracker.ts, apps/sampleapp.ts, start_backend.ts and start_proxy.ts.
 */

import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCert, type TestCert } from '../helpers/cert';
import { freePort, Processes, STARTUP_MS } from './child';

type Server = 'tracker' | 'sampleapp' | 'backend' | 'proxy';
type Scheme = 'http' | 'https';
interface Answer {
  status: number;
  body: string;
}

/** What each server is started from, and with which flags besides its address and TLS files. */
const SERVERS: Record<Server, { script: string; flags: (config: string) => string[] }> = {
  tracker: { script: 'apps/tracker.ts', flags: () => [] },
  sampleapp: { script: 'apps/sampleapp.ts', flags: () => [] },
  backend: { script: 'start_backend.ts', flags: () => [] },
  proxy: { script: 'start_proxy.ts', flags: (config) => ['--config', config] },
};

/** Runs curl (no ~/.curlrc, no proxy variables) and resolves its exit code, the status and the body. */
function curl(args: string[]): Promise<Answer & { exit: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-q', '-s', '-S', '--noproxy', '*', '-w', '\n%{http_code}', ...args], (error, stdout, stderr) => {
      const cut = stdout.lastIndexOf('\n');
      const exit = error ? Number((error as NodeJS.ErrnoException).code) : 0;
      resolve({ exit, stderr, status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, Math.max(cut, 0)) });
    });
  });
}

describe('curl --cacert against every server over HTTPS (end to end)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  const ports = {} as Record<Server, Record<Scheme, number>>;
  let cert: TestCert | null;
  let scratch: string;

  /** The proxy's virtual hosts: the sample app behind plain HTTP, the demo backend behind HTTPS, checked with our CA. */
  function writeProxyConfig(): string {
    const file = join(scratch, 'proxy.conf');
    const lines = [
      `host "127.0.0.1" {\n    proxy_pass http://127.0.0.1:${ports.sampleapp.http};\n    proxy_set_header Host $host;\n}`,
      `host "app2.local" {\n    proxy_pass https://127.0.0.1:${ports.backend.https};\n`,
      `    proxy_ssl_trusted_certificate ${cert!.certFile};\n}\n`,
    ];
    writeFileSync(file, lines.join('\n'));
    return file;
  }

  before(async function () {
    cert = makeTestCert();
    if (cert === null) {
      console.log('    (skipped: openssl is not installed, so no test certificate can be made)');
      return this.skip();
    }
    try {
      execFileSync('curl', ['--version'], { stdio: 'ignore' });
    } catch {
      console.log('    (skipped: curl is not installed)');
      return this.skip();
    }
    scratch = mkdtempSync(join(tmpdir(), 'weaprous-https-curl-'));
    const servers = Object.keys(SERVERS) as Server[];
    for (const server of servers) ports[server] = { http: await freePort(), https: await freePort() };
    const config = writeProxyConfig();
    const started = servers.flatMap((server) =>
      (['http', 'https'] as const).map((scheme) => {
        const tls = scheme === 'https' ? ['--tls-cert', cert!.certFile, '--tls-key', cert!.keyFile] : [];
        const address = ['--server-ip', '127.0.0.1', '--server-port', String(ports[server][scheme])];
        const child = processes.start(`${server}-${scheme}`, SERVERS[server].script, [
          ...address,
          ...SERVERS[server].flags(config),
          ...tls,
        ]);
        return child.waitFor(/Listening on/, STARTUP_MS * 2);
      }),
    );
    await Promise.all(started);
  });

  after(async () => {
    await processes.killAll();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs one command against the plain server and, with `--cacert`, against the TLS one; `JAR` becomes a cookie jar per scheme. */
  async function both(server: Server, args: string[], path: string): Promise<Record<Scheme, Answer>> {
    const answers = {} as Record<Scheme, Answer>;
    for (const scheme of ['http', 'https'] as const) {
      const trust = scheme === 'https' ? ['--cacert', cert!.certFile] : [];
      const withJar = args.map((arg) => (arg === 'JAR' ? join(scratch, `jar-${server}-${scheme}.txt`) : arg));
      const { exit, stderr, status, body } = await curl([...trust, ...withJar, `${scheme}://127.0.0.1:${ports[server][scheme]}${path}`]);
      expect(exit, `curl ${scheme} ${path}: ${stderr}`).to.equal(0);
      answers[scheme] = { status, body };
    }
    return answers;
  }

  /** Each command's answer over HTTPS equals its answer over HTTP; the statuses are the documented ones. */
  async function expectSame(
    server: Server,
    commands: Array<[number, string[], string]>,
    normalize = (body: string) => body,
  ): Promise<void> {
    for (const [status, args, path] of commands) {
      const { http, https } = await both(server, args, path);
      expect(http.status, `${server} ${args.join(' ')} ${path}`).to.equal(status);
      expect({ status: https.status, body: normalize(https.body) }).to.deep.equal({ status: http.status, body: normalize(http.body) });
    }
  }

  it("the tracker answers the walkthrough's curl commands over HTTPS as over HTTP", async () => {
    const json = ['-H', 'Content-Type: application/json'];
    await expectSame('tracker', [
      [200, ['-X', 'POST', ...json, '-d', '{"ip":"127.0.0.1","port":9001,"peer_id":"127.0.0.1:9001"}'], '/submit-info/'],
      [200, [], '/get-list/'],
      [200, ['-X', 'POST', '-d', '{"peer_id":"127.0.0.1:9001"}'], '/heartbeat/'],
      [200, ['-X', 'POST', ...json, '-d', '{"peer_id":"127.0.0.1:9001"}'], '/remove/'],
      [200, ['-X', 'POST', ...json, '-d', '{"peer_id":"127.0.0.1:9001"}'], '/remove/'],
      [400, ['-X', 'POST', ...json, '-d', '{"ip":"127.0.0.1","port":"abc"}'], '/submit-info/'],
      [405, [], '/submit-info/'],
    ]);
  });

  it('the sample app logs in with a cookie over HTTPS as over HTTP (docs/task1-cookie-login.md)', async () => {
    await expectSame('sampleapp', [
      [401, [], '/'],
      [401, ['-d', 'username=admin&password=wrong'], '/login'],
      [200, ['-c', 'JAR', '-d', 'username=admin&password=password'], '/login'],
      [200, ['-H', 'Content-Type: application/json', '-d', '{"username":"admin","password":"password"}'], '/login'],
      [200, ['-b', 'JAR'], '/'],
      [303, ['-b', 'JAR', '-c', 'JAR', '-X', 'POST'], '/logout'],
      [401, ['-b', 'JAR'], '/'],
      [200, [], '/static/css/styles.css'],
    ]);
  });

  it('start_backend.ts answers GET / and POST /echo over HTTPS as over HTTP, but for its own port', async () => {
    const ownPort = (body: string) => body.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT'); // in "backend" and "host"
    await expectSame(
      'backend',
      [
        [200, [], '/'],
        [200, ['-H', 'Content-Type: text/plain', '--data-binary', 'hello over TLS'], '/echo'],
      ],
      ownPort,
    );
  });

  it('the proxy terminates TLS in front of the plain sample app and forwards to the HTTPS backend (docs/proxy.md)', async () => {
    await expectSame('proxy', [
      [200, ['-X', 'POST', '-d', 'username=admin&password=password'], '/login'],
      [401, [], '/'],
      [200, ['-H', 'Cookie: auth=true'], '/'],
      [401, ['-X', 'POST', '-d', 'username=admin&password=wrong'], '/login'],
      [404, ['-H', 'Host: example.com'], '/'],
      [200, ['-H', 'Host: app2.local'], '/'],
    ]);
    const { https } = await both('proxy', ['-H', 'Host: app2.local'], '/');
    expect(JSON.parse(https.body)).to.include({ backend: `127.0.0.1:${ports.backend.https}`, forwardedFor: '127.0.0.1' });
  });

  it('curl without --cacert refuses every HTTPS server: exit 60, the certificate is not trusted', async () => {
    for (const server of Object.keys(SERVERS) as Server[]) {
      const { exit, stderr } = await curl([`https://127.0.0.1:${ports[server].https}/`]);
      expect({ server, exit }).to.deep.equal({ server, exit: 60 });
      expect(stderr).to.include('SSL certificate problem: self-signed certificate');
    }
  });
});
