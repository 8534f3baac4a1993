/**
 * Trust: a peer met with a key is remembered, and from then on what claims to come from it must be signed
 * by that key (401 otherwise); a peer with no key is taken as the document's peers are.
 * Tests for `apps/peer/identity/trust.ts`.
 */

import { noticeLines } from '../../../../apps/peer/console/notices';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpError } from '../../../../daemon/status';
import { loadOrCreateIdentity } from '../../../../apps/peer/identity/identity';
import { type KnownEntry, KnownPeers } from '../../../../apps/peer/identity/known-peers';
import { Trust } from '../../../../apps/peer/identity/trust';
import type { AskKey } from '../../../../apps/owner';

describe('Trust', () => {
  const folders = [
    mkdtempSync(join(tmpdir(), 'trust-a-')),
    mkdtempSync(join(tmpdir(), 'trust-b-')),
    mkdtempSync(join(tmpdir(), 'trust-c-')),
  ];
  after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));
  const [alice, bob, mallory] = folders.map((folder) => loadOrCreateIdentity(folder));
  const BOB = '127.0.0.1:5002';
  /** Hellos are for Alice, this peer, and signed now. */
  const SELF = '127.0.0.1:5001';
  const FOR_SELF = { to: SELF, time: Date.now() };

  /** The HTTP status `run` throws, or 200. */
  function statusOf(run: () => void): number {
    try {
      run();
      return 200;
    } catch (error) {
      return (error as HttpError).status;
    }
  }

  /** The HTTP status `introduce` rejects with, or 200. */
  async function introduced(run: () => Promise<void>): Promise<number> {
    try {
      await run();
      return 200;
    } catch (error) {
      return (error as HttpError).status;
    }
  }

  /** A stand-in for `GET /identity/` at Bob's address: Bob's key, and a log of who was asked. */
  const asked: string[] = [];
  const bobAnswers: AskKey = async (address) => {
    asked.push(`${address.ip}:${address.port}`);
    return { ok: true, key: bob.publicKey };
  };
  const BOB_AT = { peer_id: BOB, name: 'Bob', ip: '127.0.0.1', port: 5002 };

  it('remembers a key offered with a good signature and confirmed at its address, then wants that key and its signature', async () => {
    const warnings: string[] = [];
    const known = new KnownPeers();
    const trust = new Trust(
      alice,
      known,
      (notice) => warnings.push(...noticeLines(notice)),
      'data/Alice-5001/known-peers.json',
      bobAnswers,
    );
    const hello = { ip: '127.0.0.1', port: 5002, peer_id: BOB, name: 'Bob', public_key: bob.publicKey, ...FOR_SELF };
    expect(await introduced(() => trust.introduce(BOB_AT, { ...hello, signature: mallory.sign(hello) }, SELF))).to.equal(401);
    expect(known.keyOf(BOB)).to.equal(undefined);
    expect(await introduced(() => trust.introduce(BOB_AT, { ...hello, signature: bob.sign(hello) }, SELF))).to.equal(200);
    expect(known.keyOf(BOB)).to.equal(bob.publicKey);
    expect(asked).to.include('127.0.0.1:5002');

    const impostor = { ...hello, public_key: mallory.publicKey };
    expect(await introduced(() => trust.introduce(BOB_AT, { ...impostor, signature: mallory.sign(impostor) }, SELF))).to.equal(401);
    expect(warnings[0]).to.match(/^\[SECURITY\] 127\.0\.0\.1:5002 \(Bob\) offered a different key .* data\/Alice-5001\/known-peers\.json/);
    const unsignedHello = { ip: '127.0.0.1', port: 5002, peer_id: BOB, name: 'Bob' };
    expect(await introduced(() => trust.introduce(BOB_AT, unsignedHello, SELF))).to.equal(401);
  });

  it('does not remember a first key that the peer at that address does not hold (a stranger squatting an id)', async () => {
    const known = new KnownPeers();
    const trust = new Trust(alice, known, () => {}, 'known-peers.json', bobAnswers);
    const squat = { ip: '127.0.0.1', port: 5002, peer_id: BOB, name: 'Bob', public_key: mallory.publicKey, ...FOR_SELF };
    expect(await introduced(() => trust.introduce(BOB_AT, { ...squat, signature: mallory.sign(squat) }, SELF))).to.equal(401);
    expect(known.keyOf(BOB)).to.equal(undefined);
    const nobodyThere: AskKey = async () => ({ ok: false, reason: 'connection refused' });
    const offline = new Trust(alice, known, () => {}, 'known-peers.json', nobodyThere);
    expect(await introduced(() => offline.introduce(BOB_AT, { ...squat, signature: mallory.sign(squat) }, SELF))).to.equal(401);
    expect(known.keyOf(BOB)).to.equal(undefined);
    // The real Bob still gets in afterwards.
    const hello = { ...squat, public_key: bob.publicKey };
    expect(await introduced(() => trust.introduce(BOB_AT, { ...hello, signature: bob.sign(hello) }, SELF))).to.equal(200);
  });

  it('refuses a hello signed for another peer, or long ago, before asking anyone or remembering its key', async () => {
    const known = new KnownPeers();
    const trust = new Trust(alice, known, () => {}, 'known-peers.json', bobAnswers);
    asked.length = 0;
    const base = { ip: '127.0.0.1', port: 5002, peer_id: BOB, name: 'Bob', public_key: bob.publicKey };
    for (const hello of [
      { ...base, to: '127.0.0.1:5003', time: Date.now() },
      { ...base, to: SELF, time: Date.now() - 10 * 60_000 },
      base, // names no one: the form before hellos were addressed
    ]) {
      expect(await introduced(() => trust.introduce(BOB_AT, { ...hello, signature: bob.sign(hello) }, SELF))).to.equal(401);
    }
    expect([asked, known.keyOf(BOB)]).to.deep.equal([[], undefined]);
  });

  it('checks messages from a known peer, and takes any from a peer with no key', () => {
    const known = new KnownPeers({ [BOB]: bob.publicKey });
    const trust = new Trust(alice, known, () => {}, 'known-peers.json', bobAnswers);
    const message = { from: BOB, msg: 'hi', id: 'x', clock: 1 };
    expect(statusOf(() => trust.check(BOB, message))).to.equal(401);
    expect(statusOf(() => trust.check(BOB, { ...message, signature: mallory.sign(message) }))).to.equal(401);
    expect(statusOf(() => trust.check(BOB, { ...message, msg: 'changed', signature: bob.sign(message) }))).to.equal(401);
    expect(statusOf(() => trust.check(BOB, { ...message, signature: bob.sign(message) }))).to.equal(200);
    expect(statusOf(() => trust.check('127.0.0.1:9001', { from: '127.0.0.1:9001', msg: 'curl' }))).to.equal(200);
  });

  it('signs with its own identity, and checks the key another peer answered with', () => {
    const known = new KnownPeers({ [BOB]: bob.publicKey });
    const trust = new Trust(alice, known, () => {}, 'known-peers.json', bobAnswers);
    const signed = trust.sign({ peer_id: '127.0.0.1:5001' });
    expect(
      statusOf(() =>
        new Trust(bob, new KnownPeers({ '127.0.0.1:5001': alice.publicKey }), () => {}, '', bobAnswers).check('127.0.0.1:5001', signed),
      ),
    ).to.equal(200);
    expect([trust.answered(BOB, bob.publicKey), trust.answered(BOB, mallory.publicKey), trust.answered(BOB, undefined)]).to.deep.equal([
      true,
      false,
      true,
    ]);
  });

  it('tells who wrote a stored message: verified, unverified (no key known) or forged', () => {
    const trust = new Trust(alice, new KnownPeers({ [BOB]: bob.publicKey }), () => {}, 'known-peers.json', bobAnswers);
    const fromBob = { id: `${BOB}/x-1`, channel: 'general', from: BOB, name: 'Bob', msg: 'hi', timestamp: 1, clock: 1 };
    const ALICE = '127.0.0.1:5001';
    const fromAlice = { ...fromBob, id: `${ALICE}/x-1`, from: ALICE, name: 'Alice' };
    expect(trust.authorship({ ...fromBob, signature: bob.sign(fromBob) }, ALICE)).to.equal('verified');
    expect(trust.authorship({ ...fromBob, signature: mallory.sign(fromBob) }, ALICE)).to.equal('forged');
    expect(trust.authorship(fromBob, ALICE)).to.equal('forged');
    expect(trust.authorship({ ...fromBob, msg: 'changed', signature: bob.sign(fromBob) }, ALICE)).to.equal('forged');
    expect(trust.authorship({ ...fromAlice, signature: alice.sign(fromAlice) }, ALICE)).to.equal('verified');
    expect(trust.authorship(fromAlice, ALICE)).to.equal('forged'); // its own key is always known
    const stranger = { ...fromBob, id: '127.0.0.1:5999/x-1', from: '127.0.0.1:5999' };
    expect(trust.authorship(stranger, ALICE)).to.equal('unverified');
  });

  it("forget() drops a known key (the user's /forget), so the peer's new key can be remembered", async () => {
    const known = new KnownPeers({ [BOB]: mallory.publicKey });
    const trust = new Trust(alice, known, () => {}, 'known-peers.json', bobAnswers);
    const hello = { ip: '127.0.0.1', port: 5002, peer_id: BOB, name: 'Bob', public_key: bob.publicKey, ...FOR_SELF };
    expect(await introduced(() => trust.introduce(BOB_AT, { ...hello, signature: bob.sign(hello) }, SELF))).to.equal(401);
    expect([trust.forget(BOB), trust.forget(BOB)]).to.deep.equal([true, false]);
    expect(await introduced(() => trust.introduce(BOB_AT, { ...hello, signature: bob.sign(hello) }, SELF))).to.equal(200);
    expect(known.keyOf(BOB)).to.equal(bob.publicKey);
  });

  it('vouch() marks one stored message object verified; a copy of it (passed on by another peer) is checked afresh', () => {
    const trust = new Trust(alice, new KnownPeers({ [BOB]: bob.publicKey }), () => {}, 'known-peers.json', bobAnswers);
    const inBatch = { id: `${BOB}/x-1`, channel: 'general', from: BOB, name: 'Bob', msg: 'came in a signed batch', timestamp: 1, clock: 1 };
    trust.vouch(inBatch);
    expect(trust.authorship(inBatch, '127.0.0.1:5001')).to.equal('verified');
    expect(trust.authorship({ ...inBatch }, '127.0.0.1:5001')).to.equal('forged');
  });

  describe('box keys', () => {
    const bobBox = { box_key: bob.boxKey, box_key_signature: bob.boxKeySignature };

    it("keeps a box key only when signed by the peer's remembered identity key", () => {
      const trust = new Trust(alice, new KnownPeers({ [BOB]: bob.publicKey }), () => {}, 'known-peers.json', bobAnswers);
      expect(trust.rememberBox(BOB, { box_key: mallory.boxKey, box_key_signature: mallory.boxKeySignature })).to.equal(false);
      expect(trust.rememberBox(BOB, { box_key: mallory.boxKey, box_key_signature: bob.boxKeySignature })).to.equal(false);
      expect(trust.rememberBox('127.0.0.1:5009', bobBox)).to.equal(false); // no identity key known for it
      expect(trust.rememberBox(BOB, bobBox)).to.equal(true);
    });

    it("asks /identity/ for a known peer's box key; never 'clear' for a peer with a key", async () => {
      const withBox: AskKey = async () => ({ ok: true, key: bob.publicKey, box: bobBox });
      const known = new KnownPeers({ [BOB]: bob.publicKey });
      expect(await new Trust(alice, known, () => {}, '', withBox).boxKeyFor(BOB)).to.equal(bob.boxKey);
      const notKnown = new KnownPeers({ [BOB]: bob.publicKey });
      expect(await new Trust(alice, notKnown, () => {}, '', bobAnswers).boxKeyFor(BOB)).to.equal(undefined);
    });

    it('keeps the box key in the known peers: after a restart it seals for a peer that is away, asking nobody', async () => {
      const saved: Array<Record<string, KnownEntry>> = [];
      const known = new KnownPeers({ [BOB]: bob.publicKey }, (entries) => saved.push(entries));
      expect(new Trust(alice, known, () => {}, '', bobAnswers).rememberBox(BOB, bobBox)).to.equal(true);
      const away: AskKey = async () => ({ ok: false, reason: 'Bob is away' });
      const restarted = new Trust(alice, new KnownPeers(saved.at(-1)), () => {}, '', away);
      expect(await restarted.boxKeyFor(BOB)).to.equal(bob.boxKey);
    });

    it("says 'clear' for a peer with no key at all (the document's curl TestPeer)", async () => {
      const keyless: AskKey = async () => ({ ok: true, key: undefined });
      expect(await new Trust(alice, new KnownPeers(), () => {}, '', keyless).boxKeyFor(BOB)).to.equal('clear');
    });
  });
});
