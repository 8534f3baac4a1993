/**
 * CatchUpCursors: how far each peer's history was read, per conversation, kept in `catch-up.json` across a
 * restart, only moving forward, at most `MAX_CURSORS`. Tests for `apps/peer/storage/cursors.ts`.
 */

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatchUpCursors, CURSORS_FILE } from '../../../../apps/peer/storage/cursors';

describe('CatchUpCursors', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cursors-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts every peer at -1 (asked from the start), moves the clock forward only, and is read back after a restart', () => {
    const cursors = new CatchUpCursors(dir);
    expect(cursors.of('127.0.0.1:5002', 'general')).to.deep.equal({ clock: -1 });
    cursors.advance('127.0.0.1:5002', 'general', { clock: 7, position: 900, history: '12-34' });
    cursors.advance('127.0.0.1:5002', 'general', { clock: 3, position: 1200, history: '12-34' }); // a lower clock moves nothing back
    cursors.advance('127.0.0.1:5003', '@127.0.0.1:5003', { clock: 2 }); // a peer that answers by clock only
    const again = new CatchUpCursors(dir);
    expect(again.of('127.0.0.1:5002', 'general')).to.deep.equal({ clock: 7, position: 1200, history: '12-34' });
    expect(again.of('127.0.0.1:5003', '@127.0.0.1:5003')).to.deep.equal({ clock: 2 });
    expect(again.of('127.0.0.1:5002', 'team')).to.deep.equal({ clock: -1 });
    expect(statSync(join(dir, CURSORS_FILE)).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(readFileSync(join(dir, CURSORS_FILE), 'utf8'))).to.deep.equal({
      '127.0.0.1:5002 general': { clock: 7, position: 1200, history: '12-34' },
      '127.0.0.1:5003 @127.0.0.1:5003': { clock: 2 },
    });
  });

  it('reads the bare clocks an older catch-up.json held, and moves a position back in a new history file', () => {
    writeFileSync(join(dir, CURSORS_FILE), '{"127.0.0.1:5002 general": 7}');
    const cursors = new CatchUpCursors(dir);
    expect(cursors.of('127.0.0.1:5002', 'general')).to.deep.equal({ clock: 7 });
    cursors.advance('127.0.0.1:5002', 'general', { clock: 7, position: 5000, history: 'old' });
    cursors.advance('127.0.0.1:5002', 'general', { clock: 7, position: 80, history: 'new' });
    expect(new CatchUpCursors(dir).of('127.0.0.1:5002', 'general')).to.deep.equal({ clock: 7, position: 80, history: 'new' });
  });

  it('takes a damaged file as no cursors: every peer is asked from the start again', () => {
    writeFileSync(join(dir, CURSORS_FILE), '{"127.0.0.1:5002 general": 7, "x": "no"');
    expect(new CatchUpCursors(dir).of('127.0.0.1:5002', 'general')).to.deep.equal({ clock: -1 });
  });
});
