/**
 * ChannelKeys (a key sent as it is turned into its verifier, capped work) and joinChannel (plan, proof or key
 * checked, join, plan again when the channel changed meanwhile). Where the verifier must be the one every peer
 * derives, scrypt runs at its real cost; the limits' tests derive at once. Tests for `keys.ts` and `join.ts`.
 */

import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { channelMaster, channelSigner, proveClaim, verifierOf } from '../../../apps/channel-secret';
import { ChannelKeys, KeysBusy } from '../../../apps/tracker/keys';
import { ChannelRegistry } from '../../../apps/tracker/channels';
import { joinChannel } from '../../../apps/tracker/join';

const A = '127.0.0.1:5001';
const B = '127.0.0.1:5002';
const C = '127.0.0.1:5003';
/** A verifier made at once (a hash, no scrypt): the limits' tests then do not depend on how fast the machine is. */
const instant = async (channel: string, key: string) => createHash('sha256').update(`${channel} ${key}`).digest('base64');
const cheap = (maxPending = 2, maxQueued = 32) => new ChannelKeys({ maxPending, maxQueued, derive: instant });
const real = () => new ChannelKeys();
const NOW = Date.now();
const withKey = (key: string | undefined) => (key === undefined ? { channel: 'team' } : { channel: 'team', key });

describe('ChannelKeys', () => {
  it('gives the verifier a peer derives from the same key, another for another key or another channel', async () => {
    const keys = real();
    const verifier = await keys.verifierOf(A, 'team', 's3cret');
    expect(verifier).to.equal(await verifierOf('team', 's3cret'));
    expect(verifier).to.have.length(44);
    expect(await keys.verifierOf(B, 'team', 'S3cret')).to.not.equal(verifier);
    expect(await keys.verifierOf(B, 'dev', 's3cret')).to.not.equal(verifier);
    expect(keys.pending).to.equal(0);
  });

  it('runs at most one check per peer id at a time, and refuses the second before doing any work', async () => {
    const keys = cheap();
    const first = keys.verifierOf(A, 'team', 'k');
    await keys.verifierOf(A, 'team', 'k').then(
      () => expect.fail('a second check for the same peer should be refused'),
      (error) => expect(error).to.be.instanceOf(KeysBusy).with.property('who', 'peer'),
    );
    await first;
    expect(keys.pending).to.equal(0);
    await keys.verifierOf(A, 'team', 'k'); // free again once the first is done
  });

  it('runs maxPending checks at once, queues the next ones, and refuses past maxQueued waiting', async () => {
    const keys = cheap(1, 1);
    const running = [keys.verifierOf(A, 'team', 'k'), keys.verifierOf(B, 'team', 'k')]; // B waits for A's turn
    await keys.verifierOf(C, 'team', 'k').then(
      () => expect.fail('a third check should be refused'),
      (error) => expect(error).to.be.instanceOf(KeysBusy).with.property('who', 'tracker'),
    );
    await Promise.all(running);
    expect(keys.pending).to.equal(0);
  });

  it('runs one check at a time per source address, then a few a second, and never limits 127.0.0.1', async () => {
    const keys = cheap();
    const first = keys.verifierOf(A, 'team', 'k', '127.0.0.2');
    await keys.verifierOf(B, 'team', 'k', '127.0.0.2').then(
      () => expect.fail('a second check from the same address should be refused'),
      (error) => expect(error).to.be.instanceOf(KeysBusy).with.property('who', 'address'),
    );
    await first;
    for (const id of [A, B]) await keys.verifierOf(id, 'team', 'k', '127.0.0.2'); // 3 at once in all
    await keys.verifierOf(C, 'team', 'k', '127.0.0.2').then(
      () => expect.fail('a fourth check in the same second should be refused'),
      (error) => expect(error).to.include({ who: 'address', retryAfter: 1 }),
    );
    for (let i = 0; i < 6; i++) await keys.verifierOf(A, 'team', 'k', '127.0.0.1');
  });
});

