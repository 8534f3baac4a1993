/**
 * Prints where a CPU profile spent its time: the functions with the most self time, and for the bundled
 * server's own code (daemon/ and bench/, in `<tmp>/weaprous-bench/<kind>.js`) the most inclusive time too.
 * Reads the `.cpuprofile` that `node --cpu-prof` writes (what `npm run bench -- --profile` asks each
 * server process for). Benchmark tooling; no WeApRous twin.
 * Usage: ts-node bench/cpuprofile.ts /tmp/weaprous-bench/profiles/daemon/CPU.<...>.cpuprofile [--top 25]
 */

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BUNDLE_DIR } from './bundle';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const IDLE = '(idle) (native)';

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  // A bundle's lines are its own, not the .ts file's: esbuild heads each file's code with `// daemon/<file>.ts`.
  const path = url.startsWith('file://') ? url.slice(7) : url;
  const file = path.startsWith(BUNDLE_DIR) ? relative(BUNDLE_DIR, path) : path || '(native)';
  return `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
}

/** Microseconds of samples that landed in each node itself (self time). */
function selfTimes(profile: Profile): Map<number, number> {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return self;
}

/**
 * Adds up time by label: self time, and inclusive time (counted once per stack even under recursion).
 * `busy` leaves out "(idle)", the time the event loop waited for the network, so percentages say where work went.
 */
function totals(profile: Profile): { self: Map<string, number>; inclusive: Map<string, number>; busy: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const own = selfTimes(profile);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const walk = (node: ProfileNode, onStack: Set<string>): number => {
    const name = label(node);
    const time = own.get(node.id) ?? 0;
    self.set(name, (self.get(name) ?? 0) + time);
    let sum = time;
    const stack = new Set(onStack).add(name);
    for (const child of node.children ?? []) sum += walk(byId.get(child)!, stack);
    if (!onStack.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + sum);
    return sum;
  };
  const all = walk(profile.nodes[0], new Set());
  return { self, inclusive, busy: all - (self.get(IDLE) ?? 0) };
}

function print(title: string, times: Map<string, number>, busy: number, top: number, keep: (name: string) => boolean): void {
  console.log(`\n${title}`);
  const sorted = [...times]
    .filter(([name]) => name !== IDLE && keep(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [name, micros] of sorted) {
    console.log(`${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`);
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  const topIndex = args.indexOf('--top');
  const top = topIndex === -1 ? 25 : Number(args[topIndex + 1]);
  if (!file || !Number.isInteger(top) || top < 1) {
    console.error('Usage: ts-node bench/cpuprofile.ts <file.cpuprofile> [--top 25]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const { self, inclusive, busy } = totals(profile);
  console.log(`${file}: ${(busy / 1000).toFixed(0)} ms busy (idle left out); percentages are of busy time`);
  print('Self time (all code):', self, busy, top, () => true);
  // Bundle code is labelled `<function> daemon.js:<line>`; Node's own code has `node:` URLs with no `.js`.
  const ours = (name: string) => / [a-z]+\.js:\d+$/.test(name);
  print("Inclusive time (the bundled server's own code only):", inclusive, busy, top, ours);
}

main();
