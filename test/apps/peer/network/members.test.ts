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
  const members = new Members({ self: SELF, state: new ChatState(SELF), channels, tracker, notify: () => {}, proofs });
  return { members, asked };
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
