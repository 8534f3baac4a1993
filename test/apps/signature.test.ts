/**
 * The rule both sides check signatures with: canonical JSON, the bytes a signature covers, and the text form
 * of a public key. Signing and verifying with a real identity is `test/apps/peer/identity.test.ts`.
 * Tests for `apps/signature.ts` (new; WeApRous signs nothing).
 */

import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { canonicalJson, isPublicKeyText, notForNow, parsePublicKey, publicKeyText, signedBytes } from '../../apps/signature';

const message = { from: '127.0.0.1:5001', name: 'Alice', msg: 'Hello everyone from Alice!', timestamp: 1699680000.25 };

describe('signature', () => {
  describe('canonicalJson()', () => {
    it('sorts keys at every depth and writes no whitespace', () => {
      expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: 'é' } })).to.equal('{"a":{"c":"é","d":[true,null,"x"]},"b":1}');
    });

    it('does not depend on the order the keys were given in', () => {
      const shuffled = { timestamp: message.timestamp, msg: message.msg, from: message.from, name: message.name };
      expect(canonicalJson(shuffled)).to.equal(canonicalJson(message));
      expect(canonicalJson(message)).to.equal(
        '{"from":"127.0.0.1:5001","msg":"Hello everyone from Alice!","name":"Alice","timestamp":1699680000.25}',
      );
    });

    it('writes strings and numbers as JSON.stringify does, and leaves out undefined fields as the wire would', () => {
      expect(canonicalJson({ s: 'a"\\\n\u0001\u202e😀', n: [1e21, 0.1, -0, 5] })).to.equal(
        '{"n":[1e+21,0.1,0,5],"s":"a\\"\\\\\\n\\u0001\u202e😀"}',
      );
      expect(canonicalJson({ a: 1, b: undefined })).to.equal('{"a":1}');
    });

    it('refuses values JSON cannot carry', () => {
      expect(() => canonicalJson({ n: Number.NaN })).to.throw(TypeError);
      expect(() => canonicalJson({ n: 1n })).to.throw(TypeError);
    });

    it('covers every field but "signature", as the UTF-8 bytes of the canonical JSON', () => {
      expect(signedBytes({ signature: 'x', msg: 'chào', from: 'a' }).toString('utf8')).to.equal('{"from":"a","msg":"chào"}');
    });
  });

  describe('public key text', () => {
    it('is the base64 of the raw 32 bytes, and reads back as the same key', () => {
      const { publicKey } = generateKeyPairSync('ed25519');
      const text = publicKeyText(publicKey);
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      expect(Buffer.from(text, 'base64').equals(spki.subarray(-32))).to.equal(true);
      expect(parsePublicKey(text).equals(publicKey)).to.equal(true);
    });

    it('accepts only the one exact spelling of 32 bytes', () => {
      const text = publicKeyText(generateKeyPairSync('ed25519').publicKey);
      expect(isPublicKeyText(text)).to.equal(true);
      for (const bad of [text.slice(0, 43), text + '=', Buffer.alloc(33).toString('base64'), ` ${text}`, 7]) {
        expect(isPublicKeyText(bad), String(bad)).to.equal(false);
      }
      expect(() => parsePublicKey('abc')).to.throw(/"abc" is not an Ed25519 public key: expected the base64 of 32 bytes/);
    });
  });

  describe('notForNow()', () => {
    const bob = '127.0.0.1:5002';
    const now = 1_700_000_000_000;

    it('takes a request that names this peer and was signed within 5 minutes, either way', () => {
      expect(notForNow({ to: bob, time: now - 299_000 }, bob, now)).to.equal(null);
      expect(notForNow({ to: bob, time: String(now + 299_000) }, bob, now)).to.equal(null);
    });

    it('refuses one for another peer, or for no one, before looking at its time', () => {
      expect(notForNow({ to: '127.0.0.1:5003', time: now }, bob, now)).to.equal(
        `This signed request names "127.0.0.1:5003", not this peer ("to" must be "${bob}"): a copy sent to another peer is refused`,
      );
      expect(notForNow({ time: now }, bob, now)).to.match(/^This signed request names no receiver, not this peer/);
    });

    it('refuses one signed too long ago, or with no time', () => {
      expect(notForNow({ to: bob, time: now - 301_000 }, bob, now)).to.match(/^"time" is 301 s away from this peer's clock/);
      expect(notForNow({ to: bob }, bob, now)).to.match(/^A signed request must carry "time"/);
    });
  });
});
