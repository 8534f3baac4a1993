/**
 * `npm run demo` on a machine without tmux: it must print the four commands of the README, in the order to
 * run them, and exit 0. With tmux (a stand-in that records its arguments) it starts the session and says how
 * to reach it: `tmux switch-client` from inside tmux, `tmux attach` from outside, never the by-hand commands.
 * The real four panes are checked by hand, see docs/walkthrough.md.
 * Tests for `scripts/demo.sh`.
 */

import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

  /** Runs the script with `PATH=dir` and the extra environment; resolves with what it printed. */
  function runDemo(dir: string, env: Record<string, string> = {}): Promise<string> {
    return new Promise<string>((done, fail) => {
      execFile('/bin/bash', ['scripts/demo.sh'], { cwd: ROOT, env: { PATH: dir, ...env } }, (error, stdout) =>
        error ? fail(error) : done(stdout),
      );
    });
  }

  it('without tmux, prints the four commands to run by hand and exits 0', async () => {
    const output = await runDemo(bin);
    const commands = output.split('\n').filter((line) => /^ {2}\d\. /.test(line));
    expect(commands).to.deep.equal([
      '  1. npx ts-node apps/tracker.ts --server-port 8000',
      '  2. npx ts-node apps/peer.ts --tracker http://127.0.0.1:8000 --port 5001 --name Alice',
      '  3. npx ts-node apps/peer.ts --tracker http://127.0.0.1:8000 --port 5002 --name Bob',
      '  4. npx ts-node apps/peer.ts --tracker http://127.0.0.1:8000 --port 5003 --name Jack',
    ]);
    expect(output).to.include('tmux is not available.');
  });

  describe('with tmux', () => {
    let withTmux = '';
    before(() => {
      // The same PATH plus a `tmux` that records each call and succeeds.
      withTmux = mkdtempSync(join(tmpdir(), 'demo-tmux-'));
      for (const tool of ['id', 'dirname']) symlinkSync(join(bin, tool), join(withTmux, tool));
      // It also writes down the npm_* variables it was given: there must be none (see the last test).
      const calls = join(withTmux, 'calls');
      writeFileSync(
        join(withTmux, 'tmux'),
        `#!/bin/bash\necho "$*" >> ${calls}\nfor v in $(compgen -e); do case $v in npm_*) echo "env $v" >> ${calls};; esac; done\n`,
      );
      chmodSync(join(withTmux, 'tmux'), 0o755);
    });
    after(() => rmSync(withTmux, { recursive: true, force: true }));

    it('from inside tmux, says tmux switch-client (tmux refuses attach there) and not the by-hand commands', async () => {
      const output = await runDemo(withTmux, { TMUX: '/tmp/tmux-1000/default,1,0' });
      expect(output).to.include("run 'tmux switch-client -t weaprous-chat'");
      expect(output).not.to.include('attach');
      expect(output).not.to.match(/^ {2}\d\. /m);
      expect(readFileSync(join(withTmux, 'calls'), 'utf8')).to.include('new-session -d -s weaprous-chat');
    });

    it("starts tmux without npm run's settings, so the shells in it do not hand them to npm again", async () => {
      rmSync(join(withTmux, 'calls'), { force: true });
      await runDemo(withTmux, { npm_config_allow_scripts: 'esbuild', npm_lifecycle_event: 'demo', npm_package_name: 'weaprous' });
      const calls = readFileSync(join(withTmux, 'calls'), 'utf8');
      expect(calls).to.include('new-session -d -s weaprous-chat');
      expect(calls).not.to.include('env npm_');
    });

    it('from outside tmux with no terminal, says tmux attach and not the by-hand commands', async () => {
      const output = await runDemo(withTmux);
      expect(output).to.include("run 'tmux attach -t weaprous-chat'");
      expect(output).not.to.match(/^ {2}\d\. /m);
    });
  });
});
