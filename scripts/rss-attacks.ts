/**
 * Memory attacks on a real tracker process, measured: its RSS before and at peak, and how long a normal client
 * waited meanwhile. test/daemon/attacks.e2e.test.ts runs the same attacks and asserts the memory stays bounded.
 * Usage: npx ts-node scripts/rss-attacks.ts [pipelined|pipelined3|bodies]... New; no WeApRous twin.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

export async function startTracker(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'apps/tracker.ts', '--server-port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /Listening on IP \S+ port (\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error('tracker exited')));
  });
  child.stdout!.resume(); // its log must not fill a pipe nobody reads
  child.stdout!.removeAllListeners('data');
  child.stdout!.on('data', () => {});
  return { child, port };
}

export function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** One request on a fresh connection; resolves with the milliseconds it took to get the whole answer. */
export async function timedGet(port: number, path: string): Promise<number> {
  const started = process.hrtime.bigint();
  const socket = await open(port);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await new Promise<void>((resolve) => {
    socket.on('data', () => {});
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export async function register(port: number, count: number): Promise<void> {
  const socket = await open(port);
  let requests = '';
  for (let i = 0; i < count; i++) {
    const ip = `10.0.${i >> 8}.${i & 255}`;
    const body = JSON.stringify({ ip, port: 5000 + (i % 1000), peer_id: `${ip}:${5000 + (i % 1000)}` });
    requests += `POST /submit-info/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  }
  socket.write(requests + 'GET /get-list/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await new Promise<void>((resolve) => {
    socket.on('data', () => {});
    socket.on('close', () => resolve());
  });
}

/** Samples the tracker's memory and a normal client's latency for `ms` while an attack runs. */
export async function watch(pid: number, port: number, ms: number): Promise<{ peak: number; worstMs: number }> {
  let worstMs = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    worstMs = Math.max(worstMs, await timedGet(port, '/get-list/'));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { peak: rssMb(pid).peak, worstMs };
}

export async function pipelined(port: number, connections: number): Promise<Socket[]> {
  const request = 'GET /get-list/ HTTP/1.1\r\nHost: x\r\n\r\n';
  const sockets: Socket[] = [];
  for (let c = 0; c < connections; c++) {
    const socket = await open(port);
    socket.pause(); // never read the answers
    socket.on('error', () => {});
    // 1,000 requests at a time, more whenever the server takes them: as much as it will swallow.
    const batch = request.repeat(1000);
    const more = () => {
      while (!socket.destroyed && socket.write(batch));
    };
    socket.on('drain', more);
    more();
    sockets.push(socket);
  }
  return sockets;
}

/** 300 connections, each one byte short of a 1 MB body. `statuses[i]` is the status connection i was answered, if any. */
export async function bodies(port: number): Promise<Socket[] & { statuses: number[] }> {
  const sockets = Object.assign([] as Socket[], { statuses: [] as number[] });
  const almost = Buffer.alloc(1024 * 1024 - 1, 'a');
  for (let c = 0; c < 300; c++) {
    const socket = await open(port);
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => (sockets.statuses[c] = Number(chunk.toString('latin1', 9, 12))));
    socket.write(`POST /submit-info/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
    socket.write(almost); // one byte short: the body never completes
    sockets.push(socket);
  }
  return sockets;
}

/**
 * One attack on a fresh tracker (so its peak, VmHWM, is this attack's), after 450 peers registered make
 * `/get-list/` about 36 KB.
 */
async function run(name: string): Promise<void> {
  const { child, port } = await startTracker();
  try {
    await register(port, 450);
    const before = rssMb(child.pid!).rss;
    const listMs = await timedGet(port, '/get-list/');
    const sockets = name === 'bodies' ? await bodies(port) : await pipelined(port, name === 'pipelined3' ? 3 : 1);
    const { peak, worstMs } = await watch(child.pid!, port, 5_000);
    const open = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
    console.log(
      `${name.padEnd(10)} RSS before ${before.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; ` +
        `a normal GET /get-list/ took ${listMs.toFixed(1)} ms before, up to ${worstMs.toFixed(1)} ms during; ` +
        `${open}/${sockets.length} attack connections still open after 5 s`,
    );
    for (const socket of sockets) socket.destroy();
  } finally {
    child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  for (const name of names.length > 0 ? names : ['pipelined', 'pipelined3', 'bodies']) await run(name);
  console.log(`Reproduce: npx ts-node scripts/rss-attacks.ts ${names.join(' ')}`.trimEnd());
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
