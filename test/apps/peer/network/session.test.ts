/**
 * TrackerSession: registration, retry, heartbeat and re-registration, driven by a fake tracker and a fake
 * scheduler, so a whole outage plays out in milliseconds.
 * Tests for `apps/peer/network/session.ts` (`heartbeat_loop()` of WeApRous `apps/peer.py`, plus its Test 10 fix).
 */

import { noticeLines } from '../../../../apps/peer/console/notices';
import { expect } from 'chai';
import { TrackerSession } from '../../../../apps/peer/network/session';
import type { ChannelAnswer } from '../../../../apps/peer/network/tracker-client';

type Answer<T> = T | Error;

/** A tracker whose answers the test lists in advance, recording every call. */
class FakeTracker {
  calls: string[] = [];
  constructor(
    private registers: Answer<string>[],
    private heartbeats: Answer<'alive' | 'unknown' | ChannelAnswer>[] = [],
  ) {}
  async register(): Promise<string> {
    this.calls.push('register');
    return take(this.registers);
  }
  async heartbeat(): Promise<'alive' | 'unknown' | ChannelAnswer> {
    this.calls.push('heartbeat');
    return take(this.heartbeats);
  }
}

function take<T>(answers: Answer<T>[]): T {
  const answer = answers.shift();
  if (answer === undefined) throw new Error('the test gave no more answers');
  if (answer instanceof Error) throw answer;
  return answer;
}

/** Holds the one pending step; `step()` runs it and resolves when the session has scheduled the next. */
class FakeScheduler {
  delays: number[] = [];
  private pending: (() => void) | null = null;
  private scheduled: (() => void) | null = null;
  readonly schedule = (fn: () => void, ms: number) => {
    this.delays.push(ms);
    this.pending = fn;
    this.scheduled?.();
    return () => {
      this.pending = null;
    };
  };
  step(): Promise<void> {
    const fn = this.pending;
    if (!fn) throw new Error('nothing scheduled');
    this.pending = null;
    const next = new Promise<void>((done) => {
      this.scheduled = done;
    });
    fn();
    return next;
  }
  get idle(): boolean {
    return this.pending === null;
  }
}

const refused = () => new Error('Connection refused by 127.0.0.1:8000');

function setUp(tracker: FakeTracker) {
  const said: string[] = [];
  const registered: string[] = [];
  const clock = new FakeScheduler();
  const session = new TrackerSession(tracker, {
    heartbeatMs: 30_000,
    retryMs: 2_000,
    schedule: clock.schedule,
    notify: (notice) => said.push(...noticeLines(notice)),
    onRegistered: (kind) => {
      registered.push(kind);
    },
  });
  return { session, said, registered, clock };
}

