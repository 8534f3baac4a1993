/**
 * Test helper: a real process (tracker or peer) started with ts-node in transpile-only mode, whose
 * output is kept line by line so a test can wait for the line it needs, with a timeout, and whose
 * standard input a test can type into; `Processes` keeps every process a suite or a test started, so one
 * hook kills them all. New (the Python original was tested by hand). Not a test file itself (mocha runs
 * `*.test.ts` only).
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** Each peer a test starts keeps its history here, not in the repository's `data/`; removed when mocha exits. */
let scratch: string | undefined;

/** A fresh folder for one peer's `--data-dir`; pass the same one to a restarted peer to keep its history. */
export function dataDir(label: string): string {
  if (!scratch) {
    const root = mkdtempSync(join(tmpdir(), 'weaprous-e2e-'));
    process.on('exit', () => rmSync(root, { recursive: true, force: true }));
    scratch = root;
  }
  return mkdtempSync(join(scratch, `${label.replace(/[^A-Za-z0-9-]/g, '_')}-`));
}

/** `--password-file` for a peer: a file only its owner may read, holding `password` (the `ps` never shows it). */
export function passwordFile(password: string): string {
  const file = join(dataDir('password'), 'password');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return file;
}

/** How long a test waits for a process to print its first lines: ts-node start-up on a busy two-core machine. */
export const STARTUP_MS = 20_000;

