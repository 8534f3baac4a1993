/**
 * Tests for daemon/timeouts.ts: the server's one timeout tick runs only while a connection is open, and sleeps
 * until the first deadline while every connection only waits, so an idle server wakes for nothing.
 */

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_CONNECTION_OPTIONS, lastTick, seconds, watchTimeouts, type Timed } from '../../daemon/timeouts';

describe('watchTimeouts()', () => {
  const options = { ...DEFAULT_CONNECTION_OPTIONS, lingerMs: 40 }; // a tick every 10 ms

  it('ticks only while a connection is open', async () => {
    const connections = new Set<Timed>();
    let checks = 0;
    let crowdedAsked = 0;
    const watch = watchTimeouts(connections, options, () => (crowdedAsked += 1) < 0);
    await sleep(40);
    assert.equal(crowdedAsked, 0, 'no tick before the first connection');
    watch.wake();
    connections.add({ checkTimeouts: () => void (checks += 1) });
    await sleep(50);
    assert.ok(checks >= 2, `${checks} checks`);
    connections.clear();
    await sleep(30);
    const asked = crowdedAsked;
    await sleep(40);
    assert.equal(crowdedAsked, asked, 'no tick once the last connection is gone');
    watch.stop();
  });

  it('sleeps until the first deadline while every connection only waits, and reads the clock meanwhile', async () => {
    const connections = new Set<Timed>();
    let checks = 0;
    const started = Date.now();
    const watch = watchTimeouts(connections, options);
    watch.wake();
    // An idle keep-alive: nothing to do for 150 ms, then it closes.
    connections.add({
      checkTimeouts: (now) => {
        checks += 1;
        if (now - started < 150) return started + 150;
        connections.clear();
      },
    });
    await sleep(100);
    assert.equal(checks, 1, 'one check, then asleep until the deadline');
    const before = Date.now();
    assert.ok(lastTick() >= before, 'a connection starting meanwhile starts its clocks now, not at the last tick');
    await sleep(120);
    assert.equal(checks, 2, 'checked again at the deadline');
    watch.stop();
  });

  it('wakes at once for a new connection while it sleeps until a deadline', async () => {
    const connections = new Set<Timed>();
    const checked: string[] = [];
    const watch = watchTimeouts(connections, options);
    watch.wake();
    connections.add({
      checkTimeouts: (now) => {
        checked.push('waiting');
        return now + 10_000;
      },
    });
    await sleep(30);
    connections.add({ checkTimeouts: () => void checked.push('new') });
    watch.wake();
    await sleep(30);
    assert.ok(checked.includes('new'), checked.join(' '));
    watch.stop();
  });

  it('brings the clock connections start from up to now when it wakes', async () => {
    const watch = watchTimeouts(new Set(), options);
    await sleep(30);
    const woken = Date.now();
    watch.wake();
    assert.ok(lastTick() >= woken);
    watch.stop();
  });
});

describe('seconds()', () => {
  it('says whole seconds in seconds, the rest in milliseconds', () => {
    assert.equal(seconds(5000), '5 s');
    assert.equal(seconds(250), '250 ms');
  });
});
