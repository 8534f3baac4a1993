/**
 * `npm run demo` on a machine without tmux: it must print the four commands of the README, in the order to
 * run them, and exit 0. (With tmux it opens four panes; that is checked by hand, see docs/walkthrough.md.)
 * Tests for `scripts/demo.sh`.
 */

import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

describe('scripts/demo.sh', () => {
  let bin = '';
  before(() => {
    // A PATH with only the two programs the script needs before it looks for tmux: no tmux, no apt-get.
    bin = mkdtempSync(join(tmpdir(), 'demo-path-'));
    for (const tool of ['id', 'dirname']) {
      symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    }
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  it('without tmux, prints the four commands to run by hand and exits 0', async () => {
    const output = await new Promise<string>((done, fail) => {
      execFile('/bin/bash', ['scripts/demo.sh'], { cwd: ROOT, env: { PATH: bin } }, (error, stdout) => (error ? fail(error) : done(stdout)));
    });
    const commands = output.split('\n').filter((line) => /^ {2}\d\. /.test(line));
    expect(commands).to.deep.equal([
      '  1. npx ts-node apps/tracker.ts --server-port 8000',
      '  2. npx ts-node apps/peer.ts --tracker http://127.0.0.1:8000 --port 5001 --name Alice',
      '  3. npx ts-node apps/peer.ts --tracker http://127.0.0.1:8000 --port 5002 --name Bob',
      '  4. npx ts-node apps/peer.ts --tracker http://127.0.0.1:8000 --port 5003 --name Jack',
    ]);
    expect(output).to.include('tmux is not available.');
  });
});
