/**
 * ChannelProofs over real sockets: two peers in #secret prove its key to each other in one request, a peer
 * with another key proves nothing, and the route refuses a wrong proof. Tests for
 * `apps/peer/network/channel-proof.ts`.
 */

import { expect } from 'chai';
import { HttpClient } from '../../../../daemon/client';
import type { Backend } from '../../../../daemon/backend';
import { WeApRous } from '../../../../daemon/weaprous';
import { ChannelKeys, channelProof, deriveSecrets } from '../../../../apps/peer/identity/channel-keys';
import { Channels } from '../../../../apps/peer/model/channels';
import { CHANNEL_PROOF_PATH, ChannelProofs } from '../../../../apps/peer/network/channel-proof';
import { readJsonObject } from '../../../../apps/json-fields';

interface TestPeer {
  id: string;
  address: { ip: string; port: number; peer_id: string };
  channels: Channels;
  proofs: ChannelProofs;
  backend: Backend;
}

describe('ChannelProofs', () => {
  const client = new HttpClient({ timeoutMs: 2_000 });
  const started: TestPeer[] = [];

  async function peer(key?: string): Promise<TestPeer> {
    const app = new WeApRous();
    const channels = new Channels();
    if (key !== undefined) channels.join('secret', key);
    let built: (proofs: ChannelProofs) => void = () => {};
    const ready = new Promise<ChannelProofs>((done) => (built = done));
    // The route as the peer's routes answer it (network/routes.ts: channelProof), the proofs built after listening.
    app.addRoute('POST', CHANNEL_PROOF_PATH, async (request) => (await ready).answer(readJsonObject(request, '{}')));
    const backend = await app.prepareAddress('127.0.0.1', 0).run();
    const port = backend.address().port;
    const id = `127.0.0.1:${port}`;
    const keys = new ChannelKeys((channel) => channels.keyOf(channel));
    const proofs = new ChannelProofs({ selfId: id, channels, keys, client, timeoutMs: 2_000 });
    built(proofs);
    const made = { id, address: { ip: '127.0.0.1', port, peer_id: id }, channels, proofs, backend };
    started.push(made);
    return made;
  }

  after(async () => {
    client.close();
    await Promise.all(started.map((p) => p.backend.close()));
  });

  it('proves both ways in one request between two holders of the key', async () => {
    const alice = await peer('hunter2');
    const bob = await peer('hunter2');
    expect(await alice.proofs.ensure('secret', bob.address)).to.equal(true);
    expect(alice.channels.hasProved('secret', bob.id)).to.equal(true);
    expect(bob.channels.hasProved('secret', alice.id)).to.equal(true);
  });

  it('proves nothing with another key, and does not ask again at once', async () => {
    const alice = await peer('hunter2');
    const mallory = await peer('guess');
    expect(await alice.proofs.ensure('secret', mallory.address)).to.equal(false);
    expect(await mallory.proofs.ensure('secret', alice.address)).to.equal(false);
    expect(alice.channels.provenMembers('secret')).to.deep.equal([]);
    expect(mallory.channels.provenMembers('secret')).to.deep.equal([]);
    await mallory.backend.close();
    expect(await alice.proofs.ensure('secret', mallory.address)).to.equal(false); // remembered, not asked
  });

  it('refuses a wrong proof (403), a peer not in the channel (403), another receiver (400)', async () => {
    const alice = await peer('hunter2');
    const outsider = await peer();
    const url = (p: TestPeer) => `http://127.0.0.1:${p.address.port}/channel-proof/`;
    const fields = { channel: 'secret', from: '127.0.0.2:6000', to: alice.id, time: Date.now() };
    const wrong = { ...fields, proof: channelProof((await deriveSecrets('secret', 'guess')).proofKey, fields) };
    const res = await client.request(url(alice), { method: 'POST', json: wrong });
    expect(res.status).to.equal(403);
    expect(res.json<{ error: string }>().error).to.match(/^Wrong proof for #secret/);
    expect((await client.request(url(outsider), { method: 'POST', json: { ...wrong, to: outsider.id } })).status).to.equal(403);
    expect((await client.request(url(alice), { method: 'POST', json: { ...wrong, to: 'someone' } })).status).to.equal(400);
    expect(alice.channels.provenMembers('secret')).to.deep.equal([]);
  });
});
