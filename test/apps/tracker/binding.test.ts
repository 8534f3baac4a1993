/**
 * A registered id bound to its peer's key, through the real tracker app on port 0 with a fake clock: signed
 * writes pass; unsigned, badly signed, other-key and stale writes for a bound id get 401 with a sentence; ids
 * without a key (the document's curl bodies) work as before; the binding goes with the registration.
 * Tests for `apps/tracker/binding.ts` wired into `apps/tracker/routes.ts` (issue 7, item 7).
 */

import { expect } from 'chai';
import { generateKeyPairSync, sign } from 'node:crypto';
import { HttpClient } from '../../../daemon/client';
import type { Backend } from '../../../daemon/backend';
import { PeerRegistry } from '../../../apps/tracker/registry';
import { createTrackerApp } from '../../../apps/tracker/routes';
import { publicKeyText, signedBytes } from '../../../apps/signature';
import type { AskKey } from '../../../apps/owner';

/** A key pair that signs bodies as a peer's identity does. */
function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: publicKeyText(publicKey),
    signed: (body: object) => ({ ...body, signature: sign(null, signedBytes(body), privateKey).toString('base64') }),
  };
}

describe('the tracker binds a registered id to its key', () => {
  let backend: Backend;
  let base: string;
  let now = 0;
  let log: string[] = [];
  /** The key of the peer listening at 127.0.0.1:5001, as `GET /identity/` there would answer. */
  let holder: string | undefined;
  const client = new HttpClient({ timeoutMs: 5_000 });
  const alice = keyPair();
  const mallory = keyPair();
  const ID = '127.0.0.1:5001';
  const REGISTER = { ip: '127.0.0.1', port: 5001, peer_id: ID };

  beforeEach(async () => {
    now = 1_700_000_000_000;
    log = [];
    holder = alice.publicKey;
    const askKey: AskKey = async () => ({ ok: true, key: holder });
    const app = createTrackerApp({ registry: new PeerRegistry(300_000), log: (line) => log.push(line), now: () => now, askKey });
    backend = await app.prepareAddress('127.0.0.1', 0).run();
    base = `http://127.0.0.1:${backend.address().port}`;
  });
  afterEach(async () => {
    client.close();
    await backend.close();
  });

  const post = (path: string, json: object) => client.request(base + path, { method: 'POST', json });
  const error = (res: { json<T>(): T }) => res.json<{ error: string }>().error;
  const listed = async () => (await client.request(base + '/get-list/')).json<{ peers: Array<{ peer_id: string; name?: string }> }>().peers;
  const bind = () => post('/submit-info/', alice.signed({ ...REGISTER, public_key: alice.publicKey, time: now }));

  it('binds on a signed /submit-info/ and logs the body as the document shows, the key once', async () => {
    const res = await bind();
    expect(res.status).to.equal(200);
    expect(res.json()).to.deep.equal({ status: 'ok', peer_id: ID });
    expect(log).to.include(`[Tracker] Body: {"ip":"127.0.0.1","port":5001,"peer_id":"${ID}"}`);
    expect(log).to.include(`[Tracker] Key bound: ${ID} (${alice.publicKey})`);
  });

  it('takes signed /heartbeat/, /add-list/, /submit-info/ and /remove/ from the key holder', async () => {
    await bind();
    expect((await post('/heartbeat/', alice.signed({ peer_id: ID, time: now }))).status).to.equal(200);
    expect((await post('/add-list/', alice.signed({ peer_id: ID, channel: 'team', time: now }))).status).to.equal(200);
    expect((await post('/submit-info/', alice.signed({ ...REGISTER, name: 'Alice', time: now }))).status).to.equal(200);
    expect(await listed()).to.deep.equal([{ ...REGISTER, name: 'Alice' }]);
    expect((await post('/remove/', alice.signed({ peer_id: ID, time: now }))).json()).to.deep.equal({
      status: 'ok',
      message: 'Peer unregistered',
    });
  });

  it('refuses an unsigned /remove/, /heartbeat/, /add-list/ and /submit-info/ for a bound id with 401; the peer stays', async () => {
    await bind();
    const attempts = [
      post('/remove/', { peer_id: ID }),
      post('/heartbeat/', { peer_id: ID }),
      post('/add-list/', { peer_id: ID, channel: 'team' }),
      post('/submit-info/', { ...REGISTER, name: 'Mallory' }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).to.equal(401);
      expect(error(res)).to.equal(
        `${ID} is registered with a key and this request is not signed; only that peer can change its registration`,
      );
    }
    expect(await listed()).to.deep.equal([REGISTER]);
  });

  it('refuses a bad signature with 401: another key, or a body changed after signing', async () => {
    await bind();
    const forged = await post('/remove/', mallory.signed({ peer_id: ID, time: now }));
    expect(forged.status).to.equal(401);
    expect(error(forged)).to.equal(`${ID} is registered with a key and this request is not signed by it`);
    const changed = { ...alice.signed({ ...REGISTER, time: now }), name: 'Mallory' };
    expect((await post('/submit-info/', changed)).status).to.equal(401);
    expect(await listed()).to.deep.equal([REGISTER]);
  });

  it('refuses another key for a bound id with 401, even signed by that key', async () => {
    await bind();
    const res = await post('/submit-info/', mallory.signed({ ...REGISTER, name: 'Mallory', public_key: mallory.publicKey, time: now }));
    expect(res.status).to.equal(401);
    expect(error(res)).to.match(/^127\.0\.0\.1:5001 is registered with another key; only its holder can register it again/);
    expect(log).to.include(`[Tracker] Rejected (401): ${error(res)}`);
  });

  it('refuses a signed body whose time is more than 5 minutes from the clock, or missing, with 401', async () => {
    await bind();
    const stale = await post('/remove/', alice.signed({ peer_id: ID, time: now - 300_001 }));
    expect(stale.status).to.equal(401);
    expect(error(stale)).to.equal(
      `"time" is 300 s away from the tracker's clock (at most 300 s): a request replayed later, or a clock that is wrong`,
    );
    expect((await post('/heartbeat/', alice.signed({ peer_id: ID, time: now + 300_001 }))).status).to.equal(401);
    const untimed = await post('/heartbeat/', alice.signed({ peer_id: ID }));
    expect(error(untimed)).to.equal('A signed request must carry "time", the milliseconds since the epoch when it was signed');
    expect((await post('/heartbeat/', alice.signed({ peer_id: ID, time: now - 300_000 }))).status).to.equal(200);
  });

  it('refuses a /submit-info/ that offers a key without signing with it (401), or a key that is not one (400)', async () => {
    expect((await post('/submit-info/', { ...REGISTER, public_key: alice.publicKey })).status).to.equal(401);
    const bad = await post('/submit-info/', { ...REGISTER, public_key: 'abc' });
    expect(bad.status).to.equal(400);
    expect(error(bad)).to.match(/"public_key" must be the base64 of a raw Ed25519 public key/);
    expect(await listed()).to.deep.equal([]);
  });

  it("keeps the document's curl bodies working for an id without a key, exactly as before", async () => {
    const register = await post('/submit-info/', REGISTER);
    expect(register.text()).to.equal(`{"status":"ok","peer_id":"${ID}"}`);
    expect((await post('/heartbeat/', { peer_id: ID })).status).to.equal(200);
    expect((await post('/submit-info/', { ...REGISTER, name: 'Bob' })).status).to.equal(200);
    expect((await post('/remove/', { peer_id: ID })).json()).to.deep.equal({ status: 'ok', message: 'Peer unregistered' });
  });

  it("refuses a first key that the peer at the id's address does not hold (a stranger squatting an id): 401", async () => {
    const squat = await post('/submit-info/', mallory.signed({ ...REGISTER, public_key: mallory.publicKey, time: now }));
    expect(squat.status).to.equal(401);
    expect(error(squat)).to.equal(
      'The peer listening at 127.0.0.1:5001 holds another key; a key is bound to an id only by the peer at that address',
    );
    expect(await listed()).to.deep.equal([]);
    holder = undefined;
    expect((await post('/submit-info/', mallory.signed({ ...REGISTER, public_key: mallory.publicKey, time: now }))).status).to.equal(401);
    holder = alice.publicKey;
    expect((await bind()).status).to.equal(200); // the real Alice still registers
  });

  it('lets an unbound id be bound later by a signed registration', async () => {
    await post('/submit-info/', REGISTER);
    expect((await bind()).status).to.equal(200);
    expect((await post('/heartbeat/', { peer_id: ID })).status).to.equal(401);
  });

  it('drops the binding with the registration: after /remove/ or the TTL, first use binds again', async () => {
    await bind();
    await post('/remove/', alice.signed({ peer_id: ID, time: now }));
    holder = mallory.publicKey; // another peer, with its own key, now listens at that address
    expect((await post('/submit-info/', mallory.signed({ ...REGISTER, public_key: mallory.publicKey, time: now }))).status).to.equal(200);
    now += 300_001;
    holder = alice.publicKey;
    expect((await bind()).status).to.equal(200);
    expect(log).to.include(`[Tracker] Expired: ${ID} (not seen for 300 s) - Total: 0`);
  });
});
