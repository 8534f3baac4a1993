/**
 * Peers on separate hosts: the tracker and three peers (Alice, Bob, Carol) each in its own network namespace
 * made by `scripts/netns.sh`, with its own address (10.77.0.10 to .13) on a bridge, the peers advertising it
 * with `--ip`. The chat works across them; Carol's link cut leaves Alice and Bob chatting and queues for her;
 * healed, she gets what waited. Runs as root where `ip netns` works and is skipped, saying why, elsewhere.
 * Each run has its own namespace names and bridge (no address on this machine's side), so two runs at once
 * never meet; the `after` hook removes them whatever failed. End-to-end test for issue 9, item 5.
 */

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { Child, exact, Processes, STARTUP_MS } from './child';
import { unavailable } from '../../scripts/chaos/namespaces';

const ROOT = resolve(__dirname, '../..');
/** This run's namespaces: `w<pid>-alice`, its bridge `w<pid>-br0` (the script allows 7 characters). */
const PREFIX = `w${process.pid.toString(36)}`.slice(0, 7);
const TRACKER = 'http://10.77.0.10:8000';
const PEERS = {
  Alice: { ns: 'alice', ip: '10.77.0.11', port: 5001 },
  Bob: { ns: 'bob', ip: '10.77.0.12', port: 5002 },
  Carol: { ns: 'carol', ip: '10.77.0.13', port: 5003 },
};
type Name = keyof typeof PEERS;
/**
 * How long a message queued for Carol may take once her link is back: her outbox at Alice retries after
 * about 1 s, 5 s, 15 s (±20%), each try given up after 3 s; the link is back before the 15 s wait starts.
 */
const REDELIVERY_MS = 40_000;

/** `scripts/netns.sh <args>` for this run's namespaces; resolves with what it printed. */
function netns(...args: string[]): Promise<string> {
  const env = { ...process.env, WR_NETNS_PREFIX: PREFIX, WR_NETNS_HOST: '' };
  return new Promise((done, fail) =>
    execFile('bash', ['scripts/netns.sh', ...args], { cwd: ROOT, env, timeout: 20_000 }, (error, stdout, stderr) =>
      error ? fail(new Error(`netns.sh ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`)) : done(stdout),
    ),
  );
}

