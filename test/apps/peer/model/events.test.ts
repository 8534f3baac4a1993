/**
 * The event log: increasing ids, a bounded ring buffer, listeners in order, and where a reconnecting browser
 * resumes (`Last-Event-ID`). Tests for `apps/peer/model/events.ts`.
 */

import { expect } from 'chai';
import { EventLog } from '../../../../apps/peer/model/events';

describe('EventLog', () => {
  it('gives each event the next id of its run and a server-sent-events frame on one data line', () => {
    const log = new EventLog({ run: 'r1' });
    expect(log.lastId).to.equal('r1-0');
    const event = log.emit('message', { text: 'two\nlines' });
    expect(event.id).to.equal('r1-1');
    expect(event.frame).to.equal('id: r1-1\nevent: message\ndata: {"text":"two\\nlines"}\n\n');
    expect(log.emit('peers', []).id).to.equal('r1-2');
    expect(log.lastId).to.equal('r1-2');
  });

  it('tells listeners in the order they subscribed, until they stop', () => {
    const log = new EventLog({ run: 'r' });
    const heard: string[] = [];
    const stopA = log.on((event) => heard.push(`a:${event.seq}`));
    log.on((event) => heard.push(`b:${event.seq}`));
    log.emit('x', 1);
    stopA();
    log.emit('x', 2);
    expect(heard).to.deep.equal(['a:1', 'b:1', 'b:2']);
  });

  it('keeps at most `limit` events and `maxBytes` of them, oldest out first', () => {
    const log = new EventLog({ run: 'r', limit: 3 });
    for (let i = 1; i <= 5; i++) log.emit('x', i);
    expect(log.held.events).to.equal(3);
    expect(log.after(2)!.map((e) => e.data)).to.deep.equal([3, 4, 5]);
    expect(log.after(1)).to.equal(null);

    const small = new EventLog({ run: 'r', maxBytes: 100 });
    for (let i = 0; i < 10; i++) small.emit('x', 'y'.repeat(30));
    expect(small.held.bytes).to.be.at.most(100);
    expect(small.held.events).to.equal(1);
  });

  it('resumes after a known id with what was missed, and says reload for another run, the future, garbage or a gap', () => {
    const log = new EventLog({ run: 'run2', limit: 2 });
    for (let i = 1; i <= 4; i++) log.emit('x', i);
    const resumed = log.resume('run2-3');
    expect(resumed.kind).to.equal('events');
    expect(resumed.kind === 'events' && resumed.events.map((e) => e.id)).to.deep.equal(['run2-4']);
    expect(log.resume('run2-4')).to.deep.equal({ kind: 'events', events: [] });
    for (const id of ['run1-3', 'run2-9', 'run2-x', '', '-3', 'run2-1']) expect(log.resume(id), id).to.deep.equal({ kind: 'reload' });
  });

  it('names each run differently', () => {
    expect(new EventLog().run).not.to.equal(new EventLog().run);
  });
});
