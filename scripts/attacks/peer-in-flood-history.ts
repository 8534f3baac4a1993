/**
 * A stranger that proves its own key (so no per-address limit for unknown senders applies) posts batches of
 * 10,000-character broadcasts to a peer's `/messages/`, then checks whether an earlier message is still in
 * `/history/`. Prints bytes taken, time, answers and the target's RSS. docs/security/peer-in.md.
 * Usage: npx ts-node scripts/attacks/peer-in-flood-history.ts --target http://127.0.0.1:5001 [--pid N] [--mib 256] [--from 127.0.0.2]
 */

import { option, rssMiB } from './kit';
import { call, KeyedStranger } from './peer-in-kit';

const BATCH = 100;
const SIZE = 10_000;

export async function floodHistory(target: string, mib: number, from: string, pid?: number) {
  const stranger = new KeyedStranger(from);
  await stranger.listen();
  const connected = await stranger.connect(target);
  const rssBefore = rssMiB(pid);
  const started = Date.now();
  const answers = new Map<number, number>();
  let taken = 0;
  const batches = Math.ceil((mib * 1024 * 1024) / (BATCH * SIZE));
  for (let seq = 0; seq < batches; seq++) {
    const { status, body } = await stranger.flood(target, BATCH, SIZE, seq);
    const results = status === 200 ? (JSON.parse(body).results as Array<{ status: string; code?: number }>) : [];
    for (const r of results) answers.set(r.code ?? 200, (answers.get(r.code ?? 200) ?? 0) + 1);
    if (status !== 200) answers.set(status, (answers.get(status) ?? 0) + BATCH);
    taken += results.filter((r) => r.status === 'received').length * SIZE;
    if (status !== 200 || results.every((r) => r.status !== 'received')) break; // refused: the share is spent
  }
  stranger.close();
  return {
    connected: connected.status,
    seconds: (Date.now() - started) / 1000,
    takenMiB: taken / 1024 / 1024,
    answers: Object.fromEntries(answers),
    rssBefore,
    rssAfter: rssMiB(pid),
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(
      'npx ts-node scripts/attacks/peer-in-flood-history.ts --target http://127.0.0.1:5001 [--pid N] [--mib 256] [--from 127.0.0.2]',
    );
    return;
  }
  const target = option('target', 'http://127.0.0.1:5001');
  const pid = Number(option('pid', '0')) || undefined;
  const honest = await call(`${target}/broadcast-peer/`, { from: '127.0.0.1:5999', name: 'Honest', msg: 'before the flood' });
  console.log('honest message before:', honest.status);
  const result = await floodHistory(target, Number(option('mib', '256')), option('from', '127.0.0.2'), pid);
  console.log(JSON.stringify(result));
  const page = await call(`${target}/history/?channel=general&since=-1&limit=5`, undefined);
  console.log('first page of /history/ still holds the honest message:', page.body.includes('before the flood'));
}

if (require.main === module) void main();