describe('peers on separate hosts: network namespaces (e2e)', () => {
  const processes = new Processes();
  const peers = {} as Record<Name, Child>;
  let tracker: Child;
  let made = false;

  const under = (ns: string) => ({ under: ['ip', 'netns', 'exec', `${PREFIX}-${ns}`] });
  const id = (name: Name) => `${PEERS[name].ip}:${PEERS[name].port}`;
  const who = (name: Name) => `${name} (${id(name)})`;

  function startPeer(name: Name, heartbeatSeconds = 30): Child {
    const { ns, ip, port } = PEERS[name];
    const args = ['--tracker', TRACKER, '--ip', ip, '--port', String(port), '--name', name, '--heartbeat', String(heartbeatSeconds)];
    return (peers[name] = processes.start(name, 'apps/peer.ts', args, under(ns)));
  }

  before(async function () {
    const reason = unavailable('this test');
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    this.timeout(STARTUP_MS * 4);
    made = true;
    await netns('up');
    tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-port', '8000'], under('tracker'));
    await tracker.waitFor(exact('[Backend] Listening on IP 0.0.0.0 port 8000'), STARTUP_MS);
    // One after another, as in the four-terminal demo: each finds the ones before it at the tracker.
    await startPeer('Alice').waitFor(exact('[Alice] > '), STARTUP_MS);
    await startPeer('Bob').waitFor(exact('[Bob] > '), STARTUP_MS);
    // Carol beats every second, so she notices the cut and comes back quickly.
    await startPeer('Carol', 1).waitFor(exact('[Carol] > '), STARTUP_MS);
  });

  after(async function () {
    this.timeout(30_000);
    await processes.killAll();
    if (made) await netns('down');
  });

  it('registers each peer at the tracker by its own address and connects them across the bridge', async () => {
    await tracker.waitForLines([
      exact(`[Tracker] Registered: ${id('Alice')} - Total: 1`),
      exact(`[Tracker] Registered: ${id('Bob')} - Total: 2`),
      exact(`[Tracker] Registered: ${id('Carol')} - Total: 3`),
    ]);
    await peers.Carol.waitForLines([exact(`[P2P] Connected to peer: ${who('Alice')}`), exact(`[P2P] Connected to peer: ${who('Bob')}`)]);
    await peers.Alice.waitForLines([exact(`[P2P] Peer connected: ${who('Bob')}`), exact(`[P2P] Peer connected: ${who('Carol')}`)]);
  });

  it('delivers a broadcast from Alice to Bob and Carol', async () => {
    peers.Alice.type('Hello across the bridge');
    await peers.Alice.waitFor(exact('[P2P] Broadcast sent to 2/2 peers'));
    for (const name of ['Bob', 'Carol'] as const) await peers[name].waitFor(exact(`[BROADCAST] ${who('Alice')}: Hello across the bridge`));
  });

  it("keeps Alice and Bob chatting while Carol's link is cut, and queues Alice's message for Carol", async function () {
    this.timeout(30_000);
    expect(await netns('cut', 'carol')).to.include(`Cut carol: eth0 in ${PREFIX}-carol is down`);
    const carolFrom = peers.Carol.lines.length;
    peers.Alice.type('Carol cannot hear this yet');
    await peers.Bob.waitFor(exact(`[BROADCAST] ${who('Alice')}: Carol cannot hear this yet`));
    await peers.Alice.waitForLines(
      [
        exact('[P2P] Broadcast sent to 1/2 peers'),
        new RegExp(`^\\[P2P\\]   failed: Carol \\(${id('Carol')}\\) - `),
        exact(`[P2P]   queued for ${who('Carol')}: 1 message waiting, sent again until it is delivered`),
      ],
      10_000,
      peers.Alice.cursor,
    );
    peers.Bob.type('/direct Alice Bob here, still with you');
    await peers.Alice.waitFor(exact(`[DIRECT] ${who('Bob')}: Bob here, still with you`));
    // Carol is cut off from the tracker too: her next heartbeat says so.
    await peers.Carol.waitFor('[Tracker] Heartbeat failed: ', 10_000, carolFrom);
    expect(peers.Carol.since(carolFrom).join('\n')).not.to.include('Carol cannot hear this yet');
  });

  it('delivers what waited for Carol once her link is back, and her history has caught up', async function () {
    this.timeout(REDELIVERY_MS + 20_000);
    const carolFrom = peers.Carol.lines.length;
    expect(await netns('heal', 'carol')).to.include('Healed carol');
    await peers.Alice.waitFor(exact(`[P2P] Delivered 1 waiting message to ${who('Carol')}`), REDELIVERY_MS);
    // In either order: the outbox at Alice and Carol's heartbeat do not wait for each other.
    await peers.Carol.waitFor(exact(`[BROADCAST] ${who('Alice')}: Carol cannot hear this yet`), 10_000, carolFrom);
    await peers.Carol.waitFor(exact('[Tracker] Re-registered with the tracker'), 10_000, carolFrom);
    const historyFrom = peers.Carol.lines.length;
    peers.Carol.type('/history');
    await peers.Carol.waitForLines(
      [
        exact('History of #general (2):'),
        new RegExp(`^  \\[\\d\\d:\\d\\d\\] Alice \\(${id('Alice')}\\): Hello across the bridge$`),
        new RegExp(`^  \\[\\d\\d:\\d\\d\\] Alice \\(${id('Alice')}\\): Carol cannot hear this yet$`),
      ],
      10_000,
      historyFrom,
    );
  });
});
