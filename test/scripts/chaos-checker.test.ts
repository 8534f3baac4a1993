/**
 * The chaos run's checker on histories written by hand: it proves nothing is missing when nothing is, and names
 * each (message, peer) pair lost, each duplicate, each misdelivered message and each private text kept in clear.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, type Membership, type PeerFolder } from '../../scripts/chaos/checker';
import type { ChatMessage } from '../../apps/peer/model/message';

const A = '10.0.0.1:5001';
const B = '10.0.0.2:5002';
const C = '10.0.0.3:5003';
const membership: Membership = { channels: { team: [A, C] }, privateChannels: ['team'] };

function message(from: string, seq: number, channel: string, clock: number, msg = `text ${from} ${seq}`): ChatMessage {
  return { id: `${from}/run-${seq}`, channel, from, name: from, msg, timestamp: 0, clock };
}

describe('chaos checker: check()', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'chaos-checker-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function peers(histories: Record<string, ChatMessage[]>): PeerFolder[] {
    return Object.entries(histories).map(([id, messages], i) => {
      const dir = mkdtempSync(join(root, `p${i}-`));
      writeFileSync(join(dir, 'history.jsonl'), messages.map((m) => JSON.stringify(m) + '\n').join(''));
      return { id, name: ['Alice', 'Bob', 'Carol'][i], dir };
    });
  }

  const hello = message(A, 1, 'general', 1);
  const secret = { ...message(A, 2, 'team', 2, '(encrypted)'), enc: { v: 1 as const, salt: 's', nonce: 'n', ct: 'c' } };
  const direct = { ...message(B, 1, `@${C}`, 1, '(encrypted)'), enc: { v: 1 as const, epk: 'e', nonce: 'n', ct: 'c' } };

  it('finds nothing when every member holds every accepted message once', () => {
    const verdict = check(peers({ [A]: [hello, secret], [B]: [hello, direct], [C]: [direct, secret, hello] }), membership, [
      'for your eyes',
    ]);
    expect(verdict.violations).to.deep.equal([]);
    expect(verdict).to.include({ accepted: 3, deliveries: 4, delivered: 4 });
  });

  it('names the (message, peer) pair lost, and a resend stored twice under two ids', () => {
    const again = { ...hello, id: `${A}/run-9`, clock: 5 };
    const verdict = check(peers({ [A]: [hello, secret], [B]: [hello, again], [C]: [hello] }), membership, []);
    expect(verdict.violations.map((v) => `${v.kind} ${v.message} ${v.peer}`)).to.have.members([
      `lost ${secret.id} Carol`,
      `duplicate ${again.id} Bob`,
    ]);
  });

  it('flags a private channel message at a non-member and a direct message at a third peer', () => {
    const verdict = check(
      peers({ [A]: [hello, secret, direct], [B]: [hello, direct, secret], [C]: [hello, direct, secret] }),
      membership,
      [],
    );
    expect(verdict.violations.map((v) => `${v.kind} ${v.peer}`)).to.have.members(['misdelivered Alice', 'misdelivered Bob']);
  });

  it('flags a sender whose messages show out of the order it sent them', () => {
    const first = message(B, 1, 'general', 7);
    const second = message(B, 2, 'general', 3);
    const verdict = check(peers({ [A]: [first, second], [B]: [first, second] }), membership, []);
    expect(verdict.violations.map((v) => v.kind)).to.include('sender-order');
  });

  it('finds private text in clear in any file of a data folder', () => {
    const leaked = message(C, 1, 'general', 1, 'for your eyes only');
    const verdict = check(peers({ [A]: [leaked], [B]: [leaked], [C]: [leaked] }), membership, ['for your eyes only']);
    expect(verdict.violations.filter((v) => v.kind === 'clear-text')).to.have.length(3);
  });
});