describe('TrackerSession', () => {
  it("hands what the tracker said of the heartbeat's channels to onChannels, and stays registered", async () => {
    const refusal = { channel: 'secret', status: 409, error: '#secret is a public channel' };
    const tracker = new FakeTracker(['ok'], [{ channels: ['team'], refused: [refusal] }]);
    const heard: ChannelAnswer[] = [];
    const clock = new FakeScheduler();
    const session = new TrackerSession(tracker, {
      heartbeatMs: 30_000,
      retryMs: 2_000,
      schedule: clock.schedule,
      notify: () => {},
      onRegistered: () => {},
      onChannels: (answer) => heard.push(answer),
    });
    await session.start();
    await clock.step();
    expect(heard).to.deep.equal([{ channels: ['team'], refused: [refusal] }]);
    expect(session.registered).to.equal(true);
    expect(tracker.calls).to.deep.equal(['register', 'heartbeat']);
  });

  it('registers at start, then sends a heartbeat every heartbeatMs', async () => {
    const tracker = new FakeTracker(['ok'], ['alive', 'alive']);
    const { session, said, clock } = setUp(tracker);
    expect(await session.start()).to.equal(true);
    expect(said).to.deep.equal(['[Tracker] Registration successful: OK']);
    await clock.step();
    await clock.step();
    expect(tracker.calls).to.deep.equal(['register', 'heartbeat', 'heartbeat']);
    expect(clock.delays).to.deep.equal([30_000, 30_000, 30_000]);
    expect(said).to.have.length(1);
  });

  it('retries every retryMs while the tracker is down, saying so once, then registers late', async () => {
    const tracker = new FakeTracker([refused(), refused(), refused(), 'ok'], ['alive']);
    const { session, said, registered, clock } = setUp(tracker);
    expect(await session.start()).to.equal(false);
    await clock.step();
    await clock.step();
    await clock.step();
    expect(said).to.deep.equal([
      '[Tracker] Registration failed: Connection refused by 127.0.0.1:8000 - retrying every 2s (the console works meanwhile)',
      '[Tracker] Registration successful: OK',
    ]);
    expect(registered).to.deep.equal(['late']);
    expect(clock.delays).to.deep.equal([2_000, 2_000, 2_000, 30_000]);
    await clock.step();
    expect(tracker.calls.at(-1)).to.equal('heartbeat');
  });

  it('registers again at once when a heartbeat gets 404 (the tracker restarted)', async () => {
    const tracker = new FakeTracker(['ok', 'ok'], ['unknown', 'alive']);
    const { session, said, registered, clock } = setUp(tracker);
    await session.start();
    await clock.step();
    expect(tracker.calls).to.deep.equal(['register', 'heartbeat', 'register']);
    expect(said.slice(1)).to.deep.equal([
      '[Tracker] The tracker does not know this peer any more (it restarted or the TTL ran out)',
      '[Tracker] Re-registered with the tracker',
    ]);
    expect(registered).to.deep.equal(['again']);
    expect(session.registered).to.equal(true);
  });

  it('claims its channels at once with every registration, not a heartbeat later (a restarted tracker has none of them)', async () => {
    const tracker = new FakeTracker(['ok', 'ok'], ['unknown']);
    const claimed: ChannelAnswer = { channels: ['team'], refused: [] };
    const claim = async () => (tracker.calls.push('claim'), claimed);
    const heard: ChannelAnswer[] = [];
    const clock = new FakeScheduler();
    const options = { heartbeatMs: 30_000, retryMs: 2_000, schedule: clock.schedule, notify: () => {}, onRegistered: () => {} };
    const session = new TrackerSession(Object.assign(tracker, { claim }), { ...options, onChannels: (a) => heard.push(a) });
    await session.start();
    await clock.step();
    expect(tracker.calls).to.deep.equal(['register', 'claim', 'heartbeat', 'register', 'claim']);
    expect(heard).to.deep.equal([claimed, claimed]);
  });

  it('after a failed heartbeat, registers again once the tracker answers', async () => {
    const tracker = new FakeTracker(['ok', refused(), 'ok'], [refused(), refused()]);
    const { session, said, registered, clock } = setUp(tracker);
    await session.start();
    await clock.step(); // heartbeat fails, and once more at once: the tracker is down
    expect(said.at(-1)).to.match(/^\[Tracker\] Heartbeat failed: Connection refused by 127.0.0.1:8000 - the chat goes on peer-to-peer/);
    await clock.step(); // still down: nothing more is said
    expect(said).to.have.length(2);
    await clock.step(); // back
    expect(said.at(-1)).to.equal('[Tracker] Re-registered with the tracker');
    expect(registered).to.deep.equal(['again']);
    expect(tracker.calls).to.deep.equal(['register', 'heartbeat', 'heartbeat', 'register', 'register']);
    expect(clock.delays).to.deep.equal([30_000, 30_000, 30_000, 30_000]);
  });

  it('a heartbeat that fails once and then gets through (another tracker behind a proxy) is not a lost tracker', async () => {
    const tracker = new FakeTracker(['ok'], [refused(), 'alive']);
    const { session, said, registered, clock } = setUp(tracker);
    await session.start();
    const before = said.length;
    await clock.step();
    expect(said.slice(before)).to.deep.equal([]);
    expect(registered).to.deep.equal([]);
    expect(tracker.calls).to.deep.equal(['register', 'heartbeat', 'heartbeat']);
  });

  it('rejoin() registers again at once, for a /discover that finds the tracker without this peer', async () => {
    const tracker = new FakeTracker(['ok', 'ok'], ['alive']);
    const { session, said, registered, clock } = setUp(tracker);
    await session.start();
    expect(await session.rejoin()).to.equal(true);
    expect(tracker.calls).to.deep.equal(['register', 'register']);
    expect(said.slice(1)).to.deep.equal([
      '[Tracker] The tracker does not know this peer any more (it restarted or the TTL ran out)',
      '[Tracker] Re-registered with the tracker',
    ]);
    expect(registered).to.deep.equal([]); // the caller is discovering already
    await clock.step();
    expect(tracker.calls.at(-1)).to.equal('heartbeat');
  });

  it('rejoin() after a failed heartbeat says only that it registered again: the failure was said already', async () => {
    const tracker = new FakeTracker(['ok', 'ok'], [refused()]);
    const { session, said, clock } = setUp(tracker);
    await session.start();
    await clock.step(); // the heartbeat fails: the tracker is down
    expect(await session.rejoin()).to.equal(true);
    expect(said.slice(2)).to.deep.equal(['[Tracker] Re-registered with the tracker']);
    expect(session.registered).to.equal(true);
  });

  it('rejoin() before the first registration worked registers for the first time', async () => {
    const tracker = new FakeTracker([refused(), 'ok']);
    const { session, said } = setUp(tracker);
    await session.start();
    expect(await session.rejoin()).to.equal(true);
    expect(said.at(-1)).to.equal('[Tracker] Registration successful: OK');
    expect(session.registered).to.equal(true);
  });

  it('rejoin() after stop() does nothing', async () => {
    const tracker = new FakeTracker(['ok']);
    const { session } = setUp(tracker);
    await session.start();
    session.stop();
    expect(await session.rejoin()).to.equal(false);
    expect(tracker.calls).to.deep.equal(['register']);
  });

  it('stop() cancels the next step', async () => {
    const tracker = new FakeTracker(['ok']);
    const { session, clock } = setUp(tracker);
    await session.start();
    session.stop();
    expect(clock.idle).to.equal(true);
  });
});
