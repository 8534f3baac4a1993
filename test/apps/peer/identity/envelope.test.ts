/**
 * A direct message sealed for its recipient, a channel message for the holders of the channel's key: each opens
 * for them only, with the header it was sealed with, and any byte changed is refused; keys, salts and nonces
 * never repeat. Each test makes its own keys. Tests for `apps/peer/identity/envelope.ts` (new).
 */

import { expect } from 'chai';
import fc from 'fast-check';
import { createPublicKey, generateKeyPairSync, hkdfSync, sign } from 'node:crypto';
import {
  boxKeyBody,
  boxKeySigned,
  boxKeyText,
  type Envelope,
  hkdf32,
  open,
  openFromChannel,
  seal,
  type SealedHeader,
  sealForChannel,
} from '../../../../apps/peer/identity/envelope';
import { deriveSecrets } from '../../../../apps/peer/identity/channel-keys';
import { publicKeyText, signedBytes, verify } from '../../../../apps/signature';

function boxPair() {
  const { privateKey } = generateKeyPairSync('x25519');
  return { privateKey, key: boxKeyText(createPublicKey(privateKey)) };
}

const header: SealedHeader = {
  from: '127.0.0.1:5001',
  to: '127.0.0.1:5002',
  id: '127.0.0.1:5001/lq2x8k-1',
  clock: 7,
  timestamp: 1_700_000_000.5,
  channel: '@127.0.0.1:5002',
};

/** Flips one bit of a base64 field's bytes. */
function flip(text: string, at = 0): string {
  const bytes = Buffer.from(text, 'base64');
  bytes[at] ^= 1;
  return bytes.toString('base64');
}

describe('envelope: seal() and open()', () => {
  const bob = boxPair();

  it('opens for the recipient to the very text sealed, unicode and all', () => {
    const text = 'Hi Bob, café ☕ 你好';
    const envelope = seal(text, header, bob.key);
    expect(envelope.v).to.equal(1);
    expect(Buffer.from(envelope.nonce, 'base64')).to.have.length(12);
    expect(Buffer.from(envelope.ct, 'base64')).to.have.length(Buffer.byteLength(text) + 16);
    expect(open(envelope, header, bob.privateKey)).to.equal(text);
  });

  it('does not carry the text in any field', () => {
    const envelope = seal('the secret plan', header, bob.key);
    expect(JSON.stringify(envelope)).not.to.include('secret');
  });

  it('refuses a changed ciphertext, tag, nonce or ephemeral key', () => {
    const envelope = seal('Hi Bob', header, bob.key);
    const last = Buffer.from(envelope.ct, 'base64').length - 1;
    const changed: Envelope[] = [
      { ...envelope, ct: flip(envelope.ct) },
      { ...envelope, ct: flip(envelope.ct, last) },
      { ...envelope, ct: Buffer.from(envelope.ct, 'base64').subarray(0, 10).toString('base64') },
      { ...envelope, nonce: flip(envelope.nonce) },
      { ...envelope, epk: flip(envelope.epk) },
    ];
    for (const envelope of changed) expect(open(envelope, header, bob.privateKey)).to.equal(null);
  });

  it('refuses the envelope under any other header: it cannot be moved to another message', () => {
    const envelope = seal('Hi Bob', header, bob.key);
    const others: SealedHeader[] = [
      { ...header, from: '127.0.0.1:5003' },
      { ...header, to: '127.0.0.1:5003' },
      { ...header, id: '127.0.0.1:5001/lq2x8k-2' },
      { ...header, clock: 8 },
      { ...header, timestamp: 1_700_000_001 },
      { ...header, channel: 'general' },
    ];
    for (const other of others) expect(open(envelope, other, bob.privateKey)).to.equal(null);
  });

  it('a message for Bob cannot be read by Carol', () => {
    const carol = boxPair();
    const envelope = seal('for Bob only', header, bob.key);
    expect(open(envelope, header, carol.privateKey)).to.equal(null);
    expect(open(envelope, { ...header, to: '127.0.0.1:5003' }, carol.privateKey)).to.equal(null);
  });

  it('the message signature covers the envelope: a changed envelope is a forged message', () => {
    const alice = generateKeyPairSync('ed25519');
    const message = { ...header, name: 'Alice', msg: '(encrypted)', enc: seal('Hi Bob', header, bob.key) };
    const signature = sign(null, signedBytes(message), alice.privateKey).toString('base64');
    const aliceKey = publicKeyText(alice.publicKey);
    expect(verify(message, signature, aliceKey)).to.equal(true);
    const tampered = { ...message, enc: { ...message.enc, ct: flip(message.enc.ct) } };
    expect(verify(tampered, signature, aliceKey)).to.equal(false);
  });

  it('never repeats an ephemeral key or a nonce, over 10,000 messages', function () {
    this.timeout(60_000);
    const epks = new Set<string>();
    const nonces = new Set<string>();
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: 2 ** 40 }), (text, clock) => {
        const envelope = seal(text, { ...header, clock }, bob.key);
        expect(epks.has(envelope.epk)).to.equal(false);
        expect(nonces.has(envelope.nonce)).to.equal(false);
        epks.add(envelope.epk);
        nonces.add(envelope.nonce);
        return open(envelope, { ...header, clock }, bob.privateKey) === text;
      }),
      { numRuns: 10_000 },
    );
    expect(epks.size).to.equal(10_000);
  });
});

