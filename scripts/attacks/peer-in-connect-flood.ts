/**
 * Fills a peer's table of connected peers with made-up, key-less ids from one address (`/connect-peer/` naming
 * addresses nobody listens at), then connects one peer that proves its key, and the document's TestPeer from
 * 127.0.0.1. Prints the answers and the time. docs/security/peer-in.md.
 * Usage: npx ts-node scripts/attacks/peer-in-connect-flood.ts --target http://127.0.0.1:5001 [--count 1000] [--from 127.0.0.2]
 */

import { option } from './kit';
import { call, KeyedStranger } from './peer-in-kit';

export async function connectFlood(target: string, count: number, from: string) {
  const started = Date.now();
  const answers: Record<number, number> = {};
  for (let i = 0; i < count; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const { status } = await call(`${target}/connect-peer/`, { ip, port: 9, name: `fake${i}` }, from);
    answers[status] = (answers[status] ?? 0) + 1;
  }
  const seconds = (Date.now() - started) / 1000;
  const honest = new KeyedStranger('127.0.0.1');
  await honest.listen();
  const real = await honest.connect(target);
  honest.close();
  const doc = await call(`${target}/connect-peer/`, { ip: '127.0.0.1', port: 9001, name: 'TestPeer' });
  return { seconds, answers, realPeer: real.status, testPeer: doc.body };
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log('npx ts-node scripts/attacks/peer-in-connect-flood.ts --target http://127.0.0.1:5001 [--count 1000] [--from 127.0.0.2]');
    return;
  }
  const target = option('target', 'http://127.0.0.1:5001');
  console.log(JSON.stringify(await connectFlood(target, Number(option('count', '1000')), option('from', '127.0.0.2'))));
}

if (require.main === module) void main();
