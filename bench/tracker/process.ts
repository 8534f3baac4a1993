/**
 * The tracker under test, in its own process: bundled by esbuild into `$TMPDIR/weaprous-bench/tracker.js`
 * (`apps/tracker.ts` with `daemon/` and ioredis) and run by plain `node`, its log written to a file as a
 * deployed tracker's would be, and its memory and CPU read from `/proc/<pid>` (Linux). New: no WeApRous twin.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, BUNDLE_DIR } from '../bundle';

const START_TIMEOUT_MS = 20_000;
/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** Bundles apps/tracker.ts into BUNDLE_DIR/tracker.js and returns its path. */
export async function bundleTracker(): Promise<string> {
  return (await bundle({ tracker: join(__dirname, '..', '..', 'apps', 'tracker.ts') })).tracker;
}

export class TrackerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly logFile: string,
  ) {}

  /** `node tracker.js --server-ip 127.0.0.1 --server-port 0 ...extra`; resolves once it listens. */
  static async start(bundle: string, extra: string[]): Promise<TrackerProcess> {
    const logFile = join(BUNDLE_DIR, `tracker-${process.pid}.log`);
    const fd = openSync(logFile, 'w');
    const args = [bundle, '--server-ip', '127.0.0.1', '--server-port', '0', ...extra];
    const child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd], env: { ...process.env, NODE_OPTIONS: '' } });
    closeSync(fd);
    const started = Date.now();
    while (Date.now() - started < START_TIMEOUT_MS) {
      if (child.exitCode !== null) throw new Error(`The tracker exited (code ${child.exitCode}):\n${readFileSync(logFile, 'utf8')}`);
      const port = /\[Backend\] Listening on IP \S+ port (\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
      if (port) return new TrackerProcess(child, Number(port), logFile);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    throw new Error(`The tracker did not listen within ${START_TIMEOUT_MS / 1000} s:\n${readFileSync(logFile, 'utf8')}`);
  }

  /** Resident memory now and at its highest so far (VmRSS, VmHWM), in bytes. */
  memory(): { rss: number; peak: number } {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  }

  /** CPU time used so far (user + system), in seconds. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces, so split after its closing parenthesis).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  }

  /** SIGTERM, then SIGKILL after 5 s; removes the log. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
        this.child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        this.child.kill('SIGTERM');
      });
    }
    rmSync(this.logFile, { force: true });
  }
}
