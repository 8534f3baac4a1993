/**
 * Channels: the joined channels, the current one, unread counts, the heartbeat's claims and the members last
 * heard from the tracker. Tests for `apps/peer/model/channels.ts`.
 */

import { expect } from 'chai';
import { Channels } from '../../../../apps/peer/model/channels';

describe('Channels', () => {
  it('starts in #general only, current, with nothing to claim', () => {
    const channels = new Channels();
    expect(channels.current).to.equal('general');
    expect(channels.list()).to.deep.equal([{ name: 'general', current: true, unread: 0, private: false }]);
    expect(channels.claims()).to.deep.equal([]);
  });

  it('joins, switches and leaves; leaving the current channel goes back to #general; #general stays', () => {
    const channels = new Channels();
    channels.join('team');
    channels.join('secret', 's3cret');
    expect(channels.switchTo('team')).to.equal(true);
    expect(channels.switchTo('nope')).to.equal(false);
    expect(channels.list().map((c) => [c.name, c.current, c.private])).to.deep.equal([
      ['general', false, false],
      ['secret', false, true],
      ['team', true, false],
    ]);
    expect(channels.claims()).to.deep.equal([{ channel: 'team' }, { channel: 'secret', key: 's3cret' }]);
    channels.leave('team');
    channels.leave('general');
    expect([channels.current, channels.has('team'), channels.has('general')]).to.deep.equal(['general', false, true]);
  });

  it('counts unread messages outside the current channel, and forgets them on switching there', () => {
    const channels = new Channels();
    channels.join('team');
    expect(channels.arrived('general')).to.equal(false);
    expect(channels.arrived('team')).to.equal(true);
    expect(channels.arrived('team')).to.equal(true);
    expect(channels.arrived('other')).to.equal(false); // not joined: not counted
    expect(channels.unreadElsewhere).to.equal(2);
    channels.switchTo('team');
    expect(channels.unreadElsewhere).to.equal(0);
    expect(channels.list().find((c) => c.name === 'team')?.unread).to.equal(0);
  });

  it('marks a channel read without switching to it (the browser read it)', () => {
    const channels = new Channels();
    channels.join('team');
    channels.arrived('team');
    channels.markRead('team');
    expect(channels.current).to.equal('general');
    expect(channels.unreadElsewhere).to.equal(0);
  });

  it('remembers the members the tracker listed', () => {
    const channels = new Channels();
    channels.setMembers('team', ['127.0.0.1:5001', '127.0.0.1:5002']);
    expect(channels.isKnownMember('team', '127.0.0.1:5002')).to.equal(true);
    expect(channels.isKnownMember('team', '127.0.0.1:5003')).to.equal(false);
    expect(channels.knownMembers('other')).to.deep.equal([]);
  });

  it('gives what a restart needs (channels, keys, unread, members) and takes it back, checked; a restart starts in #general', () => {
    const channels = new Channels();
    const saved: string[] = [];
    channels.onChange = () => saved.push(JSON.stringify(channels.toJSON()));
    channels.join('team');
    channels.join('secret', 'hunter2-hunter2');
    channels.setMembers('team', ['127.0.0.1:5002']);
    channels.arrived('team');
    expect(saved).to.have.length(4);
    const again = new Channels();
    again.restore({ ...JSON.parse(saved.at(-1)!), unread: { team: 1, nowhere: 3, secret: 'x' } });
    again.restore({ joined: [{ channel: '#Bad Name' }, { channel: 'general' }, 'junk'] }); // nothing of that
    expect(again.list()).to.deep.equal(channels.list());
    expect(again.current).to.equal('general');
    expect(again.claims()).to.deep.equal([{ channel: 'team' }, { channel: 'secret', key: 'hunter2-hunter2' }]);
    expect(again.knownMembers('team')).to.deep.equal(['127.0.0.1:5002']);
  });

  it('keeps a member the tracker stops listing for graceMs from the first list without it (a restarted tracker)', () => {
    const channels = new Channels();
    const [a, b] = ['127.0.0.1:5001', '127.0.0.1:5002'];
    channels.setMembers('team', [a, b], 1_000, 60_000);
    channels.setMembers('team', [], 2_000, 60_000); // a 404: nobody claimed #team again yet
    channels.setMembers('team', [a], 50_000, 60_000);
    expect(channels.knownMembers('team')).to.deep.equal([a, b]);
    channels.setMembers('team', [a], 62_000, 60_000); // gone for a minute: it left
    expect(channels.knownMembers('team')).to.deep.equal([a]);
    channels.setMembers('team', [a, b], 63_000, 60_000);
    channels.setMembers('team', [a], 64_000, 0); // without grace, the list decides at once
    expect(channels.knownMembers('team')).to.deep.equal([a]);
  });

  it("remembers who proved a private channel's key, and forgets them on leaving or a new key", () => {
    const channels = new Channels();
    channels.join('team');
    channels.proved('team', '127.0.0.1:5002'); // a public channel has no proofs
    expect(channels.hasProved('team', '127.0.0.1:5002')).to.equal(false);
    channels.join('secret', 'hunter2');
    channels.proved('secret', '127.0.0.1:5002');
    expect(channels.provenMembers('secret')).to.deep.equal(['127.0.0.1:5002']);
    channels.join('secret', 'hunter2');
    expect(channels.hasProved('secret', '127.0.0.1:5002')).to.equal(true);
    channels.join('secret', 'other');
    expect(channels.hasProved('secret', '127.0.0.1:5002')).to.equal(false);
    channels.proved('secret', '127.0.0.1:5003');
    channels.leave('secret');
    expect(channels.provenMembers('secret')).to.deep.equal([]);
  });

  it('marks a channel the tracker refused as contested once, until it is taken again', () => {
    const channels = new Channels();
    expect(channels.contest('secret')).to.equal(false); // not joined
    channels.join('secret', 'hunter2');
    expect(channels.contest('secret')).to.equal(true);
    expect(channels.contest('secret')).to.equal(false);
    expect(channels.list().find((c) => c.name === 'secret')).to.deep.include({ private: true, contested: true });
    expect(channels.settle('secret')).to.equal(true);
    expect(channels.isContested('secret')).to.equal(false);
    expect(channels.settle('secret')).to.equal(false);
  });
});
