/**
 * What goes out of a peer, attacked for real (docs/security/peer-out.md): fakes on 127.0.0.2 against a real
 * tracker, Bob and Alice. The honest user is unharmed: Alice's console opens and her message reaches Bob past
 * listed addresses that never answer, and past peers that answer slowly; her direct message to Bob survives
 * outboxes full of made-up peers while he is down. End-to-end tests of `scripts/attacks/peer-out.ts`.
 */

import { expect } from 'chai';
import { measure } from '../../scripts/attacks/peer-out';

describe('attacks on what goes out of a peer (end to end)', function () {
  this.timeout(120_000);

  it('300 listed addresses that never answer: the console opens at once and a message typed meanwhile arrives', async () => {
    const result = await measure('blackhole', 300, 30_000); // before: the console opened after 15 s
    expect(result.promptMs).to.be.below(10_000);
    expect(result.deliveredMs).to.not.equal(null);
    expect(result.deliveredMs!).to.be.below(10_000);
  });

  it('200 fakes that answer slowly after their first request: Alice -> Bob within 2 s', async () => {
    const result = await measure('slow', 200, 30_000); // before: 9 s
    expect(result.deliveredMs).to.not.equal(null);
    expect(result.deliveredMs!).to.be.below(2_000);
  });

  it('256 made-up known peers answering 503: a direct message to Bob, down a moment, is kept and arrives', async () => {
    const result = await measure('busy', 256, 30_000); // before: "could not be kept for later", never arrived
    expect(result.said).to.match(/queued for/);
    expect(result.deliveredMs).to.not.equal(null);
  });
});