/** A RegExp matching exactly this line, for `waitFor`. */
export function exact(line: string): RegExp {
  return new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/**
 * A port nobody listens on right now, below the kernel's range for outgoing connections (32768 and up): a port
 * bound at 0 and closed comes from that range, and any outgoing connection may take it before a child binds it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((done) => {
      const server = createServer().once('error', () => done(false));
      server.listen(port, '0.0.0.0', () => server.close(() => done(true)));
    });
    if (free) return port;
  }
}

/** How a child is started: `under` runs node inside another command, `['ip', 'netns', 'exec', 'wr-alice']`. */
export interface StartOptions {
  under?: string[];
}

interface Waiter {
  pattern: string | RegExp;
  from: number;
  done: (index: number) => void;
  fail: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Child {
  readonly lines: string[] = [];
  /** When each of `lines` came (ms since 1970): the chaos run times deliveries by them. */
  readonly times: number[] = [];
  /** Where the next `waitFor` starts looking: just after the line the previous one matched. */
  cursor = 0;
  exitCode: number | null | undefined = undefined;
  private partial = '';
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiters = new Set<Waiter>();
  private readonly exited: Promise<number | null>;

  /**
   * `Child.start('Alice', 'apps/peer.ts', ['--port', '5001', '--name', 'Alice'])`. A peer started without
   * `--data-dir` gets a fresh one (`dataDir(label)`), so no test reads another run's history.
   */
  static start(label: string, script: string, args: string[], options: StartOptions = {}): Child {
    const peer = script === 'apps/peer.ts' && !args.includes('--data-dir') && !args.includes('--help') && !args.includes('-h');
    return new Child(label, script, peer ? [...args, '--data-dir', dataDir(label)] : args, options);
  }

  private constructor(
    readonly label: string,
    script: string,
    args: string[],
    options: StartOptions,
  ) {
    // `ip netns exec` replaces itself with node (execvp), so the process killed below is node itself.
    const [command, ...before] = [...(options.under ?? []), process.execPath];
    this.proc = spawn(command, [...before, '-r', 'ts-node/register/transpile-only', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stderr.setEncoding('utf8');
    this.proc.stdout.on('data', (text: string) => this.onText(text));
    this.proc.stderr.on('data', (text: string) => this.onText(text));
    this.proc.stdin.on('error', () => {}); // writing to a process that just quit is not the test's failure
    this.exited = new Promise((done) =>
      this.proc.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        if (this.partial !== '') this.addLine(this.partial);
        for (const waiter of this.waiters) this.reject(waiter, `${this.label} exited (code ${code}, signal ${signal})`);
        done(code);
      }),
    );
  }

  /** Types a line into the process's standard input. */
  type(line: string): void {
    this.proc.stdin.write(line + '\n');
  }

  /** Closes standard input: Ctrl+D. */
  endInput(): void {
    this.proc.stdin.end();
  }

  signal(name: NodeJS.Signals): void {
    if (this.exitCode === undefined) this.proc.kill(name);
  }

  /** Resolves with the exit code. */
  waitForExit(timeoutMs = 10_000): Promise<number | null> {
    return Promise.race([
      this.exited,
      new Promise<never>((_, fail) =>
        setTimeout(() => fail(new Error(`${this.label} did not exit within ${timeoutMs} ms\n${this.output()}`)), timeoutMs).unref(),
      ),
    ]);
  }

  /** Kills the process (if still running) and waits for it to go. */
  async kill(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /**
   * Resolves with the first line at or after `from` (default: the cursor) that contains `pattern` (a
   * string) or matches it (a RegExp), and moves the cursor past it. Rejects, with everything the process
   * printed, after `timeoutMs` or when the process exits first.
   */
  async waitFor(pattern: string | RegExp, timeoutMs = 10_000, from = this.cursor): Promise<string> {
    return this.lines[await this.indexOf(pattern, timeoutMs, from)];
  }

  /**
   * Waits for each pattern in turn, each after the line the previous one matched, starting at `from`
   * (default 0: everything the process printed). Use it to check lines that may already be there.
   */
  async waitForLines(patterns: Array<string | RegExp>, timeoutMs = 10_000, from = 0): Promise<void> {
    let at = from;
    for (const pattern of patterns) at = (await this.indexOf(pattern, timeoutMs, at)) + 1;
  }

  /** Like `waitFor`, but resolves with the index of the line in `lines`. */
  indexOf(pattern: string | RegExp, timeoutMs = 10_000, from = this.cursor): Promise<number> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => this.reject(waiter, `${this.label}: no line matching ${pattern} within ${timeoutMs} ms`), timeoutMs);
      const waiter: Waiter = { pattern, from, done, fail, timer };
      this.waiters.add(waiter);
      this.check(waiter);
      if (this.waiters.has(waiter) && this.exitCode !== undefined) this.reject(waiter, `${this.label} has exited`);
    });
  }

  /** Every line printed since `from`. */
  since(from: number): string[] {
    return this.lines.slice(from);
  }

  output(): string {
    return this.lines.map((line) => `  ${this.label}| ${line}`).join('\n');
  }

  private onText(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.addLine(line);
  }

  private addLine(line: string): void {
    this.lines.push(line.replace(/\r$/, ''));
    this.times.push(Date.now());
    for (const waiter of [...this.waiters]) this.check(waiter);
  }

  private check(waiter: Waiter): void {
    for (let i = waiter.from; i < this.lines.length; i++) {
      const line = this.lines[i];
      const hit = typeof waiter.pattern === 'string' ? line.includes(waiter.pattern) : waiter.pattern.test(line);
      if (!hit) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      this.cursor = Math.max(this.cursor, i + 1);
      waiter.done(i);
      return;
    }
  }

  private reject(waiter: Waiter, message: string): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    waiter.fail(new Error(`${message}\n${this.output()}`));
  }
}

/** The processes a suite or a test started, so that one hook kills them all, whatever failed. */
export class Processes {
  private readonly started: Child[] = [];

  start(label: string, script: string, args: string[], options: StartOptions = {}): Child {
    // A tracker keeps private channel names in its data folder: a test's goes with the test's scratch folder.
    const own = script.endsWith('tracker.ts') && !args.includes('--data-dir') ? ['--data-dir', dataDir(`${label}-data`)] : [];
    const child = Child.start(label, script, [...args, ...own], options);
    this.started.push(child);
    return child;
  }

  /** `apps/peer.ts` started as the walkthrough starts it, plus `more` flags: `startPeer('Bob', url, 5002, ['--heartbeat', '1'])`. */
  startPeer(name: string, trackerUrl: string, port: number, more: string[] = []): Child {
    return this.start(name, 'apps/peer.ts', ['--tracker', trackerUrl, '--port', String(port), '--name', name, ...more]);
  }

  async killAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((child) => child.kill()));
  }
}
