/**
 * The contract of the tracker's state, one suite for every store: `Registry` (peers: register, list, pages,
 * heartbeat, expire, key bindings) and `Channels` (join, leave, private keys, limits), with time passed in so
 * expiry needs no waiting. `registry.test.ts` runs it against the in-memory registry and against Redis.
 * Specifies `apps/tracker/registry.ts` and `channels.ts` (the `peers` dict of WeApRous `apps/sampleApp.py`).
 * Not a test file itself (mocha runs `*.test.ts` only).
 */

import { expect } from 'chai';
import { parseEntries, type Registered, type Registry } from '../../../apps/tracker/registry';
import type { Channels } from '../../../apps/tracker/channels';
import type { Verifier } from '../../../apps/tracker/keys';
import type { PeerEntry } from '../../../apps/protocol';
import { MAX_CHANNELS_PER_PEER } from '../../../apps/protocol';

export const TTL = 300_000;
const A = '127.0.0.1:5001';
const B = '127.0.0.1:5002';
const secret = (tag: string): Verifier => Buffer.alloc(32, tag).toString('base64');

/** A fresh, empty store for one test: `ttlMs` for the peers and the channels' key hold, and the channel cap. */
export type MakeStore = (ttlMs: number, maxChannels?: number) => Promise<{ registry: Registry; channels: Channels }>;

function registered(result: Registered): { entry: PeerEntry; isNew: boolean } {
  if ('boundTo' in result) throw new Error(`expected a registration, got boundTo ${result.boundTo}`);
  if ('shareFull' in result) throw new Error(`expected a registration, got shareFull ${result.shareFull}`);
  return result;
}

const ids = (peers: PeerEntry[]) => peers.map((p) => p.peer_id);

