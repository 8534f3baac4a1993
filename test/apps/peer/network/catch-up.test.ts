/**
 * Catch-up from several peers at once: two peers answering the same history, at the same time, bring each
 * message once, and the notices count it once. Tests for `apps/peer/network/catch-up.ts`.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { History } from '../../../../apps/peer/storage/history';
import { CatchUp } from '../../../../apps/peer/network/catch-up';
import type { PeerClient } from '../../../../apps/peer/network/peer-client';
import type { PeerInfo } from '../../../../apps/peer/model/peers';
import { Channels } from '../../../../apps/peer/model/channels';
import { EventLog } from '../../../../apps/peer/model/events';
import type { Notice } from '../../../../apps/peer/model/notices';
import { Trust } from '../../../../apps/peer/identity/trust';
import { KnownPeers } from '../../../../apps/peer/identity/known-peers';
import { loadOrCreateIdentity } from '../../../../apps/peer/identity/identity';

const ALICE: PeerInfo = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };
const BOB: PeerInfo = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, name: 'Bob' };
const JACK: PeerInfo = { peer_id: '127.0.0.1:5003', ip: '127.0.0.1', port: 5003, name: 'Jack' };

/** 14 messages of #general written by a key-less peer, as Bob and Jack both hold them. */
const HELD = Array.from({ length: 14 }, (_, i) => ({
  id: `127.0.0.1:9001/t-${i + 1}`,
  channel: 'general',
  from: '127.0.0.1:9001',
  name: 'TestPeer',
  msg: `message ${i + 1}`,
  timestamp: 1_699_680_000 + i,
  clock: i + 1,
}));

describe('CatchUp', () => {
  const folders = [mkdtempSync(join(tmpdir(), 'weaprous-catchup-')), mkdtempSync(join(tmpdir(), 'weaprous-catchup-'))];
  after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  it('counts each message once when two peers answer the same history at the same time', async () => {
    const history = await History.open(folders[0], ALICE, { startedAt: Date.now() });
    const noKey = async () => ({ ok: false as const, reason: 'no key' });
    const trust = new Trust(loadOrCreateIdentity(folders[1]), new KnownPeers({}), () => {}, 'known-peers.json', noKey);
    // Both answer one page, after a pause, so the two catch-ups store the same messages at the same time.
    const client = {
      historyPage: async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return { messages: HELD, more: false };
      },
    } as unknown as PeerClient;
    const notices: Notice[] = [];
    const parts = { selfId: ALICE.peer_id, client, channels: new Channels(), history, trust, events: new EventLog() };
    const catchUp = new CatchUp({ ...parts, notify: (notice) => notices.push(notice) });
    await Promise.all([catchUp.run(BOB), catchUp.run(JACK)]);
    const added = notices.map((notice) => (notice.kind === 'caught-up' ? notice.added : 0));
    expect(added.reduce((sum, n) => sum + n, 0)).to.equal(14);
    expect(history.recent('general', 100).total).to.equal(14);
    await history.close();
  });
});
