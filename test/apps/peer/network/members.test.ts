/**
 * Who may post in or read a channel: the tracker's members for a public one; for a private one, only peers that
 * proved its key, and this peer shows its own proof only to a peer the tracker lists (a stranger proves first).
 * Tests for `apps/peer/network/members.ts`.
 */

import { expect } from 'chai';
import { Members } from '../../../../apps/peer/network/members';
import { Channels } from '../../../../apps/peer/model/channels';
import { ChatState } from '../../../../apps/peer/model/peers';
import type { ChannelProofs } from '../../../../apps/peer/network/channel-proof';
import type { TrackerClient } from '../../../../apps/peer/network/tracker-client';

const SELF = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, name: 'Bob' };
const ALICE = '127.0.0.1:5001';
const MALLORY = '127.0.0.6:40000';

/** Members of #secret (private) with the tracker listing `listed`; `asked` records whom this peer asked for a proof. */
function setUp(listed: string[]) {
  const channels = new Channels();
  channels.join('secret', 'correct horse battery staple');
  channels.join('team');
  const asked: string[] = [];
  const tracker = { members: async () => listed.map((peer_id) => ({ peer_id })) } as unknown as TrackerClient;
  const proofs = {
    ensure: async (channel: string, peer: { peer_id: string }) => {
      asked.push(peer.peer_id);
      return peer.peer_id === ALICE;
    },
  } as unknown as ChannelProofs;
  const state = new ChatState(SELF);
  const members = new Members({ self: SELF, state, channels, tracker, notify: () => {}, proofs });
  return { members, asked, state };
}

describe('Members.admits()', () => {
  it("asks a member the tracker lists for the private channel's proof, and admits it once proved", async () => {
    const { members, asked } = setUp([ALICE, SELF.peer_id]);
    expect(await members.admits('secret', ALICE)).to.equal(true);
    expect(asked).to.deep.equal([ALICE]);
  });

  it('never shows its proof to a stranger the tracker does not list: the stranger must prove first', async () => {
    const { members, asked } = setUp([ALICE, SELF.peer_id]);
    expect(await members.admits('secret', MALLORY)).to.equal(false);
    expect(asked).to.deep.equal([]); // no POST /channel-proof/ to Mallory, so no proof of ours to guess the key from
  });

  it('takes the tracker at its word for a public channel, and asks no proof', async () => {
    const { members, asked } = setUp([MALLORY]);
    expect(await members.admits('team', MALLORY)).to.equal(true);
    expect(asked).to.deep.equal([]);
  });
});

describe('Members.recipients()', () => {
  it("sends a private channel's message only to members that prove its key now, and owes the others a meeting", async () => {
    const CAROL = '127.0.0.1:5003';
    const { members, state } = setUp([ALICE, CAROL, SELF.peer_id]);
    for (const peer_id of [ALICE, CAROL]) state.connect({ peer_id, ip: '127.0.0.1', port: Number(peer_id.slice(10)), name: peer_id });
    expect((await members.recipients('secret')).map((p) => p.peer_id)).to.deep.equal([ALICE]);
    // Carol did not prove it now (asleep, cut off): no outbox holds it for her; a meeting will catch her up.
    expect([state.needsMeeting(CAROL), state.needsMeeting(ALICE)]).to.deep.equal([true, false]);
  });

  /** Members of #team with the tracker listing `listed` (which a test may change), each `GET /get-list/` counted. */
  function counted(listed: string[], freshMs?: number) {
    const channels = new Channels();
    channels.join('team');
    const asks = { count: 0 };
    const tracker = { members: async () => (asks.count++, listed.map((peer_id) => ({ peer_id }))) } as unknown as TrackerClient;
    const members = new Members({ self: SELF, state: new ChatState(SELF), channels, tracker, notify: () => {}, freshMs });
    return { members, asks };
  }

  it('asks the tracker once for a burst of messages, not once a message', async () => {
    const { members, asks } = counted([ALICE, SELF.peer_id], 60_000);
    await Promise.all(Array.from({ length: 50 }, () => members.recipients('team'))); // typed at once
    for (let i = 0; i < 50; i += 1) expect((await members.recipients('team')).map((p) => p.peer_id)).to.deep.equal([ALICE]); // one after the other
    expect(asks.count).to.equal(1);
  });

  it('sends to a member `admits` found since, without asking again; asks again once the list is old', async () => {
    const listed = [ALICE];
    const { members, asks } = counted(listed, 60_000);
    await members.recipients('team');
    listed.push(MALLORY); // joined meanwhile, and asked this peer for the history
    expect(await members.admits('team', MALLORY)).to.equal(true);
    expect((await members.recipients('team')).map((p) => p.peer_id)).to.deep.equal([ALICE, MALLORY]);
    expect(asks.count).to.equal(2); // the first list, and the one `admits` asked for

    const always = counted([ALICE], 0);
    for (let i = 0; i < 3; i += 1) await always.members.recipients('team');
    expect(always.asks.count).to.equal(3);
  });
});
