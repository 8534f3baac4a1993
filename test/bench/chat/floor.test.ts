/**
 * The floor of the chat benchmark, run for real and small: two node:http receivers, a process each, take 5
 * messages at 50 a second and a burst of 20, every one printed once, with the CPU they spent.
 * Tests for `bench/chat/floor.ts` and `bench/chat/floor-receiver.ts`.
 */

import { expect } from 'chai';
import { bundleFloor, measureFloor } from '../../../bench/chat/floor';

describe('the floor of the chat benchmark (real processes)', function () {
  this.timeout(60_000);

  it('delivers each message once to each receiver, at a rate and in a burst, and reads their CPU', async () => {
    const script = await bundleFloor();
    const results = await measureFloor(
      3,
      [
        { mode: 'floor', rate: 50, messages: 5 },
        { mode: 'floor', rate: 0, messages: 20 },
      ],
      script,
    );
    expect(results.map((r) => [r.size, r.expected, r.delivered, r.lost, r.duplicates])).to.deep.equal([
      [3, 10, 10, 0, 0],
      [3, 40, 40, 0, 0],
    ]);
    for (const result of results) {
      expect(result.latencies).to.have.length(result.delivered);
      expect(result.receiverCpu).to.be.above(0);
      expect(Number.isNaN(result.senderCpu)).to.equal(true); // the benchmark sent them: no sender of ours
    }
  });
});
