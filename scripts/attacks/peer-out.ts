/**
 * The attacks on what goes out of a peer, against real processes (docs/security/peer-out.md): `blackhole` (N
 * listed addresses that never answer), `slow` (N fakes that answer once, then take 2.9 s), `busy` (N made-up
 * known peers answering 503 fill the outboxes while Bob is down a moment). Prints what each measured, as JSON.
 */

import { HttpClient } from '../../daemon/client';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from '../../test/apps/child';
import { FAKE_IP, type FakeKind, Fakes } from './peer-out-fakes';

export interface Measured {
  mode: FakeKind;
  fakes: number;
  /** Milliseconds until Alice's prompt (blackhole), or until Bob shows Alice's message (all modes); null: never. */
  promptMs?: number;
  deliveredMs: number | null;
  /** What Alice said of her direct message (busy). */
  said?: string;
  fakeRequests: number;
}

const HELP = `npx ts-node scripts/attacks/peer-out.ts --mode blackhole|slow|busy [--count N] [--wait-ms MS]
Starts a tracker, Bob and Alice (apps/peer.ts), opens N fakes on ${FAKE_IP}, and prints what it measured as JSON.`;

/** Starts the processes, runs the attack `mode` with `count` fakes, and measures what the honest user sees. */
export async function measure(mode: FakeKind, count: number, waitMs = 60_000): Promise<Measured> {
  const processes = new Processes();
  const fakes = new Fakes(mode);
  const client = new HttpClient();
  try {
    const trackerPort = await freePort();
    const trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    await fakes.open(count);
    const peer = async (name: string, port: number, folder: string, wait = true): Promise<Child> => {
      const child = processes.startPeer(name, trackerUrl, port, ['--data-dir', folder]);
      if (wait) await child.waitFor(exact(`[${name}] > `), waitMs);
      return child;
    };
    const [bobPort, alicePort] = [await portBesides(fakes.ports), await portBesides(fakes.ports)];
    const bobFolder = dataDir('Bob');
    const register = async () => {
      for (const entry of fakes.entries()) await client.request(`${trackerUrl}/submit-info/`, { method: 'POST', json: entry });
    };
    if (mode === 'slow') await register(); // listed before Bob: Alice's broadcasts go to them first
    const bob = await peer('Bob', bobPort, bobFolder);
    if (mode === 'blackhole') await register();
    const started = Date.now();
    const alice = await peer('Alice', alicePort, dataDir('Alice'), false);
    const result: Measured = { mode, fakes: count, deliveredMs: null, fakeRequests: 0 };
    if (mode === 'blackhole') {
      await alice.waitFor('Discovering peers...', STARTUP_MS);
      alice.type('typed while connecting');
      await alice.waitFor(exact('[Alice] > '), waitMs).catch(() => undefined);
      result.promptMs = Date.now() - started;
      result.deliveredMs = await shown(bob, 'typed while connecting', started, waitMs);
    } else if (mode === 'slow') {
      result.deliveredMs = await slowAttack(alice, bob, waitMs);
    } else {
      await busyAttack(alice, alicePort, fakes, client, waitMs);
      await bob.kill();
      const sent = Date.now();
      alice.type(`/direct 127.0.0.1:${bobPort} are you there`);
      const aboutBob = new RegExp(`^\\[P2P\\].*(queued for .*127\\.0\\.0\\.1:${bobPort}|127\\.0\\.0\\.1:${bobPort}.*kept)`);
      result.said = await alice.waitFor(aboutBob, waitMs).catch(() => 'nothing');
      const bobAgain = await peer('Bob', bobPort, bobFolder);
      result.deliveredMs = await shown(bobAgain, 'are you there', sent, waitMs);
    }
    result.fakeRequests = fakes.requests;
    return result;
  } finally {
    client.close();
    await processes.killAll();
    await fakes.close();
  }
}

/** Alice broadcasts once (the fakes turn slow), then again: how long the second takes to reach Bob. */
async function slowAttack(alice: Child, bob: Child, waitMs: number): Promise<number | null> {
  await alice.waitFor(exact('[Alice] > '), waitMs);
  alice.type('first, while the fakes still look fast');
  await shown(bob, 'first, while', Date.now(), waitMs);
  const sent = Date.now();
  alice.type('through the slow ones');
  return shown(bob, 'through the slow ones', sent, waitMs);
}

/** The fakes introduce themselves to Alice, signed with their one key; then a broadcast fills their outboxes. */
async function busyAttack(alice: Child, alicePort: number, fakes: Fakes, client: HttpClient, waitMs: number): Promise<void> {
  await alice.waitFor(exact('[Alice] > '), waitMs);
  for (const entry of fakes.entries()) {
    const hello = { ...entry, public_key: fakes.identity.publicKey, to: `127.0.0.1:${alicePort}`, time: Date.now() };
    await client
      .request(`http://127.0.0.1:${alicePort}/connect-peer/`, { method: 'POST', json: { ...hello, signature: fakes.identity.sign(hello) } })
      .catch(() => undefined);
  }
  alice.type('hello everyone');
  await alice.waitFor(/^\[P2P\] Broadcast sent to/, waitMs).catch(() => undefined);
}

/** A free port none of the fakes holds on their address (a peer listens on every address). */
async function portBesides(taken: number[]): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!taken.includes(port)) return port;
  }
}

/** Milliseconds from `since` until `child` prints a line containing `text`; null if it does not within `waitMs`. */
async function shown(child: Child, text: string, since: number, waitMs: number): Promise<number | null> {
  const seen = await child.waitFor(new RegExp(text), waitMs, 0).catch(() => null);
  return seen === null ? null : Date.now() - since;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const value = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  if (args.includes('--help') || !args.includes('--mode')) {
    console.log(HELP);
  } else {
    const mode = value('--mode') as FakeKind;
    const count = Number(value('--count') ?? { blackhole: 1200, slow: 998, busy: 256 }[mode]);
    measure(mode, count, Number(value('--wait-ms') ?? 60_000)).then(
      (result) => console.log(JSON.stringify(result)),
      (error) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
      },
    );
  }
}
