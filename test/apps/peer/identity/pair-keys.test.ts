/**
 * Tests for `apps/peer/identity/pair-keys.ts`: both ends of a pair derive one key and no other pair has it; the
 * MAC of a request covers who sends to whom, the method, the path and every byte of the body; the header is
 * read strictly.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateIdentity, type Identity } from '../../../../apps/peer/identity/identity';
import {
  isRequestMac,
  type MacedRequest,
  pairAuthorization,
  pairKey,
  pairMacOf,
  requestMac,
} from '../../../../apps/peer/identity/pair-keys';

describe('pair keys', () => {
  const folders: string[] = [];
  const identity = (): Identity => {
    const folder = mkdtempSync(join(tmpdir(), 'weaprous-pair-'));
    folders.push(folder);
    return loadOrCreateIdentity(folder);
  };
  after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  let alice: Identity, bob: Identity, carol: Identity;
  const A = '127.0.0.1:5001';
  const B = '127.0.0.1:5002';
  const C = '127.0.0.1:5003';
  before(() => {
    [alice, bob, carol] = [identity(), identity(), identity()];
  });
  /** The key `me` derives for the pair with `other`. */
  const keyOf = (me: Identity, meId: string, other: Identity, otherId: string) =>
    pairKey(me.agree(other.boxKey), { id: meId, boxKey: me.boxKey }, { id: otherId, boxKey: other.boxKey });

  it('is the same key at both ends of a pair, and another for every other pair', () => {
    const ab = keyOf(alice, A, bob, B);
    expect(ab.length).to.equal(32);
    expect(keyOf(bob, B, alice, A).equals(ab)).to.equal(true);
    expect(keyOf(alice, A, carol, C).equals(ab)).to.equal(false);
    expect(keyOf(bob, B, carol, C).equals(ab)).to.equal(false);
    // The same two box keys under other ids: another key (the ids are named in it).
    expect(keyOf(alice, A, bob, '127.0.0.1:6002').equals(ab)).to.equal(false);
  });

  it('makes a MAC that checks for the very request, and for no change of sender, receiver, method, path or body', () => {
    const key = keyOf(alice, A, bob, B);
    const request: MacedRequest = { from: A, to: B, method: 'POST', path: '/broadcast-peer/', body: Buffer.from('{"msg":"hi"}') };
    const mac = requestMac(key, request);
    expect(mac).to.match(/^[A-Za-z0-9+/]{43}=$/);
    expect(isRequestMac(key, request, mac)).to.equal(true);
    const changed: MacedRequest[] = [
      { ...request, from: B, to: A }, // the other way round: the key is the same, the MAC is not
      { ...request, to: C },
      { ...request, method: 'PUT' },
      { ...request, path: '/send-peer/' },
      { ...request, body: Buffer.from('{"msg":"hI"}') },
      { ...request, body: Buffer.from('{"msg":"hi"} ') },
    ];
    for (const other of changed)
      expect(isRequestMac(key, other, mac), JSON.stringify({ ...other, body: String(other.body) })).to.equal(false);
    expect(isRequestMac(keyOf(alice, A, carol, C), request, mac)).to.equal(false);
    expect(isRequestMac(key, request, Buffer.alloc(32).toString('base64'))).to.equal(false);
  });

  it('reads "Pair <mac>" from an Authorization header: another scheme is no MAC, a Pair without one is null', () => {
    const key = keyOf(alice, A, bob, B);
    const request: MacedRequest = { from: A, to: B, method: 'POST', path: '/messages/', body: Buffer.from('{}') };
    const header = pairAuthorization(key, request);
    const mac = requestMac(key, request);
    expect(header).to.equal(`Pair ${mac}`);
    expect(pairMacOf(header)).to.equal(mac);
    expect(pairMacOf(`pair ${mac}`)).to.equal(mac); // a scheme is case-insensitive (RFC 9110 §11.1)
    expect(pairMacOf(`Pair   ${mac} `)).to.equal(mac);
    for (const other of [undefined, '', `Basic ${mac}`, `Bearer ${mac}`, `Pair${mac}`])
      expect(pairMacOf(other), String(other)).to.equal(undefined);
    // `Pair`, then no MAC: two headers joined by a comma, a cut one, one too long, not base64.
    for (const bad of ['Pair', `Pair ${mac}, Pair ${mac}`, `Pair ${mac.slice(1)}`, `Pair ${mac}x`, `Pair ${'*'.repeat(44)}`])
      expect(pairMacOf(bad), bad).to.equal(null);
  });
});