describe('joinChannel()', () => {
  it('creates a private channel, lets the right key in, and refuses a wrong or missing key with 403', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap();
    expect(await joinChannel(channels, keys, A, withKey('s3cret'), NOW)).to.deep.equal({ ok: true, result: 'created' });
    expect(await joinChannel(channels, keys, B, withKey('s3cret'), NOW)).to.deep.equal({ ok: true, result: 'joined' });
    expect(await joinChannel(channels, keys, C, withKey('wrong'), NOW)).to.deep.equal({
      ok: false,
      status: 403,
      error: 'Wrong key for #team; use the key it was created with',
    });
    expect(await joinChannel(channels, keys, C, withKey(undefined), NOW)).to.deep.include({ ok: false, status: 403 });
    expect(channels.members('team')).to.deep.equal([A, B]);
  });

  it('lets a member in again with no key work at all', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap();
    await joinChannel(channels, keys, A, withKey('s3cret'), NOW);
    const again = joinChannel(channels, keys, A, withKey('anything'), NOW);
    expect(keys.pending).to.equal(0);
    expect(await again).to.deep.equal({ ok: true, result: 'member' });
  });

  it('answers 429 when the same peer already has a key check running', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap();
    const first = joinChannel(channels, keys, A, withKey('k'), NOW);
    expect(await joinChannel(channels, keys, A, { channel: 'dev', key: 'k' }, NOW)).to.deep.include({ ok: false, status: 429 });
    await first;
  });

  it('answers 503 when the tracker has as many checks waiting as it allows', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap(1, 0);
    const first = joinChannel(channels, keys, A, withKey('k'), NOW);
    expect(await joinChannel(channels, keys, B, { channel: 'dev', key: 'k' }, NOW)).to.deep.include({ ok: false, status: 503 });
    await first;
  });

  it('when two peers create the same private channel at once, whoever comes second has its key checked against the first', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap();
    const outcomes = await Promise.all([
      joinChannel(channels, keys, A, withKey('one'), NOW),
      joinChannel(channels, keys, B, withKey('two'), NOW),
    ]);
    const winner = outcomes.findIndex((o) => o.ok);
    expect(outcomes[winner]).to.deep.equal({ ok: true, result: 'created' });
    expect(outcomes[1 - winner]).to.deep.include({ ok: false, status: 403 });
    expect(channels.members('team')).to.deep.equal([[A, B][winner]]);
  });

  describe('with a proof instead of the key (what a peer sends)', () => {
    const proof = async (key: string, peer: string, time = NOW, channel = 'team') =>
      proveClaim(channelSigner(await channelMaster(channel, key)), channel, peer, time);

    it('creates with a proof, lets a proof of the same key in, and a key sent as it is too (curl)', async () => {
      const channels = new ChannelRegistry(300_000);
      const keys = real();
      expect(await joinChannel(channels, keys, A, { channel: 'team', proof: await proof('s3cret', A) }, NOW)).to.deep.equal({
        ok: true,
        result: 'created',
      });
      expect(await joinChannel(channels, keys, B, { channel: 'team', proof: await proof('s3cret', B) }, NOW)).to.deep.include({ ok: true });
      expect(await joinChannel(channels, keys, C, withKey('s3cret'), NOW)).to.deep.include({ ok: true });
      expect(channels.members('team')).to.deep.equal([A, B, C]);
    });

    it('refuses a proof of another key, one made for another peer, a stale one, and a forged signature (403)', async () => {
      const channels = new ChannelRegistry(300_000);
      const keys = cheap();
      await joinChannel(channels, keys, A, { channel: 'team', proof: await proof('s3cret', A) }, NOW);
      const wrongKey = await joinChannel(channels, keys, B, { channel: 'team', proof: await proof('guess', B) }, NOW);
      expect(wrongKey).to.deep.equal({ ok: false, status: 403, error: 'Wrong key for #team; use the key it was created with' });
      const replayed = await joinChannel(channels, keys, B, { channel: 'team', proof: await proof('s3cret', A) }, NOW);
      expect(replayed).to.deep.include({ ok: false, status: 403, error: `The proof for #team is not signed by its verifier for ${B}` });
      const stale = await joinChannel(channels, keys, B, { channel: 'team', proof: await proof('s3cret', B, NOW - 600_000) }, NOW);
      expect(stale).to.deep.include({ ok: false, status: 403 });
      expect((stale as { error: string }).error).to.match(/^The proof for #team is too old or too new: "time" is 600 s away/);
      const good = await proof('s3cret', B);
      const forged = { ...good, signature: Buffer.alloc(64, 1).toString('base64') };
      expect(await joinChannel(channels, keys, B, { channel: 'team', proof: forged }, NOW)).to.deep.include({ ok: false, status: 403 });
      expect(channels.members('team')).to.deep.equal([A]);
    });

    it('checks a proof without scrypt: no key check is counted, however many come', async () => {
      const channels = new ChannelRegistry(300_000);
      const keys = cheap(1, 0);
      const claims = await Promise.all(
        [A, B, C].map(async (peer) => ({ peer, claim: { channel: 'team', proof: await proof('s3cret', peer) } })),
      );
      const outcomes = await Promise.all(claims.map(({ peer, claim }) => joinChannel(channels, keys, peer, claim, NOW)));
      expect(outcomes.every((o) => o.ok)).to.equal(true);
      expect(keys.pending).to.equal(0);
    });
  });
});
