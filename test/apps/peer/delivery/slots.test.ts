/**
 * Slots: at most 64 requests out, at most 8 of them doubtful, and a freed slot goes to a peer that answered
 * last time before any doubtful one. No network: each "request" is a promise the test ends.
 * Tests for `apps/peer/delivery/slots.ts` (new: hung peers held every slot).
 */

import { expect } from 'chai';
import { Slots, type SlotKind } from '../../../../apps/peer/delivery/slots';

/** Lets granted slots' callbacks run. */
const settle = () => new Promise((done) => setImmediate(done));

describe('Slots', () => {
  /** Asks for `count` slots of `kind`, recording the order in which they are granted; returns their releases. */
  function ask(slots: Slots, kind: SlotKind, count: number, granted: string[]): Array<Promise<() => void>> {
    return Array.from({ length: count }, (_, i) =>
      slots.acquire(kind).then((release) => {
        granted.push(`${kind} ${i}`);
        return release;
      }),
    );
  }

  it('grants at most `doubtful` doubtful slots, however many wait', async () => {
    const slots = new Slots(64, 8);
    const granted: string[] = [];
    ask(slots, 'doubtful', 300, granted);
    await settle();
    expect([granted.length, slots.out]).to.deep.equal([8, { all: 8, doubtful: 8, slow: 0 }]);
  });

  it('lets requests to peers that answered take the other slots while doubtful ones hang, up to `total`', async () => {
    const slots = new Slots(64, 8);
    const granted: string[] = [];
    ask(slots, 'doubtful', 300, granted);
    ask(slots, 'answered', 100, granted);
    await settle();
    expect(slots.out).to.deep.equal({ all: 64, doubtful: 8, slow: 0 });
    expect(granted.filter((g) => g.startsWith('answered'))).to.have.length(56);
  });

  it('gives a freed slot to a waiting answered request before a waiting doubtful one, each kind first come first served', async () => {
    const slots = new Slots(2, 2);
    const granted: string[] = [];
    const first = ask(slots, 'doubtful', 4, granted);
    const answered = ask(slots, 'answered', 2, granted);
    await settle();
    expect(granted).to.deep.equal(['doubtful 0', 'doubtful 1']);
    (await first[0])();
    await settle();
    expect(granted.slice(2)).to.deep.equal(['answered 0']);
    (await first[1])();
    (await answered[0])();
    await settle();
    expect(granted.slice(3)).to.deep.equal(['answered 1', 'doubtful 2']);
  });

  it('run() gives the slot back when the task fails, and a release called twice counts once', async () => {
    const slots = new Slots(1, 1);
    await slots.run('doubtful', () => Promise.reject(new Error('no answer'))).catch(() => {});
    expect(slots.out).to.deep.equal({ all: 0, doubtful: 0, slow: 0 });
    const release = await slots.acquire('answered');
    release();
    release();
    expect(slots.out).to.deep.equal({ all: 0, doubtful: 0, slow: 0 });
    await slots.run('answered', async () => expect(slots.out.all).to.equal(1));
  });
  it("grants at most `slowest` slow slots, and a contact's answered request before other answered ones", async () => {
    const slots = new Slots(2, 2, 1);
    const granted: string[] = [];
    const held = ask(slots, 'slow', 3, granted);
    await settle();
    expect(granted).to.deep.equal(['slow 0']);
    const others = ask(slots, 'answered', 2, granted);
    await settle();
    const contact = slots.take('answered', true).then((slot) => (granted.push('contact'), slot));
    (await others[0])();
    await settle();
    expect(granted).to.deep.equal(['slow 0', 'answered 0', 'contact']);
    (await contact).release();
    (await held[0])();
    await settle();
    expect(granted.slice(3)).to.deep.equal(['answered 1', 'slow 1']);
  });

  it('a request marked slow while out stops counting against `total`: the next fast one goes at once', async () => {
    const slots = new Slots(1, 1);
    const first = await slots.take('answered');
    let second = false;
    void slots.take('answered').then(() => (second = true));
    await settle();
    expect(second).to.equal(false);
    first.slow();
    await settle();
    expect([second, slots.out]).to.deep.equal([true, { all: 2, doubtful: 0, slow: 1 }]);
    first.release();
    first.release();
    expect(slots.out.slow).to.equal(0);
  });
});
