/**
 * Delivery: a message goes at once when nothing waits for that peer, else into its outbox on disk, sent
 * again in order until delivered, also by a new Delivery on the same folder (a restarted sender); hung peers
 * hold 8 requests and delay nobody who answers; outboxes close when empty, and a known peer's takes the place
 * of an unknown one's when all are taken. A fake `send` plays the network.
 * Tests for `apps/peer/delivery/delivery.ts` (with `slots.ts` and `outboxes.ts` at work).
 */

import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Delivery, type DeliveryOptions } from '../../../../apps/peer/delivery/delivery';
import { batchLength, type Courier, Refused } from '../../../../apps/peer/delivery/courier';
import { addressOf, type Address } from '../../../../apps/peer/model/peers';
import { noticeLines } from '../../../../apps/peer/console/notices';
import type { ChatMessage } from '../../../../apps/peer/model/message';
import { Outbox, outboxFileName } from '../../../../apps/peer/delivery/outbox';

const BOB: Address = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002 };

function message(n: number): ChatMessage {
  return { id: `127.0.0.1:5001/t-${n}`, channel: 'general', from: '127.0.0.1:5001', name: 'Alice', msg: `m${n}`, timestamp: n, clock: n };
}

/** Resolves once `check()` is true, looking every few ms; rejects after `timeoutMs` instead of hanging. */
async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