export function registryContract(make: MakeStore): void {
  let registry: Registry;
  beforeEach(async () => {
    ({ registry } = await make(TTL));
  });

  it('registers a peer under "ip:port" and lists it with the documented fields', async () => {
    const { entry, isNew } = registered(await registry.register({ ip: '127.0.0.1', port: 5001 }, 0));
    expect(isNew).to.equal(true);
    expect(entry).to.deep.equal({ ip: '127.0.0.1', port: 5001, peer_id: A });
    const list = parseEntries(await registry.list());
    expect(list).to.deep.equal([{ ip: '127.0.0.1', port: 5001, peer_id: A }]);
    expect(Object.keys(list[0])).to.deep.equal(['ip', 'port', 'peer_id']);
  });

  it('keeps a display name after the documented fields', async () => {
    await registry.register({ ip: '127.0.0.1', port: 5002, name: 'Bob' }, 0);
    const list = parseEntries(await registry.list());
    expect(list).to.deep.equal([{ ip: '127.0.0.1', port: 5002, peer_id: B, name: 'Bob' }]);
    expect(Object.keys(list[0])).to.deep.equal(['ip', 'port', 'peer_id', 'name']);
  });

  it('keeps "scheme":"https" for a peer that serves HTTPS, last, and writes none for a plain one', async () => {
    await registry.register({ ip: '127.0.0.1', port: 5002, name: 'Bob', scheme: 'https' }, 0);
    const list = parseEntries(await registry.list());
    expect(list).to.deep.equal([{ ip: '127.0.0.1', port: 5002, peer_id: B, name: 'Bob', scheme: 'https' }]);
    expect(Object.keys(list[0])).to.deep.equal(['ip', 'port', 'peer_id', 'name', 'scheme']);
  });

  it('lists peers in registration order, and a re-registration keeps its place', async () => {
    await registry.register({ ip: '127.0.0.1', port: 5002 }, 0);
    await registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    const again = registered(await registry.register({ ip: '127.0.0.1', port: 5002, name: 'Bob' }, 10));
    expect(again.isNew).to.equal(false);
    expect(await registry.count()).to.equal(2);
    expect(ids(parseEntries(await registry.list()))).to.deep.equal([B, A]);
    expect(parseEntries(await registry.list())[0].name).to.equal('Bob');
  });

  it('unregisters a peer, and says false the second time', async () => {
    await registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    expect(await registry.unregister(A)).to.equal(true);
    expect(await registry.unregister(A)).to.equal(false);
    expect(parseEntries(await registry.list())).to.deep.equal([]);
    expect(await registry.has(A)).to.equal(false);
  });

  it('expires a peer not seen for longer than the TTL, and keeps one seen exactly TTL ago', async () => {
    await registry.register({ ip: '127.0.0.1', port: 5001 }, 1_000);
    await registry.register({ ip: '127.0.0.1', port: 5002 }, 2_000);
    expect(await registry.expire(1_000 + TTL)).to.deep.equal([]);
    expect(await registry.expire(1_000 + TTL + 1)).to.deep.equal([A]);
    expect(ids(parseEntries(await registry.list()))).to.deep.equal([B]);
    expect(await registry.count()).to.equal(1);
  });

  it('a heartbeat moves last_seen forward, so the peer outlives its first TTL', async () => {
    await registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    await registry.register({ ip: '127.0.0.1', port: 5002 }, 0);
    expect(await registry.heartbeat(A, TTL - 1)).to.equal(true);
    expect(await registry.expire(TTL + 10)).to.deep.equal([B]);
    expect(await registry.expire(2 * TTL)).to.deep.equal([A]);
  });

  it('says when a peer was last seen (for the status page), and undefined for an unknown one', async () => {
    await registry.register({ ip: '127.0.0.1', port: 5001 }, 1_000);
    await registry.heartbeat(A, 4_000);
    expect(await registry.lastSeen(A)).to.equal(4_000);
    expect(await registry.lastSeen('127.0.0.1:5009')).to.equal(undefined);
  });

  it('a heartbeat from an unknown peer answers false and registers nothing', async () => {
    expect(await registry.heartbeat('127.0.0.1:5009', 0)).to.equal(false);
    expect(await registry.count()).to.equal(0);
  });

  it('entries() gives the registered ones among ids, in the order asked', async () => {
    await registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    await registry.register({ ip: '127.0.0.1', port: 5002, name: 'Bob' }, 0);
    expect(ids(parseEntries(await registry.entries([B, '127.0.0.1:5009', A])))).to.deep.equal([B, A]);
    expect(await registry.entries([])).to.deep.equal([]);
  });

  it('version() moves with every change list() would show, and not with a heartbeat or the same registration', async () => {
    const versions = [await registry.version()];
    const moved = async () => {
      versions.push(await registry.version());
      return versions[versions.length - 1] !== versions[versions.length - 2];
    };
    await registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
    expect(await moved(), 'a new peer').to.equal(true);
    await registry.heartbeat(A, 10);
    await registry.register({ ip: '127.0.0.1', port: 5001 }, 20);
    expect(await moved(), 'a heartbeat, the same registration').to.equal(false);
    await registry.register({ ip: '127.0.0.1', port: 5001, name: 'Al' }, 30);
    expect(await moved(), 'a new name').to.equal(true);
    await registry.unregister('127.0.0.1:5009');
    expect(await moved(), 'removing nobody').to.equal(false);
    await registry.register({ ip: '127.0.0.1', port: 5002 }, 40);
    await registry.unregister(B);
    expect(await moved(), 'register and remove').to.equal(true);
    await registry.expire(30 + TTL + 1);
    expect(await moved(), 'an expiry').to.equal(true);
  });

  describe('key bindings', () => {
    it('binds a key with the registration, keeps it on a refresh with that key, and drops it with the peer', async () => {
      await registry.register({ ip: '127.0.0.1', port: 5001 }, 0, 'KEY-A');
      expect(await registry.keyOf(A)).to.equal('KEY-A');
      expect(registered(await registry.register({ ip: '127.0.0.1', port: 5001, name: 'Al' }, 5, 'KEY-A')).isNew).to.equal(false);
      expect(await registry.keyOf(A)).to.equal('KEY-A');
      await registry.unregister(A);
      expect(await registry.keyOf(A)).to.equal(undefined);
    });

    it('refuses, changing nothing, a registration of a bound id with another key or none (bound meanwhile)', async () => {
      await registry.register({ ip: '127.0.0.1', port: 5001 }, 0, 'KEY-A');
      expect(await registry.register({ ip: '127.0.0.1', port: 5001, name: 'Mallory' }, 5, 'KEY-M')).to.deep.equal({ boundTo: 'KEY-A' });
      expect(await registry.register({ ip: '127.0.0.1', port: 5001, name: 'Mallory' }, 5)).to.deep.equal({ boundTo: 'KEY-A' });
      expect(parseEntries(await registry.list())).to.deep.equal([{ ip: '127.0.0.1', port: 5001, peer_id: A }]);
      expect(await registry.lastSeen(A)).to.equal(0);
    });

    it('binds an id first registered without a key', async () => {
      await registry.register({ ip: '127.0.0.1', port: 5001 }, 0);
      await registry.register({ ip: '127.0.0.1', port: 5001 }, 1, 'KEY-A');
      expect(await registry.keyOf(A)).to.equal('KEY-A');
    });
  });

  describe('page()', () => {
    const register = async (ports: number[]) => {
      for (const port of ports) await registry.register({ ip: '10.0.0.1', port }, 0);
    };

    it('walks every peer once, in id order, `limit` at a time, with `next` until the last page', async () => {
      await register([5003, 5001, 5005, 5002, 5004]);
      const first = await registry.page(undefined, 2);
      expect(ids(parseEntries(first.entries))).to.deep.equal(['10.0.0.1:5001', '10.0.0.1:5002']);
      expect(first.next).to.equal('10.0.0.1:5002');
      const second = await registry.page(first.next, 2);
      expect(ids(parseEntries(second.entries))).to.deep.equal(['10.0.0.1:5003', '10.0.0.1:5004']);
      const last = await registry.page(second.next, 2);
      expect(last).to.deep.equal({ entries: ['{"ip":"10.0.0.1","port":5005,"peer_id":"10.0.0.1:5005"}'] });
    });

    it('gives no `next` when the page ends exactly at the last peer, and an empty page after it', async () => {
      await register([5001, 5002]);
      expect((await registry.page(undefined, 2)).next).to.equal(undefined);
      expect(await registry.page('10.0.0.1:5002', 2)).to.deep.equal({ entries: [] });
    });

    it('resumes after a cursor that is no longer registered, or was never a peer', async () => {
      await register([5001, 5002, 5003]);
      await registry.unregister('10.0.0.1:5002');
      expect(ids(parseEntries((await registry.page('10.0.0.1:5002', 10)).entries))).to.deep.equal(['10.0.0.1:5003']);
      expect(ids(parseEntries((await registry.page('10.0.0.1:5001x', 10)).entries))).to.deep.equal(['10.0.0.1:5003']);
      expect(ids(parseEntries((await registry.page('0', 1)).entries))).to.deep.equal(['10.0.0.1:5001']);
    });

    it('leaves out expired and unregistered peers, and holds 1,000 peers in order', async () => {
      for (let i = 0; i < 1000; i++) await registry.register({ ip: '10.1.0.1', port: 1000 + i }, i);
      expect(await registry.expire(TTL + 100)).to.have.length(100);
      let cursor: string | undefined;
      const seen: string[] = [];
      do {
        const page = await registry.page(cursor, 128);
        seen.push(...ids(parseEntries(page.entries)));
        cursor = page.next;
      } while (cursor !== undefined);
      expect(seen).to.have.length(900);
      expect(seen).to.deep.equal([...seen].sort());
      expect(seen[0]).to.equal('10.1.0.1:1100');
    });
  });
}

