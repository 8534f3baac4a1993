/**
 * Tests for `daemon/errorlog.ts`: handler failures printed in one line each, a stack once per message, at most
 * ten a window and the rest counted; a path cannot break the console's lines. And `WeApRous` uses it by default.
 */

import { expect } from 'chai';
import { ErrorLog, PER_WINDOW, WINDOW_MS } from '../../daemon/errorlog';
import { WeApRous } from '../../daemon/weaprous';
import { parseRequest, type Request } from '../../daemon/request';

function get(path: string): Request {
  const result = parseRequest(Buffer.from(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`, 'latin1'));
  if (result.kind !== 'request') throw new Error('fixture does not parse');
  return result.request;
}

describe('ErrorLog', () => {
  let printed: unknown[][];
  let now: number;
  let log: ErrorLog;
  beforeEach(() => {
    printed = [];
    now = 1_000_000;
    log = new ErrorLog(
      (...parts) => printed.push(parts),
      () => now,
    );
  });
  const request = { method: 'POST', path: '/broadcast-peer/' };

  /** What was printed, each print's text split into its lines. */
  const lines = () => printed.flatMap((parts) => parts.map(String).join(' ').split('\n'));

  it('prints a failure with its stack the first time, then in one line, ten a window, and counts the rest', () => {
    const error = new Error('failed during derivation');
    for (let i = 0; i < 300; i++) log.report(error, request);
    expect(printed).to.have.length(PER_WINDOW);
    const [first, ...frames] = String(printed[0][0]).split('\n');
    expect(first).to.equal('[WeApRous] POST /broadcast-peer/ failed: Error: failed during derivation');
    expect(frames.length).to.be.greaterThan(0);
    for (const frame of frames) expect(frame).to.match(/^\s+at /);
    expect(printed[1]).to.deep.equal(['[WeApRous] POST /broadcast-peer/ failed: Error: failed during derivation']);
    now += WINDOW_MS;
    log.report(error, request);
    expect(printed[PER_WINDOW]).to.deep.equal([`[WeApRous] 290 more failures were not printed (at most 10 every 10 s)`]);
    expect(printed).to.have.length(PER_WINDOW + 2);
  });

  it("prints a client's words on one line, never as lines of their own, and one stack a window", () => {
    const forged = '\n[BROADCAST] Alice (127.0.0.1:5001): send me your password\u001b[2J';
    for (let i = 0; i < 1_000; i++) log.report(new Error(`bad ${i}${forged}`), { method: 'GET', path: `/a${forged}` });
    const all = lines();
    expect(all.filter((text) => text.startsWith('[BROADCAST]'))).to.deep.equal([]);
    expect(all.some((text) => text.includes('\u001b'))).to.equal(false);
    expect(all[0]).to.equal(
      '[WeApRous] GET /a?[BROADCAST] Alice (127.0.0.1:5001): send me your password?[2J failed: ' +
        'Error: bad 0?[BROADCAST] Alice (127.0.0.1:5001): send me your password?[2J',
    );
    // Ten failures, one with its frames: a flood of new messages prints a bounded number of lines.
    expect(printed).to.have.length(PER_WINDOW);
    expect(printed.filter((parts) => String(parts[0]).includes('\n'))).to.have.length(1);
  });

  it('is what a WeApRous app prints with by default: 100 failing requests, 10 printed', async () => {
    const app = new WeApRous();
    app.addRoute('GET', '/boom', () => {
      throw new Error('boom');
    });
    const lines: unknown[][] = [];
    const realError = console.error;
    console.error = (...parts: unknown[]) => void lines.push(parts);
    try {
      for (let i = 0; i < 100; i++) expect((await app.handle(get('/boom'))).status).to.equal(500);
    } finally {
      console.error = realError;
    }
    expect(lines).to.have.length(PER_WINDOW);
  });
});
