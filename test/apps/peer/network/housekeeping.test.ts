/**
 * Giving up on a peer nobody can reach: only a key-less peer, unlisted by the tracker, whose oldest waiting
 * message is over 10 minutes old; never when the tracker cannot answer. Tests for
 * `apps/peer/network/housekeeping.ts` and its console line.
 */

import { expect } from 'chai';
import { GIVE_UP_AFTER_MS, giveUpOnTheGone } from '../../../../apps/peer/network/housekeeping';
import type { Notice } from '../../../../apps/peer/model/notices';
import { noticeLines } from '../../../../apps/peer/console/notices';

const NOW = 1_800_000_000_000;
const old = (NOW - GIVE_UP_AFTER_MS - 1_000) / 1000;
const young = (NOW - 60_000) / 1000;

function parts(listed: string[] | 'down', keyed: string[] = []) {
  const waiting = new Map([
    ['127.0.0.1:9001', { oldest: old, waiting: 9 }], // the walkthrough's TestPeer, long gone
    ['127.0.0.1:9002', { oldest: young, waiting: 1 }], // gone a minute ago: not yet
    ['127.0.0.1:5002', { oldest: old, waiting: 2 }], // Bob, keyed: may come back
    ['127.0.0.1:9003', { oldest: old, waiting: 4 }], // key-less but still listed
  ]);
  const dropped: string[] = [];
  const notices: Notice[] = [];
  return {
    dropped,
    notices,
    run: () =>
      giveUpOnTheGone({
        delivery: {
          pending: () => [...waiting].map(([peerId, w]) => ({ peerId, ...w, nextTry: 0 })),
          drop: async (peerId) => (dropped.push(peerId), waiting.get(peerId)!.waiting),
        },
        trust: { knows: (id) => keyed.includes(id) },
        tracker: {
          list: async () => {
            if (listed === 'down') throw new Error('Connection refused');
            return listed.map((peer_id) => ({ peer_id, ip: '127.0.0.1', port: Number(peer_id.split(':')[1]) }));
          },
        },
        notify: (notice) => notices.push(notice),
        now: () => NOW,
      }),
  };
}

describe('giveUpOnTheGone()', () => {
  it('drops only a key-less, unlisted peer whose oldest message waited over 10 minutes, and says so', async () => {
    const run = parts(['127.0.0.1:9003'], ['127.0.0.1:5002']);
    await run.run();
    expect(run.dropped).to.deep.equal(['127.0.0.1:9001']);
    expect(noticeLines(run.notices[0])).to.deep.equal([
      '[P2P] Gave up on 127.0.0.1:9001: it has no key, took nothing for 10 minutes and the tracker no longer lists it. ' +
        "Dropped 9 messages waiting for it (they stay in this peer's history).",
    ]);
  });

  it('decides nothing while the tracker cannot say who is gone', async () => {
    const run = parts('down', ['127.0.0.1:5002']);
    await run.run();
    expect(run.dropped).to.deep.equal([]);
  });
});
