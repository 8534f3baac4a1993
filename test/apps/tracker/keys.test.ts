/**
 * ChannelKeys (salted scrypt hashes, constant-time checks, capped work) and joinChannel (plan, key work,
 * join, plan again when the channel changed meanwhile), with a cheap scrypt cost so tests stay fast.
 * Tests for `apps/tracker/keys.ts` and `apps/tracker/join.ts` (new: WeApRous's tracker had no channels).
 */

import { expect } from 'chai';
import { ChannelKeys, KeysBusy } from '../../../apps/tracker/keys';
import { ChannelRegistry } from '../../../apps/tracker/channels';
import { joinChannel } from '../../../apps/tracker/join';

const A = '127.0.0.1:5001';
const B = '127.0.0.1:5002';
const C = '127.0.0.1:5003';
const cheap = (maxPending = 2, maxQueued = 32) => new ChannelKeys({ cost: 1024, maxPending, maxQueued });

describe('ChannelKeys', () => {
  it('hashes with a random 16-byte salt, so one key gives two different secrets', async () => {
    const keys = cheap();
    const one = await keys.hash(A, 's3cret');
    const two = await keys.hash(A, 's3cret');
    expect(one.salt).to.have.length(16);
    expect(one.hash).to.have.length(32);
    expect(one.salt.equals(two.salt)).to.equal(false);
    expect(one.hash.equals(two.hash)).to.equal(false);
    expect(one.hash.includes(Buffer.from('s3cret'))).to.equal(false);
  });

  it('verifies the right key and refuses a wrong one', async () => {
    const keys = cheap();
    const secret = await keys.hash(A, 's3cret');
    expect(await keys.verify(B, 's3cret', secret)).to.equal(true);
    expect(await keys.verify(B, 'S3cret', secret)).to.equal(false);
    expect(keys.pending).to.equal(0);
  });

  it('runs at most one check per peer id at a time, and refuses the second before doing any work', async () => {
    const keys = cheap();
    const first = keys.hash(A, 'k');
    await keys.hash(A, 'k').then(
      () => expect.fail('a second check for the same peer should be refused'),
      (error) => expect(error).to.be.instanceOf(KeysBusy).with.property('who', 'peer'),
    );
    await first;
    expect(keys.pending).to.equal(0);
    await keys.hash(A, 'k'); // free again once the first is done
  });

  it('runs maxPending checks at once, queues the next ones, and refuses past maxQueued waiting', async () => {
    const keys = cheap(1, 1);
    const running = [keys.hash(A, 'k'), keys.hash(B, 'k')]; // B waits for A's turn
    await keys.hash(C, 'k').then(
      () => expect.fail('a third check should be refused'),
      (error) => expect(error).to.be.instanceOf(KeysBusy).with.property('who', 'tracker'),
    );
    await Promise.all(running);
    expect(keys.pending).to.equal(0);
  });

  it('runs one check at a time per source address, then a few a second, and never limits 127.0.0.1', async () => {
    const keys = cheap();
    const first = keys.hash(A, 'k', '127.0.0.2');
    await keys.hash(B, 'k', '127.0.0.2').then(
      () => expect.fail('a second check from the same address should be refused'),
      (error) => expect(error).to.be.instanceOf(KeysBusy).with.property('who', 'address'),
    );
    await first;
    for (const id of [A, B]) await keys.hash(id, 'k', '127.0.0.2'); // 3 at once in all
    await keys.hash(C, 'k', '127.0.0.2').then(
      () => expect.fail('a fourth check in the same second should be refused'),
      (error) => expect(error).to.include({ who: 'address', retryAfter: 1 }),
    );
    for (let i = 0; i < 6; i++) await keys.hash(A, 'k', '127.0.0.1');
  });
});

describe('joinChannel()', () => {
  it('creates a private channel, lets the right key in, and refuses a wrong or missing key with 403', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap();
    expect(await joinChannel(channels, keys, A, 'team', 's3cret')).to.deep.equal({ ok: true, result: 'created' });
    expect(await joinChannel(channels, keys, B, 'team', 's3cret')).to.deep.equal({ ok: true, result: 'joined' });
    expect(await joinChannel(channels, keys, C, 'team', 'wrong')).to.deep.equal({
      ok: false,
      status: 403,
      error: 'Wrong key for #team; send the key it was created with',
    });
    expect(await joinChannel(channels, keys, C, 'team', undefined)).to.deep.include({ ok: false, status: 403 });
    expect(channels.members('team')).to.deep.equal([A, B]);
  });

  it('lets a member in again with no key work at all', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap();
    await joinChannel(channels, keys, A, 'team', 's3cret');
    const again = joinChannel(channels, keys, A, 'team', 'anything');
    expect(keys.pending).to.equal(0);
    expect(await again).to.deep.equal({ ok: true, result: 'member' });
  });

  it('answers 429 when the same peer already has a key check running', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap();
    const first = joinChannel(channels, keys, A, 'team', 'k');
    expect(await joinChannel(channels, keys, A, 'dev', 'k')).to.deep.include({ ok: false, status: 429 });
    await first;
  });

  it('answers 503 when the tracker has as many checks waiting as it allows', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap(1, 0);
    const first = joinChannel(channels, keys, A, 'team', 'k');
    expect(await joinChannel(channels, keys, B, 'dev', 'k')).to.deep.include({ ok: false, status: 503 });
    await first;
  });

  it('when two peers create the same private channel at once, whoever comes second has its key checked against the first', async () => {
    const channels = new ChannelRegistry(300_000);
    const keys = cheap();
    const outcomes = await Promise.all([joinChannel(channels, keys, A, 'team', 'one'), joinChannel(channels, keys, B, 'team', 'two')]);
    const winner = outcomes.findIndex((o) => o.ok);
    expect(outcomes[winner]).to.deep.equal({ ok: true, result: 'created' });
    expect(outcomes[1 - winner]).to.deep.include({ ok: false, status: 403 });
    expect(channels.members('team')).to.deep.equal([[A, B][winner]]);
  });
});
