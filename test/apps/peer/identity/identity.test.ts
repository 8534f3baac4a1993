/**
 * A peer's identity: the key pair kept in its data folder and its signatures, checked with the shared
 * `verify` (canonical JSON and the key's text form have their own tests, `test/apps/signature.test.ts`).
 * Each test works in a fresh folder of its own.
 * Tests for `apps/peer/identity/identity.ts` (new; WeApRous `apps/peer.py` has no identity).
 */

import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { BOX_KEY_FILE, IDENTITY_FILE, loadOrCreateIdentity } from '../../../../apps/peer/identity/identity';
import { boxKeySigned, seal } from '../../../../apps/peer/identity/envelope';
import { signedBytes, verify } from '../../../../apps/signature';

/** RFC 8032 §7.1 TEST 1's private key, and what it signs: the example of docs/identity.md. */
const RFC8032_TEST1_PEM =
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n';
const vector = {
  publicKey: '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=',
  body: { timestamp: 1699680000.25, msg: 'Xin chào Bob 👋', name: 'Alice', from: '127.0.0.1:5001' },
  signedText: '{"from":"127.0.0.1:5001","msg":"Xin chào Bob 👋","name":"Alice","timestamp":1699680000.25}',
  signature: 'cytbo34OJkoBUrQdj6xd8H2oNvSzkGh0tr0ptoQH7YV8UwHpbU3hNupELxO8nCxQbPwtxOzmBTkmAcYIyfKJDQ==',
};

const message = { from: '127.0.0.1:5001', name: 'Alice', msg: 'Hello everyone from Alice!', timestamp: 1699680000.25 };

