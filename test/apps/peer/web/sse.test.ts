/**
 * Event streams: the `retry:` field, replay after `Last-Event-ID`, `reload` when the browser is too far behind,
 * pings, logout, the cap on open streams, and a stream that ends when its reader goes. Each stream is read as
 * `writeBody` reads it, one `next()` at a time. Tests for `apps/peer/web/sse.ts`.
 */

import { expect } from 'chai';
import { EventLog } from '../../../../apps/peer/model/events';
import { EventStreams } from '../../../../apps/peer/web/sse';

const next = async (stream: AsyncIterator<string>) => (await stream.next()).value as string | undefined;

describe('EventStreams', () => {
  it('starts with the retry field, then sends each event once as it happens', async () => {
    const log = new EventLog({ run: 'r' });
    const streams = new EventStreams(log);
    log.emit('x', 'before');
    const stream = streams.open(undefined, 's1', () => true)!;
    expect(await next(stream)).to.equal('retry: 1000\n\n');
    const waiting = next(stream);
    log.emit('x', 'after');
    expect(await waiting).to.equal('id: r-2\nevent: x\ndata: "after"\n\n');
    await stream.return();
    expect(streams.count).to.equal(0);
  });

  it('replays what a browser missed after its Last-Event-ID, and sends reload when that is gone', async () => {
    const log = new EventLog({ run: 'r', limit: 2 });
    const streams = new EventStreams(log);
    for (let i = 1; i <= 4; i++) log.emit('x', i);
    const resumed = streams.open('r-3', 's', () => true)!;
    expect(await next(resumed)).to.equal('retry: 1000\n\nid: r-4\nevent: x\ndata: 4\n\n');
    const tooOld = streams.open('r-1', 's', () => true)!;
    expect(await next(tooOld)).to.equal('retry: 1000\n\nid: r-4\nevent: reload\ndata: {}\n\n');
    const otherRun = streams.open('q-9', 's', () => true)!;
    expect(await next(otherRun)).to.include('event: reload');
    streams.closeAll();
    expect(await resumed.next()).to.deep.equal({ done: true, value: undefined });
  });

  it('sends reload to a stream whose reader fell behind the ring', async () => {
    const log = new EventLog({ run: 'r', limit: 2 });
    const streams = new EventStreams(log);
    const stream = streams.open(undefined, 's', () => true)!;
    await next(stream);
    for (let i = 1; i <= 5; i++) log.emit('x', i);
    expect(await next(stream)).to.equal('id: r-5\nevent: reload\ndata: {}\n\n');
    log.emit('x', 6);
    expect(await next(stream)).to.equal('id: r-6\nevent: x\ndata: 6\n\n');
    streams.closeAll();
  });

  it('pings when nothing happens, and ends with logout once the session is gone', async () => {
    const log = new EventLog({ run: 'r' });
    const streams = new EventStreams(log, { pingMs: 10 });
    let alive = true;
    const stream = streams.open(undefined, 's', () => alive)!;
    await next(stream);
    expect(await next(stream)).to.equal(': ping\n\n');
    alive = false;
    expect(await next(stream)).to.equal('event: logout\ndata: {}\n\n');
    expect((await stream.next()).done).to.equal(true);
  });

  it('ends the streams of a session that logs out, and only those', async () => {
    const log = new EventLog({ run: 'r' });
    const streams = new EventStreams(log);
    const mine = streams.open(undefined, 'a', () => true)!;
    const other = streams.open(undefined, 'b', () => true)!;
    await next(mine);
    await next(other);
    const waiting = next(mine);
    streams.closeOwner('a');
    expect(await waiting).to.equal('event: logout\ndata: {}\n\n');
    expect((await mine.next()).done).to.equal(true);
    expect(streams.count).to.equal(1);
    streams.closeAll();
    expect((await other.next()).done).to.equal(true);
  });

  it('refuses a stream beyond the cap until one closes', async () => {
    const streams = new EventStreams(new EventLog(), { max: 2 });
    const first = streams.open(undefined, 's', () => true)!;
    streams.open(undefined, 's', () => true);
    expect(streams.open(undefined, 's', () => true)).to.equal(null);
    await first.return();
    expect(streams.open(undefined, 's', () => true)).not.to.equal(null);
    streams.closeAll();
  });
});
