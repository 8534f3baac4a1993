/**
 * What comes into a peer, attacked for real from other loopback addresses (other "machines"): a stranger with
 * its own key flooding the history, 1,000 made-up `/connect-peer/` ids, wrong passwords kept in flight. Each
 * time the honest user is unharmed. The attacks are scripts/attacks/peer-in-*.ts; docs/security/peer-in.md.
 */

import { expect } from 'chai';
import { call, KeyedStranger } from '../../scripts/attacks/peer-in-kit';
import { floodHistory } from '../../scripts/attacks/peer-in-flood-history';
import { connectFlood } from '../../scripts/attacks/peer-in-connect-flood';
import { loginSiege } from '../../scripts/attacks/peer-in-login';
import { dataDir, exact, freePort, passwordFile, Processes, STARTUP_MS } from './child';

describe('what comes into a peer, attacked from other addresses (end to end)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  let base = '';

  before(async () => {
    const port = await freePort();
    const args = [
      '--tracker',
      'http://127.0.0.1:1',
      '--port',
      String(port),
      '--name',
      'Victim',
      '--password-file',
      passwordFile('hunter22'),
    ];
    const victim = processes.start('Victim', 'apps/peer.ts', [...args, '--data-dir', dataDir('Victim')]);
    await victim.waitFor(exact('[Victim] > '), STARTUP_MS);
    base = `http://127.0.0.1:${port}`;
  });
  after(() => processes.killAll());

  it("refuses a keyed stranger's flood once over its share; earlier messages stay and another address still sends", async () => {
    expect((await call(`${base}/broadcast-peer/`, { from: '127.0.0.1:5999', name: 'Honest', msg: 'before the flood' })).status).to.equal(
      200,
    );
    const flood = await floodHistory(base, 64, '127.0.0.2');
    expect(flood.connected).to.equal(200);
    expect(flood.takenMiB).to.be.below(2); // its burst, not 64 MiB
    expect(flood.answers[429]).to.be.greaterThan(0);
    const page = await call(`${base}/history/?channel=general&since=-1&limit=5`, undefined);
    expect(page.body).to.include('before the flood');
    // Another address still has its own share.
    const other = new KeyedStranger('127.0.0.3');
    await other.listen();
    await other.connect(base);
    const batch = await other.flood(base, 1, 100, 0);
    other.close();
    expect(JSON.parse(batch.body).results[0].status).to.equal('received');
  });

  it('keeps room for a proven peer and for TestPeer after 1,000 made-up connections', async () => {
    const result = await connectFlood(base, 1_000, '127.0.0.4');
    expect(result.realPeer).to.equal(200);
    expect(JSON.parse(result.testPeer)).to.include({ status: 'ok', message: 'Connected' });
  });

  it("answers the owner's right password from loopback while another address keeps guessing", async () => {
    const siege = await loginSiege(base, 'hunter22', '127.0.0.5', 4, 10);
    expect(siege.owner).to.deep.equal({ 303: 10 });
    expect(siege.ownerSeconds).to.be.below(20);
  });
});
