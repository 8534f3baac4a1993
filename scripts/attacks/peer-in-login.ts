/**
 * Keeps wrong passwords in flight at a peer's `POST /login/` from one address, and meanwhile sends the right
 * password from 127.0.0.1 (the owner's browser) a number of times: prints how the owner was answered.
 * docs/security/peer-in.md.
 * Usage: npx ts-node scripts/attacks/peer-in-login.ts --target http://127.0.0.1:5001 --password PW [--from 127.0.0.2] [--inflight 4] [--tries 20]
 */

import { option } from './kit';
import { call } from './peer-in-kit';

export async function loginSiege(target: string, password: string, from: string, inflight: number, tries: number) {
  let running = true;
  let guesses = 0;
  const guesser = async () => {
    while (running) {
      await call(`${target}/login/`, { password: 'wrong' }, from).catch(() => {});
      guesses += 1;
    }
  };
  const guessers = Array.from({ length: inflight }, guesser);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const owner: Record<number, number> = {};
  const started = Date.now();
  for (let i = 0; i < tries; i++) {
    const { status } = await call(`${target}/login/`, { password });
    owner[status] = (owner[status] ?? 0) + 1;
  }
  const seconds = (Date.now() - started) / 1000;
  running = false;
  await Promise.all(guessers);
  return { owner, ownerSeconds: seconds, guesses };
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(
      'npx ts-node scripts/attacks/peer-in-login.ts --target http://127.0.0.1:5001 --password PW [--from 127.0.0.2] [--inflight 4] [--tries 20]',
    );
    return;
  }
  const args = [option('target', 'http://127.0.0.1:5001'), option('password', ''), option('from', '127.0.0.2')] as const;
  console.log(JSON.stringify(await loginSiege(...args, Number(option('inflight', '4')), Number(option('tries', '20')))));
}

if (require.main === module) void main();
