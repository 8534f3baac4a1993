/**
 * Channel proofs: a proof key from a private channel's key, and HMAC proofs bound to the channel, the prover,
 * the verifier and the time. Tests for `apps/peer/identity/channel-keys.ts`.
 */

import { expect } from 'chai';
import { ChannelKeys, channelProof, deriveSecrets, isChannelProof } from '../../../../apps/peer/identity/channel-keys';

describe('channel-keys', () => {
  const fields = { channel: 'secret', from: '127.0.0.1:5001', to: '127.0.0.1:5002', time: 1_700_000_000_000 };

  it('derives the same proof key from the same key and name, another for another channel or key', async () => {
    const a = (await deriveSecrets('secret', 'hunter2')).proofKey;
    expect(a).to.have.length(32);
    expect((await deriveSecrets('secret', 'hunter2')).proofKey.equals(a)).to.equal(true);
    expect((await deriveSecrets('team', 'hunter2')).proofKey.equals(a)).to.equal(false);
    expect((await deriveSecrets('secret', 'hunter3')).proofKey.equals(a)).to.equal(false);
  });

  it('accepts a proof only for the fields it was made for, and never contains the key', async () => {
    const key = (await deriveSecrets('secret', 'hunter2')).proofKey;
    const proof = channelProof(key, fields);
    expect(proof).not.to.include('hunter2');
    expect(isChannelProof(key, fields, proof)).to.equal(true);
    expect(isChannelProof(key, { ...fields, to: '127.0.0.2:6000' }, proof)).to.equal(false);
    expect(isChannelProof(key, { ...fields, from: '127.0.0.2:6000' }, proof)).to.equal(false);
    expect(isChannelProof(key, { ...fields, time: fields.time + 1 }, proof)).to.equal(false);
    expect(isChannelProof((await deriveSecrets('secret', 'guess')).proofKey, fields, proof)).to.equal(false);
    expect(isChannelProof(key, fields, 42)).to.equal(false);
  });

  it('ChannelKeys derives once per key, and forgets a channel left', async () => {
    const joined = new Map([['secret', 'hunter2']]);
    const keys = new ChannelKeys((channel) => joined.get(channel));
    const first = keys.secrets('secret');
    expect(keys.secrets('secret')).to.equal(first);
    expect(keys.secrets('team')).to.equal(undefined);
    expect(keys.messageKey('secret')).to.equal(undefined); // not derived yet: a message waits, it is never read wrong
    await first;
    expect(keys.messageKey('secret')).to.equal((await first)!.messageKey);
    joined.set('secret', 'other');
    expect(keys.secrets('secret')).not.to.equal(first);
    joined.delete('secret');
    expect(keys.secrets('secret')).to.equal(undefined);
    expect(keys.messageKey('secret')).to.equal(undefined);
  });
});
