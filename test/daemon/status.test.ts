/**
 * Status codes and the framework's two error shapes: the reason phrases, `HttpError` (what a handler throws,
 * its message shown for 4xx only) and `refuse()` (how the parser says no). Tests for `daemon/status.ts`
 * (WeApRous's `response.py` spelled each status line out by hand).
 */

import { expect } from 'chai';
import { HttpError, refuse, statusText } from '../../daemon/status';

describe('statusText()', () => {
  it('gives the reason phrase of RFC 9110 §15, and a generic one by class for codes not in the table', () => {
    expect([statusText(200), statusText(404), statusText(413), statusText(503)]).to.deep.equal([
      'OK',
      'Not Found',
      'Content Too Large',
      'Service Unavailable',
    ]);
    expect([statusText(299), statusText(499), statusText(599)]).to.deep.equal(['OK', 'Client Error', 'Server Error']);
  });
});

describe('HttpError', () => {
  it('shows its message for a 4xx, and keeps its headers', () => {
    const error = new HttpError(429, 'Slow down', { headers: { 'Retry-After': '5' } });
    expect([error.status, error.expose, error.message, error.headers['Retry-After']]).to.deep.equal([429, true, 'Slow down', '5']);
  });

  it('hides its message for a 5xx, and defaults the message to the reason phrase', () => {
    expect(new HttpError(500, 'db password wrong').expose).to.equal(false);
    expect(new HttpError(404).message).to.equal('Not Found');
  });

  it('takes its headers and expose as options: a 5xx meant for the client, a 4xx kept private', () => {
    const busy = new HttpError(503, 'Busy; try again', { headers: { 'Retry-After': '1' }, expose: true });
    expect([busy.expose, busy.headers]).to.deep.equal([true, { 'Retry-After': '1' }]);
    const hidden = new HttpError(403, 'internal rule 7', { expose: false });
    expect([hidden.expose, hidden.headers]).to.deep.equal([false, {}]);
  });

  it('hides a 5xx with headers unless told to show it', () => {
    expect(new HttpError(503, 'x', { headers: { 'Retry-After': '5' } }).expose).to.equal(false);
  });
});

describe('refuse()', () => {
  it('builds the parser error result', () => {
    expect(refuse(400, 'INVALID_METHOD', 'no')).to.deep.equal({
      kind: 'error',
      error: { status: 400, code: 'INVALID_METHOD', reason: 'no' },
    });
  });
});
