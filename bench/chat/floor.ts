/**
 * The floor beside the chat's figures: what the machine gives N-1 receivers, a process each, that do nothing but
 * take a message. Each is the smallest node:http server (`floor-receiver.ts`) that reads a `POST
 * /broadcast-peer/`, prints its line and answers; this benchmark sends each message to all of them at once over
 * connections kept alive, unsigned and stored nowhere. No peer can be faster than this on the same machine, so
 * a figure of ours next to it says how much is the chat's own work and how much is processes sharing two cores.
 * New: no WeApRous twin.
 */

import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundle } from '../bundle';
import { freePort } from '../ports';
import { cpuMs } from '../proc';
import { ClusterProcess, type LineHandler } from './cluster';
import { dueAt, postJson, resultOf, type RunResult, type RunSpec, RunWatch, until } from './run';

const START_TIMEOUT_MS = 30_000;

/** Bundles the floor's receiver into `BUNDLE_DIR/floor-receiver.js`. */
export async function bundleFloor(): Promise<string> {
  return (await bundle({ 'floor-receiver': join(__dirname, 'floor-receiver.ts') }))['floor-receiver'];
}

/** Starts `size - 1` floor receivers, runs each spec (mode `floor`) on them, stops them; one result per spec. */
export async function measureFloor(size: number, specs: RunSpec[], script: string): Promise<RunResult[]> {
  let watch: RunWatch | null = null;
  const onLine: LineHandler = (name, line, at) => watch?.onLine(name, line, at);
  const receivers: ClusterProcess[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 1; i < size; i++) {
      const port = await freePort();
      const proc = spawn(process.execPath, [script, String(port)], { env: { ...process.env, NODE_OPTIONS: '' } });
      const receiver = new ClusterProcess(`F${i}`, port, proc, onLine);
      receivers.push(receiver);
      await receiver.waitFor((line) => line === `listening on ${port}`, START_TIMEOUT_MS, 'listening line');
    }
    const results: RunResult[] = [];
    for (const [i, spec] of specs.entries()) {
      watch = new RunWatch(`floor${i}`, spec.messages);
      results.push(await runFloor(receivers, spec, watch, agent));
    }
    return results;
  } finally {
    agent.destroy();
    await Promise.all(receivers.map((receiver) => receiver.stop()));
  }
}

/** Each message, when due, to every receiver at once; latency from then to the receiver's line. */
async function runFloor(receivers: ClusterProcess[], spec: RunSpec, watch: RunWatch, agent: Agent): Promise<RunResult> {
  const cpuBefore = receivers.reduce((sum, receiver) => sum + cpuMs(receiver.pid), 0);
  const firstAt = performance.now();
  const posts: Array<Promise<void>> = [];
  for (let n = 0; n < spec.messages; n++) {
    await until(dueAt(spec, firstAt, n));
    watch.sentAt[n] = performance.now();
    const body = JSON.stringify({ from: '127.0.0.1:9', name: 'Doc', msg: watch.text(n), timestamp: Date.now() / 1000 });
    for (const receiver of receivers) posts.push(postJson(receiver.port, '/broadcast-peer/', body, agent)); // kept alive
  }
  await Promise.all(posts);
  await watch.settle(spec.messages * receivers.length);
  const cpu = receivers.reduce((sum, receiver) => sum + cpuMs(receiver.pid), 0) - cpuBefore;
  return resultOf(spec, receivers.length, watch, firstAt, cpu, NaN); // the benchmark sent them: no sender of ours
}
