/**
 * Test helper: `tcpdump -i lo -U -w FILE FILTER` run for the length of a test, then its file read back. When
 * tcpdump is missing or may not capture (not root, no CAP_NET_RAW), `startCapture` answers why, so the test can
 * skip saying so. New, not in WeApRous.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from './child';

export class Capture {
  private constructor(
    private readonly proc: ChildProcess,
    readonly file: string,
  ) {}

  /** Starts tcpdump on the loopback interface; resolves once it says it is listening, else with why it is not. */
  static start(filter: string, timeoutMs = 10_000): Promise<Capture | string> {
    const file = join(dataDir('capture'), 'lo.pcap');
    // -U: each packet is written as it arrives, so the file can be read while tcpdump runs.
    const proc = spawn('tcpdump', ['-i', 'lo', '-U', '-n', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    let settled = false;
    return new Promise((done) => {
      const timer = setTimeout(() => finish(`tcpdump did not say it was listening within ${timeoutMs} ms: ${said.trim()}`), timeoutMs);
      const finish = (answer: Capture | string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (typeof answer === 'string') proc.kill('SIGKILL');
        done(answer);
      };
      proc.on('error', (error: NodeJS.ErrnoException) =>
        finish(error.code === 'ENOENT' ? 'tcpdump is not installed (bash scripts/install-tcpdump.sh)' : error.message),
      );
      proc.on('exit', () => finish(`tcpdump cannot capture here (it needs root or CAP_NET_RAW): ${said.trim()}`));
      proc.stderr!.setEncoding('utf8');
      proc.stderr!.on('data', (text: string) => {
        said += text;
        if (/listening on lo/.test(said)) finish(new Capture(proc, file));
      });
    });
  }

  /** Resolves once `text` is in the file: every packet sent before it has been written too. */
  async waitFor(text: string, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(existsSync(this.file) && readFileSync(this.file).includes(text))) {
      if (Date.now() > until) throw new Error(`"${text}" did not reach the capture within ${timeoutMs} ms`);
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  /** Stops tcpdump (SIGINT: it writes what it holds and exits) and answers the file's bytes. */
  async stop(): Promise<Buffer> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((done) => this.proc.once('exit', done));
      this.proc.kill('SIGINT');
      await exited;
    }
    return readFileSync(this.file);
  }
}