describe('identity', () => {
  let folder: string;
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'identity-'));
  });
  afterEach(() => {
    fs.rmSync(folder, { recursive: true, force: true });
  });

  describe('loadOrCreateIdentity()', () => {
    it('creates a key pair the first time, in a file only its owner can read, and loads the same one after', () => {
      const data = path.join(folder, 'peer-5001');
      const first = loadOrCreateIdentity(data);
      const file = path.join(data, IDENTITY_FILE);
      expect(fs.readFileSync(file, 'utf8')).to.match(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
      if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(fs.readdirSync(data).sort()).to.deep.equal([BOX_KEY_FILE, IDENTITY_FILE]); // no temporary file left behind
      expect(loadOrCreateIdentity(data).publicKey).to.equal(first.publicKey);
    });

    it('keeps an X25519 box key beside it, signed by the identity, never the same key converted', () => {
      const data = path.join(folder, 'peer-5002');
      const first = loadOrCreateIdentity(data);
      if (process.platform !== 'win32') expect(fs.statSync(path.join(data, BOX_KEY_FILE)).mode & 0o777).to.equal(0o600);
      expect(boxKeySigned(first.boxKey, first.boxKeySignature, first.publicKey)).to.equal(true);
      expect(first.boxKey).not.to.equal(first.publicKey);
      expect(loadOrCreateIdentity(data).boxKey).to.equal(first.boxKey);
      const header = { from: 'a:1', to: 'b:2', id: 'a:1/x-1', clock: 1, timestamp: 1, channel: '@b:2' };
      expect(first.openSealed(seal('Hi', header, first.boxKey), header)).to.equal('Hi');
    });

    it('gives each new peer a key of its own, as 44 characters of base64', () => {
      const alice = loadOrCreateIdentity(path.join(folder, 'alice'));
      const bob = loadOrCreateIdentity(path.join(folder, 'bob'));
      expect(alice.publicKey).to.match(/^[A-Za-z0-9+/]{43}=$/);
      expect(alice.publicKey).to.not.equal(bob.publicKey);
    });

    for (const [what, content] of [
      ['garbage', 'not a key at all\n'],
      ['nothing', ''],
      ['a cut-off key', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n'],
      ['an RSA key', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
    ]) {
      it(`refuses a key file holding ${what} with a sentence, and leaves the file as it was`, () => {
        fs.writeFileSync(path.join(folder, IDENTITY_FILE), content);
        expect(() => loadOrCreateIdentity(folder)).to.throw(/identity\.pem is not an Ed25519 private key in PKCS8 PEM.*move it away/);
        expect(fs.readFileSync(path.join(folder, IDENTITY_FILE), 'utf8')).to.equal(content);
      });
    }
  });

  describe('sign() and verify()', () => {
    it("signs the documented example exactly, with RFC 8032's first test key", () => {
      fs.writeFileSync(path.join(folder, IDENTITY_FILE), RFC8032_TEST1_PEM, { mode: 0o600 });
      const identity = loadOrCreateIdentity(folder);
      expect(identity.publicKey).to.equal(vector.publicKey);
      expect(Buffer.from(identity.publicKey, 'base64').toString('hex')).to.equal(
        'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      );
      expect(signedBytes(vector.body).toString('utf8')).to.equal(vector.signedText);
      expect(identity.sign(vector.body)).to.equal(vector.signature);
      expect(verify({ ...vector.body, signature: vector.signature }, vector.signature, vector.publicKey)).to.equal(true);
    });

    it('verifies a signed body, with or without its signature field', () => {
      const alice = loadOrCreateIdentity(folder);
      const signature = alice.sign(message);
      expect(Buffer.from(signature, 'base64')).to.have.length(64);
      expect(verify(message, signature, alice.publicKey)).to.equal(true);
      expect(verify({ ...message, signature }, signature, alice.publicKey)).to.equal(true);
      expect(alice.sign({ ...message, signature: 'anything' })).to.equal(signature);
    });

    it('fails when any field is changed, added or removed', () => {
      const alice = loadOrCreateIdentity(folder);
      const signature = alice.sign(message);
      expect(verify({ ...message, msg: 'Hello everyone from Bob!' }, signature, alice.publicKey)).to.equal(false);
      expect(verify({ ...message, from: '127.0.0.1:5002' }, signature, alice.publicKey)).to.equal(false);
      expect(verify({ ...message, timestamp: 1699680001.25 }, signature, alice.publicKey)).to.equal(false);
      expect(verify({ ...message, to: '127.0.0.1:5003' }, signature, alice.publicKey)).to.equal(false);
      const { name: _name, ...nameless } = message;
      expect(verify(nameless, signature, alice.publicKey)).to.equal(false);
    });

    it("fails with another peer's key", () => {
      const alice = loadOrCreateIdentity(path.join(folder, 'alice'));
      const mallory = loadOrCreateIdentity(path.join(folder, 'mallory'));
      expect(verify(message, mallory.sign(message), alice.publicKey)).to.equal(false);
      expect(verify(message, alice.sign(message), mallory.publicKey)).to.equal(false);
    });

    it('answers false, without throwing, for a signature that is missing or malformed', () => {
      const alice = loadOrCreateIdentity(folder);
      const signature = alice.sign(message);
      for (const bad of [undefined, 42, '', 'not base64!', signature.slice(0, 40), signature + 'AA==', signature.replace(/=*$/, '')]) {
        expect(verify(message, bad, alice.publicKey), String(bad)).to.equal(false);
      }
    });

    it('answers false, without throwing, for a body nested too deep to write out', () => {
      const alice = loadOrCreateIdentity(folder);
      const deep = JSON.parse(`{"msg":"hi","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`) as object;
      expect(verify(deep, alice.sign({ msg: 'hi' }), alice.publicKey)).to.equal(false);
    });

    it('verifies a body after it went through JSON and back, whatever order its fields came in', () => {
      const alice = loadOrCreateIdentity(folder);
      const wire = JSON.stringify({
        signature: alice.sign(message),
        timestamp: message.timestamp,
        msg: message.msg,
        name: 'Alice',
        from: message.from,
      });
      const received = JSON.parse(wire) as Record<string, unknown>;
      expect(verify(received, received.signature, alice.publicKey)).to.equal(true);
    });
  });
});
