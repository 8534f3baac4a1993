/**
 * Filling the tracker's registry with made-up ids: key-less `/submit-info/` for 10.x.y.z addresses from one
 * source address (--from), as many as it can in --seconds. Prints the registrations accepted and refused, the
 * tracker's RSS (--pid, from /proc) and the size of `/get-list/`; then starts two real peers (Alice, then Bob)
 * and prints whether Bob found and connected to Alice. docs/security/tracker.md.
 */

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { options, rssMiB, send } from './kit';

const USAGE = `Usage: npx ts-node scripts/attacks/tracker-registrations.ts [--tracker http://127.0.0.1:8000] [--pid <tracker pid>] [--seconds 10] [--parallel 16] [--from 127.0.0.2] [--peer-port 47001]`;

async function main(): Promise<void> {
  const args = options(USAGE, {
    tracker: 'http://127.0.0.1:8000',
    pid: '',
    seconds: '10',
    parallel: '16',
    from: '127.0.0.2',
    'peer-port': '47001',
  });
  const pid = args.pid === '' ? undefined : Number(args.pid);
  console.log(`tracker RSS before: ${rssMiB(pid) ?? '?'} MiB`);
  const counts = await flood(args.tracker, args.from, Number(args.seconds) * 1000, Number(args.parallel));
  console.log(
    `attacker from ${args.from}: ${counts.accepted} accepted, ${counts.refused} refused in ${args.seconds} s; answers ${JSON.stringify(counts.statuses)}`,
  );
  const list = await send(args.tracker, 'GET', '/get-list/');
  console.log(
    `tracker RSS after: ${rssMiB(pid) ?? '?'} MiB; /get-list/ answers ${list.status}, ${(Buffer.byteLength(list.body) / 1024).toFixed(1)} KiB in ${list.ms} ms`,
  );
  const port = Number(args['peer-port']);
  const alice = startPeer(args.tracker, port, 'Alice');
  await alice.waitFor(/^\[Alice\] > /, 30_000);
  const bob = startPeer(args.tracker, port + 1, 'Bob');
  const line = await bob.waitFor(/Connected to peer: Alice|Discovery failed/, 30_000);
  console.log(`Bob, started afterwards: ${line}`);
  alice.kill();
  bob.kill();
}

/** `parallel` loops of registrations for made-up ids until `ms` have passed. */
async function flood(base: string, from: string, ms: number, parallel: number) {
  const statuses: Record<number, number> = {};
  const end = Date.now() + ms;
  let next = 0;
  const loop = async () => {
    while (Date.now() < end) {
      const n = next++;
      const body = JSON.stringify({ ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port: 4000 + (n >> 24) });
      const answer = await send(base, 'POST', '/submit-info/', body, from).catch(() => ({ status: 0 }));
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: parallel }, loop));
  const accepted = statuses[200] ?? 0;
  return { accepted, refused: next - accepted, statuses };
}

/** A real peer (ts-node), whose output can be awaited line by line. */
function startPeer(tracker: string, port: number, name: string) {
  const root = resolve(__dirname, '../..');
  const args = ['-r', 'ts-node/register/transpile-only', 'apps/peer.ts', '--tracker', tracker, '--port', String(port), '--name', name];
  const child = spawn(process.execPath, [...args, '--data-dir', `/tmp/tracker-registrations-${name}-${port}`], { cwd: root });
  let text = '';
  child.stdout.on('data', (chunk) => (text += chunk));
  return {
    kill: () => child.kill(),
    waitFor: (pattern: RegExp, timeoutMs: number) =>
      new Promise<string>((done) => {
        const started = Date.now();
        const check = setInterval(() => {
          const found = text.split('\n').find((line) => pattern.test(line));
          if (found !== undefined || Date.now() - started > timeoutMs) {
            clearInterval(check);
            done(found ?? `(nothing matching ${pattern} in ${timeoutMs / 1000} s)`);
          }
        }, 100);
      }),
  };
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
