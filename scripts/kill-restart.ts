/**
 * The kill-and-restart run of docs/history.md, measured: with the tracker stopped, Alice types 100 messages and
 * Bob is killed (SIGKILL) after the 20th, then restarted on the same data folder. test/apps/history.e2e.test.ts
 * asserts the same scenario. New: no WeApRous twin. Usage: npx ts-node scripts/kill-restart.ts
 */

import { performance } from 'node:perf_hooks';
import { type Child, dataDir, exact, freePort, Processes, STARTUP_MS } from '../test/apps/child';

const TOTAL = 100;

// Prints how many Alice saw acknowledged and queued, how long Bob took to start again, how long after that
// Alice's outbox had delivered the rest, and whether Bob then holds all 100, once each, in order.
async function main(): Promise<void> {
  const processes = new Processes();
  try {
    const trackerPort = await freePort();
    const trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    const start = async (name: string, port: number, folder: string): Promise<Child> => {
      const peer = processes.startPeer(name, trackerUrl, port, ['--data-dir', folder]);
      await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
      return peer;
    };
    const bobPort = await freePort();
    const bobFolder = dataDir('Bob');
    const bob = await start('Bob', bobPort, bobFolder);
    const alice = await start('Alice', await freePort(), dataDir('Alice'));
    await alice.waitForLines([exact(`[P2P] Connected to peer: Bob (127.0.0.1:${bobPort})`)]);
    await tracker.kill();
    console.log(`Tracker stopped. Alice types ${TOTAL} messages; Bob is killed (SIGKILL) once the 20th is on his screen.`);

    const from = alice.lines.length;
    for (let i = 1; i <= TOTAL; i++) alice.type(`m${i}`);
    await bob.waitFor(/\): m20$/);
    await bob.kill();
    const report = /^\[P2P\] (Broadcast sent to \d\/\d peers|No connected peers to send to)/;
    while (alice.since(from).filter((line) => report.test(line)).length < TOTAL) await alice.waitFor(report);
    const acknowledged = alice.since(from).filter((line) => line === '[P2P] Broadcast sent to 1/1 peers').length;
    console.log(`Alice: ${TOTAL} sent, ${acknowledged} acknowledged by Bob before he died, ${TOTAL - acknowledged} queued in her outbox.`);

    const restartedAt = performance.now();
    const again = await start('Bob', bobPort, bobFolder);
    const upAt = performance.now();
    await alice.waitFor(new RegExp(`^\\[P2P\\] Delivered ${TOTAL - acknowledged} waiting messages? to `), 60_000);
    const deliveredAt = performance.now();
    console.log(
      `Bob restarted with the same data folder: console open ${Math.round(upAt - restartedAt)} ms after the spawn (ts-node included).`,
    );
    console.log(
      `Alice's outbox had delivered all ${TOTAL - acknowledged} waiting ${Math.round(deliveredAt - upAt)} ms after Bob's console opened.`,
    );

    again.type(`/history ${TOTAL * 2}`);
    const title = await again.waitFor(/^History of #general \(\d+\):$/);
    const held = Number(/\((\d+)\)/.exec(title)![1]);
    const at = again.lines.indexOf(title);
    await again.indexOf(/\): m\d+$/, 10_000, at + held);
    const texts = again.lines.slice(at + 1, at + 1 + held).map((line) => /\): (m\d+)$/.exec(line)?.[1]);
    const inOrder = texts.length === TOTAL && texts.every((text, i) => text === `m${i + 1}`);
    console.log(`Bob's /history: ${held} messages; all ${TOTAL}, once each, in the order sent: ${inOrder ? 'yes' : 'NO'}.`);
    console.log('Reproduce: npx ts-node scripts/kill-restart.ts');
    if (!inOrder) process.exitCode = 1;
  } finally {
    await processes.killAll();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(2);
});
