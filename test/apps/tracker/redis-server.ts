/**
 * Test helper: a real `redis-server` (Debian's package, installed by scripts/install-redis.sh) on a free
 * loopback port, with no persistence (`--save '' --appendonly no`) and its own temporary folder, stopped by
 * `stop()`. A missing redis-server fails with the command to run, never a skip. New; not a test file itself.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../child';

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

const START_MS = 10_000;

/** Starts redis-server; tries another port if the free one was taken meanwhile. */
export async function startRedis(): Promise<RedisServer> {
  let last: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOn(await freePort());
    } catch (error) {
      last = error as Error;
      if (!/already in use/i.test(last.message)) throw last;
    }
  }
  throw last!;
}

function startOn(port: number): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'weaprous-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${START_MS / 1000} s:\n${output}`)), START_MS);
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'ENOENT'
          ? new Error('redis-server is not installed: run `bash scripts/install-redis.sh` (npm test runs it first)')
          : error,
      ),
    );
    child.once('exit', (code) => fail(new Error(`redis-server exited (code ${code}) before it was ready:\n${output}`)));
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!/Ready to accept connections/.test(output)) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout!.off('data', onOutput);
      child.stderr!.off('data', onOutput);
      child.stdout!.resume();
      child.stderr!.resume();
      resolve({ port, url: `redis://127.0.0.1:${port}`, stop: () => stop(child, dir) });
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
  });
}

function stop(child: ChildProcess, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', done);
    child.kill('SIGKILL');
  });
}
