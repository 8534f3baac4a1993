/**
 * Sessions: random tokens kept as hashes, the password compared on hashes, a bound on sessions and on login
 * links, idle expiry, logout, one-time links, and what is saved for a restart. Tests for `apps/peer/web/sessions.ts`.
 */

import { expect } from 'chai';
import { hash, Sessions, type SessionRecord } from '../../../../apps/peer/web/sessions';

describe('Sessions', () => {
  it('checks the password, and refuses every password when the peer has none', () => {
    const sessions = new Sessions({ password: 'correct horse' });
    expect(sessions.hasPassword).to.equal(true);
    expect(sessions.checkPassword('correct horse')).to.equal(true);
    expect(sessions.checkPassword('correct hors')).to.equal(false);
    expect(sessions.checkPassword('')).to.equal(false);
    const open = new Sessions();
    expect(open.hasPassword).to.equal(false);
    expect(open.checkPassword('')).to.equal(false);
  });

  it('gives a 43-character random token, keeps only its hash, and finds the session by it', () => {
    const saved: SessionRecord[][] = [];
    const sessions = new Sessions({ onChange: (records) => saved.push(records) });
    const token = sessions.create(1_000);
    expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.create(1_000)).not.to.equal(token);
    expect(sessions.find(token, 2_000)).to.deep.equal({ id: hash(token), created: 1_000, seen: 2_000 });
    expect(sessions.find('x' + token, 2_000)).to.equal(null);
    expect(sessions.find(undefined, 2_000)).to.equal(null);
    expect(JSON.stringify(saved)).not.to.include(token);
    expect(saved.at(-1)!.map((r) => r.id)).to.include(hash(token));
  });

  it('ends a session at logout and after it has been idle too long', () => {
    const sessions = new Sessions({ idleMs: 100 });
    const a = sessions.create(0);
    const b = sessions.create(0);
    expect(sessions.end(a)).to.equal(hash(a));
    expect(sessions.end(a)).to.equal(null);
    expect(sessions.find(a, 10)).to.equal(null);
    expect(sessions.find(b, 90)).not.to.equal(null); // used at 90: idle from there
    expect(sessions.find(b, 180)).not.to.equal(null);
    expect(sessions.find(b, 281)).to.equal(null);
    expect(sessions.count).to.equal(0);
  });

  it('keeps at most `max` sessions: the least recently used one ends', () => {
    const sessions = new Sessions({ max: 2 });
    const a = sessions.create(1);
    const b = sessions.create(2);
    sessions.find(a, 3);
    const c = sessions.create(4);
    expect(sessions.count).to.equal(2);
    expect(sessions.find(b, 5)).to.equal(null);
    expect(sessions.find(a, 5)).not.to.equal(null);
    expect(sessions.find(c, 5)).not.to.equal(null);
  });

  it('lets a login link in once, while it is fresh, and keeps at most `maxLinks` of them', () => {
    const sessions = new Sessions({ linkMs: 100, maxLinks: 2 });
    const link = sessions.issueLink(0);
    expect(sessions.redeemLink(link, 50)).to.equal(true);
    expect(sessions.redeemLink(link, 50)).to.equal(false);
    const stale = sessions.issueLink(0);
    expect(sessions.redeemLink(stale, 100)).to.equal(false);
    const first = sessions.issueLink(0);
    sessions.issueLink(0);
    sessions.issueLink(0);
    expect(sessions.redeemLink(first, 1)).to.equal(false);
    expect(sessions.redeemLink('made-up', 1)).to.equal(false);
  });

  it('takes back the sessions an earlier run saved, skipping expired and malformed ones', () => {
    const before = new Sessions();
    const token = before.create(1_000);
    const restarted = new Sessions({ idleMs: 10_000 });
    restarted.load([...before.records(), { id: 'nope', created: 1, seen: 1 }, { id: hash('old'), created: 0, seen: -20_000 }, null], 5_000);
    expect(restarted.count).to.equal(1);
    expect(restarted.find(token, 5_000)).not.to.equal(null);
    restarted.load('garbage', 5_000);
    expect(restarted.count).to.equal(1);
  });

  it('saves again when a session has been used for a while, not on every request', () => {
    let saves = 0;
    const sessions = new Sessions({ onChange: () => (saves += 1), saveEveryMs: 1_000 });
    const token = sessions.create(0);
    expect(saves).to.equal(1);
    sessions.find(token, 500);
    expect(saves).to.equal(1);
    sessions.find(token, 1_000);
    expect(saves).to.equal(2);
    sessions.find(token, 1_500);
    expect(saves).to.equal(2);
  });
});