describe('envelope: boxKeySigned()', () => {
  it('takes a box key signed by the identity key, and no other', () => {
    const identity = generateKeyPairSync('ed25519');
    const mallory = generateKeyPairSync('ed25519');
    const { key } = boxPair();
    const signature = sign(null, signedBytes(boxKeyBody(key)), identity.privateKey).toString('base64');
    expect(boxKeySigned(key, signature, publicKeyText(identity.publicKey))).to.equal(true);
    expect(boxKeySigned(key, signature, publicKeyText(mallory.publicKey))).to.equal(false);
    expect(boxKeySigned(boxPair().key, signature, publicKeyText(identity.publicKey))).to.equal(false);
    expect(boxKeySigned('not a key', signature, publicKeyText(identity.publicKey))).to.equal(false);
  });
});

describe('envelope: sealForChannel() and openFromChannel()', () => {
  const inVault: SealedHeader = { ...header, channel: 'vault', to: '#vault' };
  let vault: Buffer;
  before(async () => (vault = (await deriveSecrets('vault', 'correct-horse-battery')).messageKey));

  it('opens with the channel key to the very text, which no field carries', () => {
    const envelope = sealForChannel('the safe opens at 0417 ✓', inVault, vault);
    expect(openFromChannel(envelope, inVault, vault)).to.equal('the safe opens at 0417 ✓');
    expect(JSON.stringify(envelope)).not.to.include('0417');
  });

  it('refuses a changed ciphertext, tag, nonce or salt, and any other header', () => {
    const envelope = sealForChannel('meet at noon', inVault, vault);
    const ct = Buffer.from(envelope.ct, 'base64');
    for (const changed of [
      { ...envelope, ct: flip(envelope.ct) },
      { ...envelope, ct: flip(envelope.ct, ct.length - 1) },
      { ...envelope, nonce: flip(envelope.nonce) },
      { ...envelope, salt: flip(envelope.salt) },
    ])
      expect(openFromChannel(changed, inVault, vault)).to.equal(null);
    for (const other of [{ channel: 'team', to: '#team' }, { from: '127.0.0.1:5009' }, { id: 'x/1' }, { clock: 8 }, { timestamp: 1 }])
      expect(openFromChannel(envelope, { ...inVault, ...other }, vault)).to.equal(null);
  });

  it("a wrong key cannot read the channel's history, nor another channel's key with the same password", async () => {
    const envelope = sealForChannel('meet at noon', inVault, vault);
    const guessed = (await deriveSecrets('vault', 'correct-horse-batterz')).messageKey;
    const sameKeyOtherChannel = (await deriveSecrets('team', 'correct-horse-battery')).messageKey;
    expect(openFromChannel(envelope, inVault, guessed)).to.equal(null);
    expect(openFromChannel(envelope, inVault, sameKeyOtherChannel)).to.equal(null);
  });

  it('never repeats a salt or a nonce, over 10,000 messages', function () {
    this.timeout(60_000);
    const salts = new Set<string>();
    const nonces = new Set<string>();
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: 2 ** 40 }), (text, clock) => {
        const envelope = sealForChannel(text, { ...inVault, clock }, vault);
        expect(salts.has(envelope.salt) || nonces.has(envelope.nonce)).to.equal(false);
        salts.add(envelope.salt);
        nonces.add(envelope.nonce);
        return openFromChannel(envelope, { ...inVault, clock }, vault) === text;
      }),
      { numRuns: 10_000 },
    );
    expect(salts.size).to.equal(10_000);
  });
});

describe('hkdf32', () => {
  it("gives the very bytes of node:crypto's hkdfSync (RFC 5869), so envelopes sealed before open still", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 80 }), fc.string(), (secret, salt, info) => {
        const expected = Buffer.from(hkdfSync('sha256', secret, salt, info, 32));
        expect(hkdf32(Buffer.from(secret), Buffer.from(salt), info).equals(expected)).to.equal(true);
      }),
    );
  });
});