export function channelsContract(make: MakeStore): void {
  const HOLD = TTL;
  let channels: Channels;
  beforeEach(async () => {
    ({ channels } = await make(HOLD));
  });

  describe('public channels', () => {
    it('creates a channel on the first join and lists members in join order', async () => {
      expect(await channels.plan(B, 'team', false)).to.deep.equal({ kind: 'create' });
      expect(await channels.join(B, 'team')).to.equal('created');
      expect(await channels.plan(A, 'team', false)).to.deep.equal({ kind: 'join' });
      expect(await channels.join(A, 'team')).to.equal('joined');
      expect(await channels.members('team')).to.deep.equal([B, A]);
      expect(await channels.memberCount('team')).to.equal(2);
      expect(await channels.isPrivate('team')).to.equal(false);
    });

    it('says a member is already in, and joining again changes nothing', async () => {
      await channels.join(A, 'team');
      expect(await channels.plan(A, 'team', false)).to.deep.equal({ kind: 'member' });
      expect(await channels.join(A, 'team')).to.equal('member');
      expect(await channels.members('team')).to.deep.equal([A]);
    });

    it('reads names case-insensitively, with or without a leading #', async () => {
      await channels.join(A, '#Team');
      await channels.join(B, 'TEAM');
      expect(await channels.members('team')).to.deep.equal([A, B]);
      expect(await channels.channelsOf(A)).to.deep.equal(['team']);
    });

    it('refuses a bad name with 400 and a sentence', async () => {
      for (const bad of ['', 'my team', 'x'.repeat(33), 'tèam']) {
        const plan = await channels.plan(A, bad, false);
        expect(plan.kind, bad).to.equal('refused');
        expect(plan).to.include({ status: 400 });
      }
      expect(await channels.join(A, 'my team')).to.equal('changed');
      expect(await channels.names()).to.deep.equal([]);
    });

    it('leaves a channel, says false when not in it, and an empty public channel disappears', async () => {
      await channels.join(A, 'team');
      await channels.join(B, 'team');
      expect(await channels.leave(A, 'Team', 0)).to.equal(true);
      expect(await channels.leave(A, 'team', 0)).to.equal(false);
      expect(await channels.members('team')).to.deep.equal([B]);
      await channels.leave(B, 'team', 0);
      expect(await channels.members('team')).to.equal(undefined);
      expect(await channels.names()).to.deep.equal([]);
      expect(await channels.channelsOf(B)).to.deep.equal([]);
    });

    it('refuses a key for a public channel (409), so nobody believes a public channel is private', async () => {
      await channels.join(A, 'team');
      expect(await channels.plan(B, 'team', true)).to.deep.include({ kind: 'refused', status: 409 });
    });
  });

  describe('#general', () => {
    it('has every peer already: joining it needs nothing, and a key for it is refused', async () => {
      expect(await channels.plan(A, '#General', false)).to.deep.equal({ kind: 'general' });
      expect(await channels.join(A, 'general')).to.equal('general');
      expect(await channels.plan(A, 'general', true)).to.deep.include({ kind: 'refused', status: 409 });
      expect(await channels.channelsOf(A)).to.deep.equal([]);
    });
  });

  describe('private channels', () => {
    it('the first join with a key creates the channel with that secret; later joins need the key checked', async () => {
      const s = secret('s');
      expect(await channels.plan(A, 'team', true)).to.deep.equal({ kind: 'create-private' });
      expect(await channels.join(A, 'team', s)).to.equal('created');
      expect(await channels.isPrivate('team')).to.equal(true);
      const plan = await channels.plan(B, 'team', true);
      expect(plan).to.deep.equal({ kind: 'check-key', secret: s });
      expect(await channels.join(B, 'team', (plan as { secret: Verifier }).secret)).to.equal('joined');
      expect(await channels.members('team')).to.deep.equal([A, B]);
    });

    it('refuses a join with no key (403, saying to send it)', async () => {
      await channels.join(A, 'team', secret('s'));
      const plan = await channels.plan(B, 'team', false);
      expect(plan).to.deep.include({ kind: 'refused', status: 403 });
      expect(plan)
        .to.have.property('error')
        .that.matches(/#team is private; only its key joins it/);
      expect(await channels.join(B, 'team')).to.equal('changed');
      expect(await channels.members('team')).to.deep.equal([A]);
    });

    it('says changed when the channel got another secret since plan (someone re-created it)', async () => {
      await channels.join(A, 'team', secret('first'));
      expect(await channels.join(B, 'team', secret('other'))).to.equal('changed');
      expect(await channels.members('team')).to.deep.equal([A]);
    });

    it('keeps an empty private channel and its key for the hold time, then forgets it', async () => {
      const s = secret('s');
      await channels.join(A, 'team', s);
      await channels.leave(A, 'team', 1_000);
      expect(await channels.members('team')).to.deep.equal([]);
      expect(await channels.plan(B, 'team', true)).to.deep.equal({ kind: 'check-key', secret: s });
      expect(await channels.plan(B, 'team', false)).to.deep.include({ kind: 'refused', status: 403 });
      expect(await channels.expire(1_000 + HOLD)).to.deep.equal([]);
      expect(await channels.expire(1_000 + HOLD + 1)).to.deep.equal(['team']);
      expect(await channels.members('team')).to.equal(undefined);
    });

    it('a member coming back within the hold time keeps the channel', async () => {
      const s = secret('s');
      await channels.join(A, 'team', s);
      await channels.leave(A, 'team', 0);
      expect(await channels.join(A, 'team', s)).to.equal('joined');
      expect(await channels.expire(10 * HOLD)).to.deep.equal([]);
      expect(await channels.members('team')).to.deep.equal([A]);
    });
  });

  describe('a peer that goes', () => {
    it('leaveAll() takes an unregistered or expired peer out of every channel', async () => {
      await channels.join(A, 'team');
      await channels.join(A, 'dev', secret('s'));
      await channels.join(B, 'team');
      expect(await channels.leaveAll(A, 5)).to.deep.equal(['team', 'dev']);
      expect(await channels.members('team')).to.deep.equal([B]);
      expect(await channels.members('dev')).to.deep.equal([]);
      expect(await channels.channelsOf(A)).to.deep.equal([]);
      expect(await channels.leaveAll(A, 5)).to.deep.equal([]);
    });
  });

  describe('names()', () => {
    it('lists every channel but #general in creation order, an empty private one until it is forgotten', async () => {
      await channels.join(A, 'team');
      await channels.join(A, 'secret', secret('s'));
      await channels.join(B, 'dev');
      await channels.join(A, 'general');
      await channels.leave(B, 'dev', 0);
      await channels.leave(A, 'secret', 0);
      expect(await channels.names()).to.deep.equal(['team', 'secret']);
      await channels.expire(HOLD + 1);
      expect(await channels.names()).to.deep.equal(['team']);
    });
  });

  describe('page()', () => {
    it('pages a channel by member id, with `next` until the last page, and undefined for no channel', async () => {
      for (const id of ['10.0.0.1:5003', '10.0.0.1:5001', '10.0.0.1:5002']) await channels.join(id, 'team');
      expect(await channels.page('team', undefined, 2)).to.deep.equal({ ids: ['10.0.0.1:5001', '10.0.0.1:5002'], next: '10.0.0.1:5002' });
      expect(await channels.page('team', '10.0.0.1:5002', 2)).to.deep.equal({ ids: ['10.0.0.1:5003'] });
      expect(await channels.page('nobody', undefined, 2)).to.equal(undefined);
    });
  });

  describe('limits', () => {
    it(`refuses a peer's channel beyond ${MAX_CHANNELS_PER_PEER} (409)`, async () => {
      for (let i = 0; i < MAX_CHANNELS_PER_PEER; i++) expect(await channels.join(A, `c${i}`)).to.equal('created');
      expect(await channels.plan(A, 'one-more', false)).to.deep.include({ kind: 'refused', status: 409 });
      expect(await channels.join(A, 'one-more')).to.equal('changed');
      expect(await channels.plan(A, 'c0', false)).to.deep.equal({ kind: 'member' });
    });

    it('refuses a new channel beyond the tracker-wide cap (503), and still lets peers join existing ones', async () => {
      ({ channels } = await make(HOLD, 2));
      await channels.join(A, 'one');
      await channels.join(A, 'two');
      expect(await channels.plan(B, 'three', false)).to.deep.include({ kind: 'refused', status: 503 });
      expect(await channels.plan(B, 'one', false)).to.deep.equal({ kind: 'join' });
    });
  });
}
