/**
 * The header rules that decide where a body ends and whether the connection stays open:
 * Content-Length, Transfer-Encoding (RFC 9112 §6), Host (§3.2) and Connection (§9.3), each judged as its line
 * completes. Tests for `daemon/framing.ts` (part of WeApRous `daemon/request.py`).
 */

import { expect } from 'chai';
import { CaseInsensitiveDict } from '../../daemon/dictionary';
import { checkFramingField, finishFraming, newFramingCheck, responseFraming, wantsKeepAlive } from '../../daemon/framing';
import type { HttpVersion } from '../../daemon/grammar';

/** Feeds `lines` ([name, value] in lower case) to a fresh check; the first refusal's status and code, or the framing. */
function judge(lines: Array<[string, string]>, version: HttpVersion = 'HTTP/1.1', maxBodyBytes = 1024 * 1024): unknown {
  const check = newFramingCheck(maxBodyBytes, version);
  for (const [key, value] of lines) {
    const refused = checkFramingField(check, key, value);
    if (refused) return `${refused.error.status} ${refused.error.code}`;
  }
  const framing = finishFraming(check);
  return framing.kind === 'error' ? `${framing.error.status} ${framing.error.code}` : framing;
}

const HOST: [string, string] = ['host', 'a'];

describe('checkFramingField() and finishFraming()', () => {
  it('has no body without Content-Length or Transfer-Encoding, or with Content-Length: 0', () => {
    expect(judge([HOST])).to.deep.equal({ kind: 'none' });
    expect(judge([HOST, ['content-length', '0']])).to.deep.equal({ kind: 'none' });
  });

  it('reads a length or chunked framing', () => {
    expect(judge([HOST, ['content-length', '12']])).to.deep.equal({ kind: 'length', length: 12 });
    expect(judge([HOST, ['transfer-encoding', 'Chunked']])).to.deep.equal({ kind: 'chunked' });
  });

  it('lets other fields pass unjudged', () => {
    expect(judge([HOST, ['content-type', 'nonsense\x00'], ['expect', 'anything']])).to.deep.equal({ kind: 'none' });
  });

  it('refuses every ambiguous or unsupported combination, at the line that makes it so', () => {
    const cases: Array<[Array<[string, string]>, HttpVersion, string]> = [
      [
        [
          ['content-length', '5'],
          ['transfer-encoding', 'chunked'],
        ],
        'HTTP/1.1',
        '400 UNEXPECTED_CONTENT_LENGTH',
      ],
      [
        [
          ['transfer-encoding', 'chunked'],
          ['content-length', '5'],
        ],
        'HTTP/1.1',
        '400 UNEXPECTED_CONTENT_LENGTH',
      ],
      [[['transfer-encoding', 'chunked']], 'HTTP/1.0', '400 INVALID_TRANSFER_ENCODING'],
      [[['transfer-encoding', 'chunked, gzip']], 'HTTP/1.1', '400 INVALID_TRANSFER_ENCODING'],
      [[['transfer-encoding', 'chunked, chunked']], 'HTTP/1.1', '400 INVALID_TRANSFER_ENCODING'],
      [
        [
          ['transfer-encoding', 'chunked'],
          ['transfer-encoding', 'chunked'],
        ],
        'HTTP/1.1',
        '400 INVALID_TRANSFER_ENCODING',
      ],
      [[['transfer-encoding', 'gzip']], 'HTTP/1.1', '400 INVALID_TRANSFER_ENCODING'],
      [[['transfer-encoding', '']], 'HTTP/1.1', '400 INVALID_TRANSFER_ENCODING'],
      [[['transfer-encoding', 'gzip, chunked']], 'HTTP/1.1', '501 UNSUPPORTED_TRANSFER_ENCODING'],
      // Only SP and HTAB are optional whitespace (RFC 9110 §5.6.3): JavaScript's trim() would make this chunked.
      [[['transfer-encoding', 'chunked\u00a0']], 'HTTP/1.1', '400 INVALID_TRANSFER_ENCODING'],
      [
        [
          ['content-length', '5'],
          ['content-length', '5'],
        ],
        'HTTP/1.1',
        '400 DUPLICATE_CONTENT_LENGTH',
      ],
      [[['content-length', '5, 5']], 'HTTP/1.1', '400 INVALID_CONTENT_LENGTH'],
      [[['content-length', '+5']], 'HTTP/1.1', '400 INVALID_CONTENT_LENGTH'],
      [[['content-length', '']], 'HTTP/1.1', '400 INVALID_CONTENT_LENGTH'],
      [[['content-length', '1234567890123456']], 'HTTP/1.1', '400 INVALID_CONTENT_LENGTH'],
      [[['content-length', '2000000']], 'HTTP/1.1', '413 BODY_TOO_LARGE'],
    ];
    for (const [lines, version, expected] of cases) {
      expect(judge([HOST, ...lines], version), JSON.stringify(lines)).to.equal(expected);
    }
  });

  it('answers 413 from the Content-Length line alone, before a Host line is even seen', () => {
    expect(judge([['content-length', '11']], 'HTTP/1.1', 10)).to.equal('413 BODY_TOO_LARGE');
    expect(judge([HOST, ['content-length', '10']], 'HTTP/1.1', 10)).to.deep.equal({ kind: 'length', length: 10 });
  });

  it('accepts one valid Host, and none on HTTP/1.0', () => {
    expect(judge([['host', '127.0.0.1:8000']])).to.deep.equal({ kind: 'none' });
    expect(judge([['host', '[::1]:8000']])).to.deep.equal({ kind: 'none' });
    expect(judge([], 'HTTP/1.0')).to.deep.equal({ kind: 'none' });
  });

  it('refuses a repeated Host or one that is not host[:port] at its line, and a missing one at the blank line', () => {
    expect(judge([HOST, ['host', 'a']])).to.equal('400 DUPLICATE_HOST');
    for (const bad of ['a/b', 'user@a', 'a?b', 'a#b', 'a b', 'caf\u00e9']) expect(judge([['host', bad]]), bad).to.equal('400 INVALID_HOST');
    expect(judge([])).to.equal('400 MISSING_HOST');
  });
});

