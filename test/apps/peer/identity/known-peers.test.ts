/**
 * Known peers: the first key seen for a peer id is kept (trust on first use), a different one is reported,
 * never taken, and the list survives a restart. Each test works in a fresh folder of its own.
 * Tests for `apps/peer/identity/known-peers.ts` (new; WeApRous `apps/peer.py` trusts any claimed address).
 */

import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { publicKeyText } from '../../../../apps/signature';
import { KNOWN_PEERS_FILE, type KnownEntry, KnownPeers, openKnownPeers } from '../../../../apps/peer/identity/known-peers';
import { loadOrCreateIdentity } from '../../../../apps/peer/identity/identity';

const newKey = () => publicKeyText(generateKeyPairSync('ed25519').publicKey);
const bob = '127.0.0.1:5002';
const jack = '127.0.0.1:5003';

describe('KnownPeers', () => {
  it('says "new" for a peer never seen, then "same" for its key and "different" for any other', () => {
    const known = new KnownPeers();
    const key = newKey();
    expect(known.check(bob, key)).to.equal('new');
    expect(known.remember(bob, key)).to.equal('new');
    expect(known.check(bob, key)).to.equal('same');
    expect(known.check(bob, newKey())).to.equal('different');
    expect(known.keyOf(bob)).to.equal(key);
    expect(known.keyOf(jack)).to.equal(undefined);
  });

  it('keeps the first key: remembering another key for a known peer changes nothing', () => {
    const changes: Record<string, KnownEntry>[] = [];
    const first = newKey();
    const known = new KnownPeers({}, (entries) => changes.push(entries));
    known.remember(bob, first);
    expect(known.remember(bob, newKey())).to.equal('different');
    expect(known.remember(bob, first)).to.equal('same');
    expect(known.keyOf(bob)).to.equal(first);
    expect(changes).to.deep.equal([{ [bob]: first }]);
  });

  it('takes a new key only after the old one was forgotten', () => {
    const known = new KnownPeers({ [bob]: newKey() });
    const next = newKey();
    expect(known.forget(bob)).to.equal(true);
    expect(known.forget(bob)).to.equal(false);
    expect(known.remember(bob, next)).to.equal('new');
    expect(known.keyOf(bob)).to.equal(next);
  });

  it('refuses to remember something that is not a public key', () => {
    const known = new KnownPeers();
    expect(() => known.remember(bob, 'not-a-key')).to.throw(/is not an Ed25519 public key/);
    expect(known.check(bob, 'not-a-key')).to.equal('new');
  });
});

describe('openKnownPeers()', () => {
  let folder: string;
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'known-peers-'));
  });
  afterEach(() => {
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('starts empty without a file, and keeps what it learns across a restart', () => {
    const bobKey = newKey();
    const jackKey = newKey();
    const known = openKnownPeers(folder);
    expect(known.check(jack, jackKey)).to.equal('new');
    known.remember(jack, jackKey);
    known.remember(bob, bobKey);
    const reopened = openKnownPeers(folder);
    expect(reopened.check(bob, bobKey)).to.equal('same');
    expect(reopened.check(jack, jackKey)).to.equal('same');
    expect(reopened.check(bob, jackKey)).to.equal('different');
  });

  it('writes one peer a line, sorted by peer id, and leaves no temporary file behind', () => {
    const bobKey = newKey();
    const jackKey = newKey();
    const known = openKnownPeers(folder);
    known.remember(jack, jackKey);
    known.remember(bob, bobKey);
    expect(fs.readFileSync(path.join(folder, KNOWN_PEERS_FILE), 'utf8')).to.equal(
      `{\n  "${bob}": "${bobKey}",\n  "${jack}": "${jackKey}"\n}\n`,
    );
    expect(fs.readdirSync(folder)).to.deep.equal([KNOWN_PEERS_FILE]);
  });

  it("keeps a box key claim with the key, on the peer's one line, and checks its signature again when it reads the file", () => {
    const bobs = loadOrCreateIdentity(path.join(folder, 'bob'));
    const claim = { box_key: bobs.boxKey, box_key_signature: bobs.boxKeySignature };
    const known = openKnownPeers(folder);
    known.remember(bob, bobs.publicKey);
    known.rememberBox(bob, claim);
    const file = path.join(folder, KNOWN_PEERS_FILE);
    expect(fs.readFileSync(file, 'utf8')).to.equal(`{\n  "${bob}": ${JSON.stringify({ public_key: bobs.publicKey, ...claim })}\n}\n`);
    expect(openKnownPeers(folder).boxKeyOf(bob)).to.equal(bobs.boxKey);
    // A box key another identity signed (a file edited by someone else) is left out: it is asked for again.
    const mallorys = loadOrCreateIdentity(path.join(folder, 'mallory'));
    const swapped = { [bob]: { public_key: bobs.publicKey, box_key: mallorys.boxKey, box_key_signature: mallorys.boxKeySignature } };
    fs.writeFileSync(file, JSON.stringify(swapped));
    const reopened = openKnownPeers(folder);
    expect([reopened.keyOf(bob), reopened.boxKeyOf(bob)]).to.deep.equal([bobs.publicKey, undefined]);
    reopened.forget(bob);
    expect(openKnownPeers(folder).entries()).to.deep.equal({});
  });

  it('creates the data folder when it saves the first key', () => {
    const data = path.join(folder, 'not', 'yet');
    openKnownPeers(data).remember(bob, newKey());
    expect(fs.existsSync(path.join(data, KNOWN_PEERS_FILE))).to.equal(true);
  });

  it('forgets a key for good', () => {
    openKnownPeers(folder).remember(bob, newKey());
    openKnownPeers(folder).forget(bob);
    expect(openKnownPeers(folder).keyOf(bob)).to.equal(undefined);
  });

  for (const [what, content] of [
    ['text that is not JSON', '{"127.0.0.1:5002": '],
    ['a JSON array', '[]'],
    ['a key that is not a public key', '{"127.0.0.1:5002": "AAAA"}'],
    ['a key that is not a string', '{"127.0.0.1:5002": 42}'],
    ['an entry whose "public_key" is not a public key', '{"127.0.0.1:5002": {"public_key": "AAAA"}}'],
  ]) {
    it(`refuses a file holding ${what} with a sentence, and leaves it as it was`, () => {
      const file = path.join(folder, KNOWN_PEERS_FILE);
      fs.writeFileSync(file, content);
      expect(() => openKnownPeers(folder)).to.throw(/known-peers\.json is not a list of known peers \(.+\)\. It was left as it is/);
      expect(fs.readFileSync(file, 'utf8')).to.equal(content);
    });
  }
});
