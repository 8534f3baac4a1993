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

  it('prints a failure with its stack the first time, then in one line, ten a window, and counts the rest', () => {
    const error = new Error('failed during derivation');
    for (let i = 0; i < 300; i++) log.report(error, request);
    expect(printed).to.have.length(PER_WINDOW);
    expect(printed[0]).to.deep.equal(['[WeApRous] POST /broadcast-peer/ failed:', error]);
    expect(printed[1]).to.deep.equal([
      '[WeApRous] POST /broadcast-peer/ failed:',
      'failed during derivation',
      '(printed with its stack before)',
    ]);
    now += WINDOW_MS;
    log.report(error, request);
    expect(printed[PER_WINDOW]).to.deep.equal([`[WeApRous] 290 more failures were not printed (at most 10 every 10 s)`]);
    expect(printed).to.have.length(PER_WINDOW + 2);
  });

  it('prints the stack of each new message, and a path or message with control characters on one line', () => {
    log.report(new Error('one'), request);
    log.report(new Error('two'), { method: 'GET', path: '/a\n[BROADCAST] Mallory: fake\u001b[2J' });
    log.report('three\nlines', request);
    log.report('three\nlines', request);
    expect(printed.map((parts) => parts[0])).to.deep.equal([
      '[WeApRous] POST /broadcast-peer/ failed:',
      '[WeApRous] GET /a?[BROADCAST] Mallory: fake?[2J failed:',
      '[WeApRous] POST /broadcast-peer/ failed:',
      '[WeApRous] POST /broadcast-peer/ failed:',
    ]);
    expect(printed[1][1]).to.be.instanceOf(Error);
    expect(printed[3].slice(1)).to.deep.equal(['three?lines', '(printed with its stack before)']);
  });

  it('is what a WeApRous app prints with by default: 100 failing requests, 10 lines', async () => {
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