describe('responseFraming()', () => {
  const headers = (fields: Record<string, string>) => new CaseInsensitiveDict(fields);

  it('gives no body to a HEAD response, a 1xx, 204 or 304, whatever the fields say (RFC 9112 §6.3)', () => {
    const lying = headers({ 'Content-Length': '10', 'Transfer-Encoding': 'chunked' });
    for (const [method, status] of [
      ['HEAD', 200],
      ['GET', 101],
      ['GET', 204],
      ['GET', 304],
    ] as const) {
      expect(responseFraming(method, status, lying), `${method} ${status}`).to.deep.equal({ kind: 'none' });
    }
  });

  it('reads chunked, a length, or the connection closing', () => {
    expect(responseFraming('GET', 200, headers({ 'Transfer-Encoding': 'gzip, chunked' }))).to.deep.equal({ kind: 'chunked' });
    expect(responseFraming('GET', 200, headers({ 'Transfer-Encoding': 'gzip' }))).to.deep.equal({ kind: 'close' });
    expect(responseFraming('GET', 200, headers({ 'Transfer-Encoding': 'chunked\u00a0' }))).to.deep.equal({ kind: 'close' });
    expect(responseFraming('GET', 200, headers({ 'Content-Length': '7' }))).to.deep.equal({ kind: 'length', length: 7 });
    expect(responseFraming('GET', 200, headers({ 'Content-Length': '0' }))).to.deep.equal({ kind: 'none' });
    expect(responseFraming('GET', 200, headers({}))).to.deep.equal({ kind: 'close' });
  });

  it('returns null for a Content-Length that is not one number', () => {
    for (const bad of ['1, 2', '-1', '', 'x']) expect(responseFraming('GET', 200, headers({ 'Content-Length': bad })), bad).to.equal(null);
  });
});

describe('wantsKeepAlive()', () => {
  it('keeps HTTP/1.1 open unless it says close (RFC 9112 §9.3)', () => {
    expect(wantsKeepAlive(undefined, 'HTTP/1.1')).to.equal(true);
    expect(wantsKeepAlive('keep-alive', 'HTTP/1.1')).to.equal(true);
    expect(wantsKeepAlive('Close', 'HTTP/1.1')).to.equal(false);
    expect(wantsKeepAlive('TE, close', 'HTTP/1.1')).to.equal(false);
  });

  it('closes HTTP/1.0 unless it asks for keep-alive', () => {
    expect(wantsKeepAlive(undefined, 'HTTP/1.0')).to.equal(false);
    expect(wantsKeepAlive('Keep-Alive', 'HTTP/1.0')).to.equal(true);
    expect(wantsKeepAlive('keep-alive, close', 'HTTP/1.0')).to.equal(false);
  });
});
