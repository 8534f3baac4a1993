/**
 * A hello that anyone can send names another peer's scheme: Mallory, on another machine, tells Alice that
 * Bob (who serves plain HTTP) serves HTTPS, then floods the scheme memory; Alice must still reach Bob as before.
 * End-to-end test for `/connect-peer/`'s `"scheme"` (`apps/peer/network/routes.ts`, `model/peers.ts: learnScheme`).
 */

import { expect } from 'chai';
import { send } from '../../scripts/attacks/kit';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

describe("an unsigned hello naming another peer's scheme (real tracker and peers)", function () {
  this.timeout(90_000);
  const processes = new Processes();
  const ports: Record<string, number> = {};
  const ips: Record<string, string> = { Alice: '127.0.0.2', Bob: '127.0.0.3' };
  const id = (name: string) => `${ips[name]}:${ports[name]}`;
  let alice: Child;
  let bob: Child;

  async function startPeer(name: string, tracker: number): Promise<Child> {
    ports[name] = await freePort();
    const args = ['--tracker', `http://127.0.0.1:${tracker}`, '--ip', ips[name], '--port', String(ports[name]), '--name', name];
    const peer = processes.start(name, 'apps/peer.ts', [...args, '--data-dir', dataDir(name)]);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return peer;
  }

  before(async function () {
    const trackerPort = await freePort();
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    alice = await startPeer('Alice', trackerPort);
    bob = await startPeer('Bob', trackerPort);
    await alice.waitFor(exact(`[P2P] Peer connected: Bob (${id('Bob')})`));
  });
  after(() => processes.killAll());

  it('a stranger saying "Bob serves https" does not cut Alice off from Bob', async () => {
    const hello = { peer_id: id('Bob'), name: 'Bob', ip: ips.Bob, port: ports.Bob, scheme: 'https' };
    const answer = await send(`http://${id('Alice')}`, 'POST', '/connect-peer/', JSON.stringify(hello), '127.0.0.4');
    expect(answer.status).to.equal(401);
    alice.type(`/direct ${id('Bob')} still there?`);
    await bob.waitFor(exact(`[DIRECT] Alice (${id('Alice')}): still there?`), 10_000);
  });
});
