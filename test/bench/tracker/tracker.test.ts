/**
 * The tracker benchmark runs end to end at a tiny size: a bundled tracker in its own process, 100 fake peers
 * registered and heartbeating, every kind of query answered, the table, the verdict lines and the command
 * that reproduces it printed. A smoke test only: no timing is asserted (benchmarks are never tests).
 * Tests for `bench/tracker/tracker.ts` (benchmark tooling; no WeApRous twin).
 */

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/tracker/tracker.ts', ...args], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`bench/tracker/tracker.ts did not finish within ${timeoutMs / 1000} s:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('npm run bench:tracker (at a tiny size)', function () {
  this.timeout(60_000);

  it('registers, heartbeats, asks every kind of list, and prints the table and how to reproduce it', async () => {
    const { code, output } = await run(
      ['--peers', '100', '--seconds', '1', '--period', '1', '--clients', '1', '--connections', '2'],
      50_000,
    );
    expect(code, output).to.equal(0);
    const command =
      'npm run bench:tracker -- --peers 100 --period 1 --seconds 1 --clients 1 --connections 2 --channels 10 --registry memory';
    expect(output).to.include(`Command: ${command}`).and.include(`Reproduce with: ${command}`);
    expect(output).to.include('Fake peers register without a key');
    for (const query of [
      'heartbeats only',
      'GET /get-list/ (all)',
      '?channel=bench-0 (all)',
      'page of 100',
      '?channel=bench-0 page of 100',
    ]) {
      expect(output).to.include(`| 100   | ${query}`);
    }
    expect(output).to.match(
      /^100 peers: registered at [\d,]+\/s, joined channels at [\d,]+\/s; tracker RSS \d+ MB after that, peak \d+ MB/m,
    );
  });

  it('refuses a bad option with a sentence and the usage', async () => {
    const { code, output } = await run(['--peers', 'many'], 20_000);
    expect(code).to.equal(2);
    expect(output).to.match(/^--peers must be sizes from --channels \(10\) to 1000000 separated by commas, not "many"\./);
  });
});
