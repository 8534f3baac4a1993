/**
 * The body-budget attack against a real tracker process (`apps/tracker.ts`): one address opens 64 slow uploads
 * of 1 MiB each to hold the server's whole body budget. Each address has a share of it, so the attacker is
 * refused (429) past its share and an honest client on another address is answered at once
 * (`npx ts-node scripts/attacks/body-budget.ts`). Tests `daemon/admission.ts` (MemoryBudget), `daemon/httpadapter.ts`.
 */

import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { startTracker } from '../../scripts/rss-attacks';
import { register, trickle, type Trickle } from '../../scripts/attacks/body-budget';

/** Resolves once `count` of the attack's connections have been answered; rejects after `ms`. */
function answered(attack: Trickle, count: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${attack.statuses.filter(Boolean).length} answered`)), ms);
    const check = (): void => {
      if (attack.statuses.filter(Boolean).length < count) return;
      clearTimeout(timer);
      resolve();
    };
    for (const socket of attack.sockets) socket.on('data', () => setImmediate(check));
    check();
  });
}

describe('a real tracker while one address holds slow uploads', function () {
  this.timeout(60_000);
  let tracker: { child: ChildProcess; port: number } | null = null;
  let attack: Trickle | null = null;

  beforeEach(async () => {
    tracker = await startTracker();
  });

  afterEach(() => {
    attack?.stop();
    attack = null;
    tracker?.child.kill('SIGKILL');
    tracker = null;
  });

  it('refuses 64 slow 1 MiB uploads from 127.0.0.2 past its share, and answers 127.0.0.3 within 2 s (was 503)', async () => {
    attack = await trickle(tracker!.port, '127.0.0.2', 64);
    await answered(attack, 56, 20_000); // an eighth of 64 MiB: 8 bodies held, 56 refused
    expect(attack.statuses.filter((status) => status === 429)).to.have.length(56);
    const honest = await register(tracker!.port, '127.0.0.3');
    expect(honest.status).to.equal(200);
    expect(honest.ms).to.be.below(2_000);
  });

  it('still answers this machine (127.0.0.1, the curl examples and the demo) while the attack holds its share', async () => {
    attack = await trickle(tracker!.port, '127.0.0.2', 64);
    await answered(attack, 56, 20_000);
    const local = await register(tracker!.port, '127.0.0.1');
    expect(local.status).to.equal(200);
    expect(local.ms).to.be.below(2_000);
  });
});
