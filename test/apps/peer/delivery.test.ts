/**
 * Delivery: a message goes at once when nothing waits for that peer, else into its outbox on disk, sent
 * again in order until delivered, also by a new Delivery on the same folder (a restarted sender). A fake
 * `send` plays the network.
 * Tests for `apps/peer/delivery.ts`.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressOf, batchLength, Delivery, type DeliveryOptions, Refused, type Address } from '../../../apps/peer/delivery';
import type { ChatMessage } from '../../../apps/peer/message';

const BOB: Address = { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002 };

function message(n: number): ChatMessage {
  return { id: `127.0.0.1:5001/t-${n}`, channel: 'general', from: '127.0.0.1:5001', name: 'Alice', msg: `m${n}`, timestamp: n, clock: n };
}

/** Resolves once `check()` is true, looking every few ms. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((done) => setTimeout(done, 5));
}

describe('Delivery', () => {
  let dir: string;
  let said: string[];
  let received: string[];
  let up: boolean;
  const open: Delivery[] = [];

  /** A Delivery whose peer answers 2xx while `up`, and refuses the connection otherwise. */
  async function start(send?: (peer: Address, m: ChatMessage) => Promise<void>, limits: Partial<DeliveryOptions> = {}): Promise<Delivery> {
    const delivery = new Delivery(dir, {
      ...limits,
      send:
        send ??
        (async (_, m) => {
          if (!up) throw new Error('Connection refused by 127.0.0.1:5002');
          received.push(m.msg);
        }),
      say: (line) => said.push(line),
      describe: (id) => `Bob (${id})`,
    });
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
    const delivery = await start(undefined, {
      sendBatch: async (_, messages) => {
        batches.push(messages.map((m) => m.msg));
        if (batches.length === 1) await held; // the first request is out while 150 more are handed over
        return messages.map(() => null);
      },
    });
    const outcomes = [delivery.deliver(BOB, message(0))];
    for (let n = 1; n <= 150; n++) outcomes.push(delivery.deliver(BOB, message(n)));
    release();
    expect((await Promise.all(outcomes)).every((outcome) => outcome.kind === 'sent')).to.equal(true);
    // One alone, then at most MAX_BATCH_MESSAGES (100) a request, nothing lost or reordered.
    expect(batches.map((batch) => batch.length)).to.deep.equal([1, 100, 50]);
    expect(batches.flat()).to.deep.equal(Array.from({ length: 151 }, (_, n) => `m${n}`));
  });

  it('gives each message of a batch its own outcome: refused ones fail, and a batch that fails goes to the outbox in order', async () => {
    let refuseOdd = true;
    const delivery = await start(undefined, {
      sendBatch: async (_, messages) => {
        if (!refuseOdd) throw new Error('Connection refused by 127.0.0.1:5002');
        return messages.map((m) => (m.clock % 2 === 1 ? 'not a member of #team' : null));
      },
    });
    const first = await Promise.all([1, 2].map((n) => delivery.deliver(BOB, message(n))));
    expect(first.map((outcome) => outcome.kind)).to.deep.equal(['failed', 'sent']);
    refuseOdd = false;
    const second = await Promise.all([3, 4].map((n) => delivery.deliver(BOB, message(n))));
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
    expect(delivery.pending()).to.deep.equal([{ peerId: BOB.peer_id, waiting: 2 }]);
    delivery.retryNow(BOB.peer_id);
    await until(() => delivery.waiting(BOB.peer_id) === 0 && said.length > 0);
    expect(received).to.deep.equal(['m1', 'm2']);
    expect(said).to.deep.equal(['[P2P] Delivered 2 waiting messages to Bob (127.0.0.1:5002)']);
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

  it('has at most 64 requests out at once; the others wait their turn', async () => {
    let out = 0;
    let most = 0;
    const delivery = await start(async () => {
      out += 1;
      most = Math.max(most, out);
      await new Promise((done) => setTimeout(done, 20));
      out -= 1;
    });
    const peers = Array.from({ length: 200 }, (_, i) => ({ peer_id: `127.0.0.1:${6000 + i}`, ip: '127.0.0.1', port: 6000 + i }));
    const outcomes = await Promise.all(peers.map((peer) => delivery.deliver(peer, message(1))));
    expect(outcomes.every((o) => o.kind === 'sent')).to.equal(true);
    expect(most).to.equal(64);
  });

  it('addressOf() reads the address back from a peer id', () => {
    expect(addressOf('127.0.0.1:5002')).to.deep.equal(BOB);
    expect(addressOf('::1:5002')).to.deep.equal({ peer_id: '::1:5002', ip: '::1', port: 5002 });
    expect(addressOf('nonsense')).to.equal(undefined);
  });
});
