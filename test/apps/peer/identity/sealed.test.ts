/**
 * A whole message sealed and read back: the sender shows what it sealed a moment ago without opening it again,
 * and another peer's message is always opened. Tests for `apps/peer/identity/sealed.ts` (new).
 */

import { expect } from 'chai';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { boxKeyText, type Envelope, open, type SealedHeader } from '../../../../apps/peer/identity/envelope';
import type { Identity } from '../../../../apps/peer/identity/identity';
import { readableText, sealMessage } from '../../../../apps/peer/identity/sealed';
import type { ChatMessage } from '../../../../apps/peer/model/message';

function boxPair() {
  const { privateKey } = generateKeyPairSync('x25519');
  return { privateKey, key: boxKeyText(createPublicKey(privateKey)) };
}

/** An identity that counts the envelopes it opens. */
function opener(privateKey: KeyObject): { identity: Identity; opened: () => number } {
  let count = 0;
  const openSealed = (envelope: Envelope, header: SealedHeader) => {
    count += 1;
    return open(envelope, header, privateKey);
  };
  const identity = { openSealed } as unknown as Identity;
  return { identity, opened: () => count };
}

function made(id: string, text: string): ChatMessage {
  return { id, from: '127.0.0.1:5001', name: 'Alice', channel: '@127.0.0.1:5002', msg: text, timestamp: 1_700_000_000, clock: 3 };
}

describe('sealed messages', () => {
  it('shows a message this peer just sealed without opening it, and opens what another peer sealed', () => {
    const [alice, bob] = [boxPair(), boxPair()];
    const sealed = sealMessage(made('127.0.0.1:5001/a-1', 'Hi Bob'), bob.key, alice.key);
    const mine = opener(alice.privateKey);
    expect(readableText(sealed, { selfId: '127.0.0.1:5001', identity: mine.identity, channelKey: () => undefined })).to.equal('Hi Bob');
    expect(mine.opened()).to.equal(0);
    const theirs = opener(bob.privateKey);
    expect(readableText(sealed, { selfId: '127.0.0.1:5002', identity: theirs.identity, channelKey: () => undefined })).to.equal('Hi Bob');
    expect(theirs.opened()).to.equal(1);
  });
});