describe('Delivery', () => {
  let dir: string;
  let said: string[];
  let received: string[];
  let up: boolean;
  const open: Delivery[] = [];

  /** A Delivery whose peer answers 2xx while `up`, and refuses the connection otherwise. */
  async function start(
    send?: Courier['send'],
    limits: Partial<DeliveryOptions> & { sendBatch?: Courier['sendBatch'] } = {},
  ): Promise<Delivery> {
    const { sendBatch, ...options } = limits;
    const courier: Courier = {
      send:
        send ??
        (async (_, m) => {
          if (!up) throw new Error('Connection refused by 127.0.0.1:5002');
          received.push(m.msg);
        }),
      sendBatch,
    };
    const delivery = new Delivery(dir, { ...options, courier, notify: (notice) => said.push(...noticeLines(notice, () => 'Bob')) });
    open.push(delivery);
    await delivery.start();
    return delivery;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weaprous-delivery-'));
    said = [];
    received = [];
    up = true;
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((delivery) => delivery.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends at once when nothing waits for the peer', async () => {
    const delivery = await start();
    expect(await delivery.deliver(BOB, message(1))).to.deep.equal({ kind: 'sent' });
    expect([received, delivery.waiting(BOB.peer_id)]).to.deep.equal([['m1'], 0]);
  });

  it('sends what is handed over while a request to that peer is out together, in order, in the next request', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const held = new Promise<void>((done) => (release = done));
    let out!: () => void;
    const isOut = new Promise<void>((done) => (out = done));
    const send: Courier['send'] = async (_, m) => {
      received.push(m.msg);
      out();
      await held; // the first request is out while 150 more are handed over
    };
    const delivery = await start(send, {
      sendBatch: async (_, messages) => {
        batches.push(messages.map((m) => m.msg));
        return messages.map(() => null);
      },
    });
    const outcomes = [delivery.deliver(BOB, message(0))];
    await isOut;
    for (let n = 1; n <= 150; n++) outcomes.push(delivery.deliver(BOB, message(n)));
    release();
    expect((await Promise.all(outcomes)).every((outcome) => outcome.kind === 'sent')).to.equal(true);
    // One alone (as the document sends one: `send`), then at most MAX_BATCH_MESSAGES (100) a request, nothing lost or reordered.
    expect(received).to.deep.equal(['m0']);
    expect(batches.map((batch) => batch.length)).to.deep.equal([100, 50]);
    expect([...received, ...batches.flat()]).to.deep.equal(Array.from({ length: 151 }, (_, n) => `m${n}`));
  });

  it('sends what is handed over at once (a paste) in one request, not the first one alone', async () => {
    const batches: string[][] = [];
    const send: Courier['send'] = async (_, m) => void received.push(m.msg);
    const delivery = await start(send, {
      sendBatch: async (_, messages) => {
        batches.push(messages.map((m) => m.msg));
        return messages.map(() => null);
      },
    });
    const outcomes = Array.from({ length: 151 }, (_, n) => delivery.deliver(BOB, message(n)));
    expect((await Promise.all(outcomes)).every((outcome) => outcome.kind === 'sent')).to.equal(true);
    expect(received).to.deep.equal([]);
    expect(batches.map((batch) => batch.length)).to.deep.equal([100, 51]);
    expect(batches.flat()).to.deep.equal(Array.from({ length: 151 }, (_, n) => `m${n}`));
  });

  it('gives each message of a batch its own outcome: refused ones fail, and a batch that fails goes to the outbox in order', async () => {
    let refuseOdd = true;
    // One message alone goes by `send`, several by `sendBatch`: both refuse odd clocks, then both fail.
    const send: Courier['send'] = async (_, m) => {
      if (!refuseOdd) throw new Error('Connection refused by 127.0.0.1:5002');
      if (m.clock % 2 === 1) throw new Refused('not a member of #team');
    };
    const delivery = await start(send, {
      sendBatch: async (_, messages) => {
        if (!refuseOdd) throw new Error('Connection refused by 127.0.0.1:5002');
        return messages.map((m) => (m.clock % 2 === 1 ? 'not a member of #team' : null));
      },
    });
    const first = await Promise.all([1, 2, 3].map((n) => delivery.deliver(BOB, message(n))));
    expect(first.map((outcome) => outcome.kind)).to.deep.equal(['failed', 'sent', 'failed']);
    refuseOdd = false;
    const second = await Promise.all([4, 5].map((n) => delivery.deliver(BOB, message(n))));
    expect(second.map((outcome) => outcome.kind)).to.deep.equal(['queued', 'queued']);
    expect(delivery.waiting(BOB.peer_id)).to.equal(2);
  });

  it('batchLength() cuts a batch at 100 messages or 256 KiB, and always takes one', () => {
    const long = (n: number) => ({ ...message(n), msg: 'x'.repeat(10_000) });
    expect(batchLength(Array.from({ length: 150 }, (_, n) => message(n)))).to.equal(100);
    expect(batchLength(Array.from({ length: 50 }, (_, n) => long(n)))).to.equal(25); // 25 of about 10.1 KB fit in 256 KiB
    expect(batchLength([{ ...message(1), msg: '\u0001'.repeat(10_000) }])).to.equal(1);
  });

  it('queues what cannot be sent, queues later messages behind it, and delivers them in order when the peer is back', async () => {
    up = false;
    const delivery = await start();
    expect(await delivery.deliver(BOB, message(1))).to.deep.include({
      kind: 'queued',
      reason: 'Connection refused by 127.0.0.1:5002',
      waiting: 1,
    });
    up = true; // back, but m1 waits: m2 must not overtake it
    expect(await delivery.deliver(BOB, message(2))).to.deep.include({
      kind: 'queued',
      reason: '1 earlier message still waiting',
      waiting: 2,
    });
    expect(delivery.pending()).to.deep.equal([{ peerId: BOB.peer_id, waiting: 2, oldest: 1, nextTry: 0 }]);
    delivery.retryNow(BOB.peer_id);
    await until(() => delivery.waiting(BOB.peer_id) === 0 && said.length > 0);
    expect(received).to.deep.equal(['m1', 'm2']);
    expect(said).to.deep.equal(['[P2P] Delivered 2 waiting messages to Bob (127.0.0.1:5002)']);
  });

  it('ticks only while a message waits: an idle Delivery never looks at its outboxes', async () => {
    let looks = 0;
    const now = (): number => {
      looks += 1;
      return Date.now();
    };
    up = false;
    const delivery = await start(undefined, { now });
    await new Promise((done) => setTimeout(done, 600)); // two ticks' time
    expect(looks).to.equal(1, 'only the look at start');
    await delivery.deliver(BOB, message(1));
    const queued = looks;
    await new Promise((done) => setTimeout(done, 600));
    expect(looks).to.be.above(queued, 'a waiting message is ticked for');
    up = true;
    delivery.retryNow(BOB.peer_id);
    await until(() => delivery.waiting(BOB.peer_id) === 0);
    await new Promise((done) => setTimeout(done, 300));
    const emptied = looks;
    await new Promise((done) => setTimeout(done, 600));
    expect(looks).to.equal(emptied, 'nothing waits: no tick');
  });

  it('says a message could not be kept when its outbox cannot be opened (a made-up host name too long for a file name)', async () => {
    const delivery = await start(async () => {
      throw new Error('connection refused');
    });
    const host = `${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(58)}`; // 250 characters, a legal host name
    const far: Address = { peer_id: `${host}:5000`, ip: host, port: 5000 };
    for (let i = 1; i <= 2; i++) {
      const outcome = await delivery.deliver(far, message(i));
      expect(outcome.kind).to.equal('failed');
      if (outcome.kind === 'failed') expect(outcome.reason).to.match(/^connection refused, and it could not be kept for later \(/);
    }
    expect((await delivery.deliver(BOB, message(3))).kind).to.equal('queued'); // other peers are not affected
  });

  it('keeps outboxes for at most maxOutboxes peers, and at most budgetBytes in all; beyond, it says why it did not keep', async () => {
    up = false;
    const delivery = await start(undefined, { maxOutboxes: 2, budgetBytes: 1_000 });
    const peer = (n: number): Address => ({ peer_id: `10.9.9.${n}:5000`, ip: `10.9.9.${n}`, port: 5000 });
    expect((await delivery.deliver(peer(1), message(1))).kind).to.equal('queued');
    expect((await delivery.deliver(peer(2), message(2))).kind).to.equal('queued');
    const third = await delivery.deliver(peer(3), message(3));
    expect(third.kind).to.equal('failed');
    expect(third.kind === 'failed' && third.reason).to.match(/messages already wait for 2 peers, as many as this peer keeps outboxes for/);
    // Each line is about 200 bytes: the shared 1,000 bytes fill up after a few more, whichever peer they are for.
    const outcomes = [];
    for (let n = 4; n <= 10; n++) outcomes.push(await delivery.deliver(peer(1 + (n % 2)), message(n)));
    const full = outcomes.filter((outcome) => outcome.kind === 'failed');
    expect(full.length).to.be.greaterThan(0);
    expect(full[0].reason).to.match(/its outbox is full \(the outboxes hold all they may on disk\); not kept/);
    const queued = outcomes.filter((outcome) => outcome.kind === 'queued').length;
    expect(delivery.pending().reduce((sum, { waiting }) => sum + waiting, 0)).to.equal(2 + queued);
  });

  it('does not keep a message the peer refused with 4xx', async () => {
    const delivery = await start(async () => {
      throw new Refused('Answer 403: This peer is not in #team');
    });
    expect(await delivery.deliver(BOB, message(1))).to.deep.include({ kind: 'failed', reason: 'Answer 403: This peer is not in #team' });
    expect(delivery.waiting(BOB.peer_id)).to.equal(0);
  });

  it('survives a restart of the sender: a new Delivery on the same folder sends what waited, at once', async () => {
    up = false;
    const first = await start();
    await first.deliver(BOB, message(1));
    await first.deliver(BOB, message(2));
    await first.close();
    up = true;
    const again = await start();
    await until(() => received.length === 2);
    expect(received).to.deep.equal(['m1', 'm2']);
    expect(again.waiting(BOB.peer_id)).to.equal(0);
  });

  it('has at most 64 requests out at once, and at most 8 to peers not heard from yet; the others wait their turn', async () => {
    let out = 0;
    let most = 0;
    const delivery = await start(async () => {
      out += 1;
      most = Math.max(most, out);
      await new Promise((done) => setTimeout(done, 20));
      out -= 1;
    });
    const peers = Array.from({ length: 200 }, (_, i) => ({ peer_id: `127.0.0.1:${6000 + i}`, ip: '127.0.0.1', port: 6000 + i }));
    const first = await Promise.all(peers.map((peer) => delivery.deliver(peer, message(1))));
    expect([first.every((o) => o.kind === 'sent'), most]).to.deep.equal([true, 8]); // never asked: doubtful
    most = 0;
    const second = await Promise.all(peers.map((peer) => delivery.deliver(peer, message(2))));
    expect([second.every((o) => o.kind === 'sent'), most]).to.deep.equal([true, 64]); // all answered last time
  });

  describe('against made-up peers (/connect-peer/ injections)', () => {
    const fake = (i: number): Address => ({ peer_id: `10.66.${i >> 8}.${i & 255}:5000`, ip: `10.66.${i >> 8}.${i & 255}`, port: 5000 });

    it('the hung-peer flood: 300 peers that never answer hold 8 requests, and a peer that answers gets every message at once', async () => {
      let clock = 1_000_000;
      const timeouts: Array<() => void> = []; // each ends one hung request as its 3 s timeout would
      let hungOut = 0;
      let mostHung = 0;
      const delivery = await start(
        async (peer, m) => {
          if (peer.peer_id === BOB.peer_id) return void received.push(m.msg);
          mostHung = Math.max(mostHung, ++hungOut);
          try {
            await new Promise<void>((_, fail) => timeouts.push(() => fail(new Error('No response from the peer within 3000 ms'))));
          } finally {
            hungOut -= 1;
          }
        },
        { now: () => clock, maxOutboxes: 400 },
      );
      expect(await delivery.deliver(BOB, message(0))).to.deep.equal({ kind: 'sent' }); // Bob has answered once
      const fakes = Array.from({ length: 300 }, (_, i) => fake(i));
      // A message every 4 s, to every peer, Bob last; the attacker sends each fake's /connect-peer/ again meanwhile.
      for (let round = 1; round <= 6; round++) {
        for (const peer of fakes) void delivery.deliver(peer, message(round));
        for (const peer of fakes) delivery.retryNow(peer.peer_id);
        expect(await delivery.deliver(BOB, message(round))).to.deep.equal({ kind: 'sent' }); // while every hung request is out
        if (round % 2 === 0) timeouts.splice(0).forEach((timeout) => timeout()); // they go to their outboxes; the next ones hang
        clock += 4_000;
      }
      expect(received).to.deep.equal(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
      expect([mostHung, hungOut]).to.deep.equal([8, 8]);
      await until(() => delivery.pending().length > 0); // what the fakes did not take waits for them
    });

    it("heeds a peer's retryNow once in 5 s, and a retry that fails counts: the next wait is the schedule's next step", async () => {
      let clock = 1_000_000;
      let tries = 0;
      const delivery = await start(
        async () => {
          tries += 1;
          throw new Error('Connection refused by 127.0.0.1:5002');
        },
        { now: () => clock },
      );
      await delivery.deliver(BOB, message(1)); // tried, kept; the outbox tries once more at once, then waits 1 s
      await until(() => tries === 2);
      clock += 2_000;
      await until(() => tries === 3); // 1 s passed: the retry; now it waits about 5 s
      for (let i = 0; i < 100; i++) delivery.retryNow(BOB.peer_id);
      await until(() => tries === 4); // one of the hundred heeded
      await new Promise((done) => setImmediate(done)); // and its failure counted
      clock += 1_000; // not 5 s since: the next hundred are not
      for (let i = 0; i < 100; i++) delivery.retryNow(BOB.peer_id);
      // Nothing to await for a retry that must not happen: let the 250 ms retry tick run a few times, and count.
      await new Promise((done) => setTimeout(done, 600));
      expect(tries).to.equal(4);
      clock += 20_000; // past the 15 s (±20%) that a 3rd failure waits: the retryNow did not start the schedule again
      await until(() => tries === 5);
    });

    it('closes an outbox once it is empty and deletes its file, so peers that came back leave room for others', async () => {
      up = false;
      const delivery = await start(undefined, { maxOutboxes: 2 });
      for (const i of [1, 2]) expect((await delivery.deliver(fake(i), message(i))).kind).to.equal('queued');
      expect((await delivery.deliver(fake(3), message(3))).kind).to.equal('failed'); // 2 outboxes open: no room
      up = true;
      for (const i of [1, 2]) delivery.retryNow(fake(i).peer_id);
      await until(() => said.length === 2 && readdirSync(join(dir, 'outbox')).length === 0);
      expect(received).to.have.members(['m1', 'm2']);
      up = false;
      expect((await delivery.deliver(fake(3), message(3))).kind).to.equal('queued');
      expect(existsSync(join(dir, 'outbox', `${outboxFileName(fake(3).peer_id)}.jsonl`))).to.equal(true);
    });

    it('the outbox flood: 256 made-up peers, kept across a restart, do not keep out a peer whose key is known; the one dropped is told', async () => {
      let tries = 0;
      const isKnown = (id: string) => id === BOB.peer_id;
      const failing = async () => {
        tries += 1;
        throw new Error('Connection refused');
      };
      const first = await start(failing, { isKnown, now: () => 1_000_000 });
      for (let i = 0; i < 256; i++) {
        await first.deliver(fake(i), message(i));
        if (i !== 17) await first.deliver(fake(i), message(1000 + i)); // fake 17 alone has one message waiting
      }
      expect(first.pending()).to.have.length(256);
      await first.close();

      const before = tries;
      const second = await start(failing, { isKnown, now: () => 2_000_000 });
      expect(second.pending()).to.have.length(256); // reopened after the restart, all due at once
      await until(() => tries === before + 256); // each tried once, failed, and waits: none in flight now
      const outcome = await second.deliver(BOB, message(999));
      expect(outcome).to.deep.include({ kind: 'queued', waiting: 1 });
      expect(said).to.include(
        `[P2P] Dropped 1 message waiting for Bob (${fake(17).peer_id}), whose key is not known, to keep messages for ` +
          `Bob (${BOB.peer_id}) (at most 256 peers have an outbox). It is still in this peer's history.`,
      );
      expect(second.pending()).to.have.length(256);
      expect(second.waiting(fake(17).peer_id)).to.equal(0);
      expect(await Outbox.pending(dir)).to.not.include(fake(17).peer_id); // its file is gone: not reopened next time
      // A made-up peer does not make room: its message is refused, with the reason.
      const stranger = await second.deliver(fake(300), message(300));
      expect(stranger.kind === 'failed' && stranger.reason).to.match(/messages already wait for 256 peers/);
    });

    it('after a restart with more outboxes on disk than it keeps open, opens the known peers first and the rest as room comes', async () => {
      up = false;
      const first = await start(undefined, { maxOutboxes: 3 });
      for (const i of [1, 2]) await first.deliver(fake(i), message(i));
      await first.deliver(BOB, message(3));
      await first.close();
      const second = await start(undefined, { maxOutboxes: 2, isKnown: (id) => id === BOB.peer_id });
      expect(second.waiting(BOB.peer_id)).to.equal(1);
      expect(second.pending()).to.have.length(2);
      expect(said).to.include(
        '[P2P] Messages wait on disk for 1 more peers than the 2 this peer keeps outboxes open for; they are sent as outboxes empty',
      );
      up = true;
      for (const peer of [BOB, fake(1), fake(2)]) second.retryNow(peer.peer_id);
      await until(() => received.length === 3);
      expect(received).to.have.members(['m1', 'm2', 'm3']);
    });
  });

  it('addressOf() reads the address back from a peer id', () => {
    expect(addressOf('127.0.0.1:5002')).to.deep.equal(BOB);
    expect(addressOf('::1:5002')).to.deep.equal({ peer_id: '::1:5002', ip: '::1', port: 5002 });
    expect(addressOf('nonsense')).to.equal(undefined);
  });
  describe('listed peers being connected to, and slow peers', () => {
    it('holds what is handed to a peer being connected to until it answers, then sends it', async () => {
      const delivery = await start();
      delivery.expect(BOB);
      expect(delivery.expecting().map((peer) => peer.peer_id)).to.deep.equal([BOB.peer_id]);
      const outcome = delivery.deliver(BOB, message(1));
      await new Promise((done) => setTimeout(done, 20));
      expect(received).to.deep.equal([]);
      delivery.reached(BOB.peer_id);
      expect(await outcome).to.deep.equal({ kind: 'sent' });
      expect([received, delivery.expecting()]).to.deep.equal([['m1'], []]);
    });

    it('keeps it in the outbox when the peer does not answer, without asking again', async () => {
      let asked = 0;
      const delivery = await start(async () => void (asked += 1));
      delivery.expect(BOB);
      const outcome = delivery.deliver(BOB, message(1));
      delivery.missed(BOB.peer_id, 'no answer');
      expect(await outcome).to.deep.include({ kind: 'queued', reason: 'no answer', waiting: 1 });
      expect(asked).to.equal(0);
    });

    it('a peer that answers slowly delays no request to one that answers fast', async () => {
      const slow = Array.from({ length: 40 }, (_, i) => addressOf(`127.0.0.2:${1000 + i}`)!);
      const delivery = await start(
        async (peer) => {
          if (peer.peer_id !== BOB.peer_id) await new Promise((done) => setTimeout(done, 300));
          received.push(peer.peer_id);
        },
        { maxConnections: 16, slowMs: 50 }, // 8 of them at most for slow peers
      );
      for (const peer of [...slow, BOB]) delivery.reached(peer.peer_id);
      await Promise.all(slow.map((peer) => delivery.deliver(peer, message(1)))); // they turn out slow
      const started = Date.now();
      void Promise.all(slow.map((peer) => delivery.deliver(peer, message(2))));
      await delivery.deliver(BOB, message(2));
      expect(Date.now() - started).to.be.below(250); // not behind 40 requests of 300 ms, 8 at a time
    });

    it("a contact's request goes before those of peers not measured yet", async () => {
      const others = Array.from({ length: 40 }, (_, i) => addressOf(`127.0.0.2:${1000 + i}`)!);
      const delivery = await start(
        async (peer) => {
          if (peer.peer_id !== BOB.peer_id) await new Promise((done) => setTimeout(done, 300));
        },
        { maxConnections: 4, isContact: (id) => id === BOB.peer_id },
      );
      for (const peer of [...others, BOB]) delivery.reached(peer.peer_id);
      const started = Date.now();
      void Promise.all(others.map((peer) => delivery.deliver(peer, message(1))));
      await delivery.deliver(BOB, message(1));
      expect(Date.now() - started).to.be.below(600); // after the 4 out at most, not after 40
    });
  });
});

describe('Delivery.reached()', () => {
  it("lets a peer this one just reached take an 'answered' slot at once, even with every doubtful slot held", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weaprous-delivery-reached-'));
    const sent: string[] = [];
    let releaseHung!: () => void;
    const hungUntil = new Promise<void>((done) => (releaseHung = done));
    const delivery = new Delivery(dir, {
      maxDoubtful: 1,
      courier: {
        send: async (peer, m) => {
          if (peer.peer_id === '10.9.9.9:5000') await hungUntil; // a peer that never answers, holding the one doubtful slot
          sent.push(`${peer.peer_id} ${m.msg}`);
        },
      },
      notify: () => {},
    });
    try {
      await delivery.start();
      const hung = delivery.deliver({ peer_id: '10.9.9.9:5000', ip: '10.9.9.9', port: 5000 }, message(1));
      delivery.reached(BOB.peer_id);
      expect(await delivery.deliver(BOB, message(2))).to.deep.equal({ kind: 'sent' });
      expect(sent).to.deep.equal([`${BOB.peer_id} m2`]);
      releaseHung();
      await hung;
    } finally {
      await delivery.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
