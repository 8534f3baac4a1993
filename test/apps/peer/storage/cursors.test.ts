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

  it('starts every peer at -1 (asked from the start), moves forward only, and is read back after a restart', () => {
    const cursors = new CatchUpCursors(dir);
    expect(cursors.of('127.0.0.1:5002', 'general')).to.equal(-1);
    cursors.advance('127.0.0.1:5002', 'general', 7);
    cursors.advance('127.0.0.1:5002', 'general', 3); // a page that ended lower moves nothing back
    cursors.advance('127.0.0.1:5003', '@127.0.0.1:5003', 2);
    const again = new CatchUpCursors(dir);
    expect(again.of('127.0.0.1:5002', 'general')).to.equal(7);
    expect(again.of('127.0.0.1:5003', '@127.0.0.1:5003')).to.equal(2);
    expect(again.of('127.0.0.1:5002', 'team')).to.equal(-1);
    expect(statSync(join(dir, CURSORS_FILE)).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(readFileSync(join(dir, CURSORS_FILE), 'utf8'))).to.deep.equal({
      '127.0.0.1:5002 general': 7,
      '127.0.0.1:5003 @127.0.0.1:5003': 2,
    });
  });

  it('takes a damaged file as no cursors: every peer is asked from the start again', () => {
    writeFileSync(join(dir, CURSORS_FILE), '{"127.0.0.1:5002 general": 7, "x": "no"');
    expect(new CatchUpCursors(dir).of('127.0.0.1:5002', 'general')).to.equal(-1);
  });
});
