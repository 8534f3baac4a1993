/**
 * `npm run build`: every program bundled into `dist/` runs under plain `node` with the same flags, and finds the
 * repository's files from there (the tracker's page and its stylesheet). Tests for `scripts/build.ts` and
 * `apps/repository.ts` (new).
 */

import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { HttpClient } from '../../daemon/client';
import { buildAll } from '../../scripts/build';
import { dataDir, freePort } from '../apps/child';

describe('npm run build (dist/)', function () {
  this.timeout(60_000);
  const client = new HttpClient({ timeoutMs: 5_000 });
  let built: Awaited<ReturnType<typeof buildAll>>;
  let tracker: ChildProcess | undefined;

  before(async () => (built = await buildAll()));
  after(() => {
    tracker?.kill('SIGKILL');
    client.close();
  });

  it('prints the help of each program with plain node, exit code 0', () => {
    for (const file of [built.peer, built.tracker, built.sampleapp]) {
      const run = spawnSync(process.execPath, [file, '--help'], { encoding: 'utf8', timeout: 20_000 });
      expect(run.status, `${file}: ${run.stderr}`).to.equal(0);
      expect(run.stdout).to.match(/^Usage: /);
    }
  });

  it("serves the tracker's page and its stylesheet from the repository, as ts-node does", async () => {
    const port = await freePort();
    tracker = spawn(process.execPath, [built.tracker, '--server-port', String(port), '--data-dir', dataDir('dist-tracker')]);
    await new Promise<void>((ready, fail) => {
      tracker!.stdout!.on('data', (chunk: Buffer) => /Listening on/.test(chunk.toString()) && ready());
      tracker!.on('exit', (code) => fail(new Error(`the bundled tracker exited with ${code}`)));
    });
    const page = await client.request(`http://127.0.0.1:${port}/`);
    const css = await client.request(`http://127.0.0.1:${port}/static/css/tracker.css`);
    expect([page.status, css.status]).to.deep.equal([200, 200]);
    expect(page.body.toString()).to.include('tracker.css');
  });
});
