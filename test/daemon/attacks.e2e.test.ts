/**
 * The memory attacks of issue 6 against a real tracker process (`apps/tracker.ts`), with its resident
 * memory read from /proc: pipelined requests that are never read, and hundreds of bodies that never finish.
 * Before back-pressure and the body budget, these took the tracker from about 105 MB to 270 MB and 446 MB
 * (`npx ts-node scripts/rss-attacks.ts`). Tests `daemon/httpadapter.ts`, `daemon/connection.ts`, `daemon/backend.ts`.
 */

import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { bodies, pipelined, register, rssMb, startTracker, timedGet } from '../../scripts/rss-attacks';

const MB = 1;

describe('a real tracker under memory attacks', function () {
  this.timeout(60_000);
  let tracker: { child: ChildProcess; port: number } | null = null;
  let sockets: Socket[] = [];

  before(function () {
    if (!existsSync('/proc/self/status')) this.skip(); // RSS is read from /proc: Linux only
  });

  beforeEach(async () => {
    tracker = await startTracker();
    await register(tracker.port, 450); // GET /get-list/ is then about 36 KB
  });

  afterEach(() => {
    for (const socket of sockets) socket.destroy();
    sockets = [];
    tracker?.child.kill('SIGKILL');
    tracker = null;
  });

  /** Lets an attack run for `ms` while a normal client keeps asking; returns the peak RSS growth in MB. */
  async function growthDuring(ms: number, before: number): Promise<number> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      await timedGet(tracker!.port, '/get-list/'); // the normal client is still answered
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return rssMb(tracker!.child.pid!).peak - before;
  }

  it('holds its memory while three connections pipeline GET /get-list/ without ever reading (was +166 MB)', async () => {
    const before = rssMb(tracker!.child.pid!).rss;
    sockets = await pipelined(tracker!.port, 3);
    const growth = await growthDuring(3_000, before);
    expect(growth).to.be.below(40 * MB);
  });

  it('holds its memory while 300 connections each hold an unfinished 1 MB body (was +340 MB), refusing most with 503', async () => {
    const before = rssMb(tracker!.child.pid!).rss;
    const attack = await bodies(tracker!.port);
    sockets = attack;
    const refused = () => attack.statuses.filter((status) => status === 503);
    // The default 64 MiB budget holds about 64 bodies of 1 MiB; the other 236 are refused as they arrive.
    for (let waited = 0; refused().length < 200; waited += 100) {
      if (waited > 20_000) throw new Error(`only ${refused().length} of 300 bodies were refused with 503`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const growth = await growthDuring(2_000, before);
    expect(growth).to.be.below(150 * MB);
  });
});
