/**
 * ChannelRegistry, the tracker's channel membership and private-channel secrets, with time passed in and
 * stand-in secrets (the scrypt work is `keys.ts`'s, tested in keys.test.ts).
 * Tests for `apps/tracker/channels.ts` (new: WeApRous's tracker had no channels).
 */

import { expect } from 'chai';
import { ChannelRegistry } from '../../../apps/tracker/channels';
import type { KeySecret } from '../../../apps/tracker/keys';
import { MAX_CHANNELS_PER_PEER } from '../../../apps/protocol';

const HOLD = 300_000;
const A = '127.0.0.1:5001';
const B = '127.0.0.1:5002';
const secret = (tag: string): KeySecret => ({ salt: Buffer.from(tag), hash: Buffer.from(tag) });

describe('ChannelRegistry', () => {
  describe('public channels', () => {
    it('creates a channel on the first join and lists members in join order', () => {
      const channels = new ChannelRegistry(HOLD);
      expect(channels.plan(A, 'team', false)).to.deep.equal({ kind: 'create' });
      expect(channels.join(A, 'team')).to.equal('created');
      expect(channels.plan(B, 'team', false)).to.deep.equal({ kind: 'join' });
      expect(channels.join(B, 'team')).to.equal('joined');
      expect(channels.members('team')).to.deep.equal([A, B]);
      expect(channels.isPrivate('team')).to.equal(false);
    });

    it('says a member is already in, and joining again changes nothing', () => {
      const channels = new ChannelRegistry(HOLD);
      channels.join(A, 'team');
      expect(channels.plan(A, 'team', false)).to.deep.equal({ kind: 'member' });
      expect(channels.join(A, 'team')).to.equal('member');
      expect(channels.members('team')).to.deep.equal([A]);
    });

    it('reads names case-insensitively, with or without a leading #', () => {
      const channels = new ChannelRegistry(HOLD);
      channels.join(A, '#Team');
      channels.join(B, 'TEAM');
      expect(channels.members('team')).to.deep.equal([A, B]);
      expect(channels.channelsOf(A)).to.deep.equal(['team']);
    });

    it('refuses a bad name with 400 and a sentence', () => {
      const channels = new ChannelRegistry(HOLD);
      for (const bad of ['', 'my team', 'x'.repeat(33), 'tèam']) {
        const plan = channels.plan(A, bad, false);
        expect(plan.kind, bad).to.equal('refused');
        expect(plan).to.include({ status: 400 });
      }
      expect(channels.join(A, 'my team')).to.equal('changed');
      expect(channels.size).to.equal(0);
    });

    it('leaves a channel, says false when not in it, and an empty public channel disappears', () => {
      const channels = new ChannelRegistry(HOLD);
      channels.join(A, 'team');
      channels.join(B, 'team');
      expect(channels.leave(A, 'Team', 0)).to.equal(true);
      expect(channels.leave(A, 'team', 0)).to.equal(false);
      expect(channels.members('team')).to.deep.equal([B]);
      channels.leave(B, 'team', 0);
      expect(channels.members('team')).to.equal(undefined);
      expect(channels.size).to.equal(0);
      expect(channels.channelsOf(B)).to.deep.equal([]);
    });

    it('refuses a key for a public channel (409), so nobody believes a public channel is private', () => {
      const channels = new ChannelRegistry(HOLD);
      channels.join(A, 'team');
      expect(channels.plan(B, 'team', true)).to.deep.include({ kind: 'refused', status: 409 });
    });
  });

  describe('#general', () => {
    it('has every peer already: joining it needs nothing, and a key for it is refused', () => {
      const channels = new ChannelRegistry(HOLD);
      expect(channels.plan(A, '#General', false)).to.deep.equal({ kind: 'general' });
      expect(channels.join(A, 'general')).to.equal('general');
      expect(channels.plan(A, 'general', true)).to.deep.include({ kind: 'refused', status: 409 });
      expect(channels.channelsOf(A)).to.deep.equal([]);
    });
  });

  describe('private channels', () => {
    it('the first join with a key creates the channel with that secret; later joins need the key checked', () => {
      const channels = new ChannelRegistry(HOLD);
      const s = secret('s');
      expect(channels.plan(A, 'team', true)).to.deep.equal({ kind: 'create-private' });
      expect(channels.join(A, 'team', s)).to.equal('created');
      expect(channels.isPrivate('team')).to.equal(true);
      expect(channels.plan(B, 'team', true)).to.deep.equal({ kind: 'check-key', secret: s });
      expect(channels.join(B, 'team', s)).to.equal('joined');
      expect(channels.members('team')).to.deep.equal([A, B]);
    });

    it('refuses a join with no key (403, saying to send it)', () => {
      const channels = new ChannelRegistry(HOLD);
      channels.join(A, 'team', secret('s'));
      const plan = channels.plan(B, 'team', false);
      expect(plan).to.deep.include({ kind: 'refused', status: 403 });
      expect(plan)
        .to.have.property('error')
        .that.matches(/#team is private; send its key/);
      expect(channels.join(B, 'team')).to.equal('changed');
      expect(channels.members('team')).to.deep.equal([A]);
    });

    it('says changed when the channel got another secret since plan (someone re-created it)', () => {
      const channels = new ChannelRegistry(HOLD);
      channels.join(A, 'team', secret('first'));
      expect(channels.join(B, 'team', secret('other'))).to.equal('changed');
      expect(channels.members('team')).to.deep.equal([A]);
    });

    it('keeps an empty private channel and its key for the hold time, then forgets it', () => {
      const channels = new ChannelRegistry(HOLD);
      const s = secret('s');
      channels.join(A, 'team', s);
      channels.leave(A, 'team', 1_000);
      expect(channels.members('team')).to.deep.equal([]);
      expect(channels.plan(B, 'team', true)).to.deep.equal({ kind: 'check-key', secret: s });
      expect(channels.plan(B, 'team', false)).to.deep.include({ kind: 'refused', status: 403 });
      expect(channels.expire(1_000 + HOLD)).to.deep.equal([]);
      expect(channels.expire(1_000 + HOLD + 1)).to.deep.equal(['team']);
      expect(channels.plan(B, 'team', false)).to.deep.equal({ kind: 'create' });
    });

    it('a member coming back within the hold time keeps the channel', () => {
      const channels = new ChannelRegistry(HOLD);
      const s = secret('s');
      channels.join(A, 'team', s);
      channels.leave(A, 'team', 0);
      expect(channels.join(A, 'team', s)).to.equal('joined');
      expect(channels.expire(10 * HOLD)).to.deep.equal([]);
      expect(channels.members('team')).to.deep.equal([A]);
    });
  });

  describe('a peer that goes', () => {
    it('leaveAll() takes an unregistered or expired peer out of every channel', () => {
      const channels = new ChannelRegistry(HOLD);
      channels.join(A, 'team');
      channels.join(A, 'dev', secret('s'));
      channels.join(B, 'team');
      expect(channels.leaveAll(A, 5)).to.deep.equal(['team', 'dev']);
      expect(channels.members('team')).to.deep.equal([B]);
      expect(channels.members('dev')).to.deep.equal([]);
      expect(channels.channelsOf(A)).to.deep.equal([]);
      expect(channels.leaveAll(A, 5)).to.deep.equal([]);
    });
  });

  describe('names()', () => {
    it('lists every channel but #general in creation order, an empty private one until it is forgotten', () => {
      const channels = new ChannelRegistry(HOLD);
      channels.join(A, 'team');
      channels.join(A, 'secret', secret('s'));
      channels.join(B, 'dev');
      channels.join(A, 'general');
      channels.leave(B, 'dev', 0);
      channels.leave(A, 'secret', 0);
      expect(channels.names()).to.deep.equal(['team', 'secret']);
      channels.expire(HOLD + 1);
      expect(channels.names()).to.deep.equal(['team']);
    });
  });

  describe('limits', () => {
    it(`refuses a peer's channel beyond ${MAX_CHANNELS_PER_PEER} (409)`, () => {
      const channels = new ChannelRegistry(HOLD);
      for (let i = 0; i < MAX_CHANNELS_PER_PEER; i++) expect(channels.join(A, `c${i}`)).to.equal('created');
      expect(channels.plan(A, 'one-more', false)).to.deep.include({ kind: 'refused', status: 409 });
      expect(channels.join(A, 'one-more')).to.equal('changed');
      expect(channels.plan(A, 'c0', false)).to.deep.equal({ kind: 'member' });
    });

    it('refuses a new channel beyond the tracker-wide cap (503), and still lets peers join existing ones', () => {
      const channels = new ChannelRegistry(HOLD, 2);
      channels.join(A, 'one');
      channels.join(A, 'two');
      expect(channels.plan(B, 'three', false)).to.deep.include({ kind: 'refused', status: 503 });
      expect(channels.plan(B, 'one', false)).to.deep.equal({ kind: 'join' });
    });
  });
});
