/**
 * The header rules that decide where a request body ends and whether the connection stays open:
 * Content-Length, Transfer-Encoding (RFC 9112 §6), Host (§3.2) and Connection (§9.3).
 * Tests for `daemon/framing.ts` (part of WeApRous `daemon/request.py`).
 */

import { expect } from 'chai';
import { CaseInsensitiveDict } from '../../daemon/dictionary';
import { checkHost, parseFraming, wantsKeepAlive } from '../../daemon/framing';
import { DEFAULT_LIMITS } from '../../daemon/request';

function headers(fields: Record<string, string>): CaseInsensitiveDict<string> {
  return new CaseInsensitiveDict(fields);
}

function errorCode(result: ReturnType<typeof parseFraming> | ReturnType<typeof checkHost>): string | undefined {
  return result && result.kind === 'error' ? result.error.code : undefined;
}

describe('parseFraming()', () => {
  it('has no body without Content-Length or Transfer-Encoding, or with Content-Length: 0', () => {
    expect(parseFraming(headers({}), 'HTTP/1.1', 0, DEFAULT_LIMITS)).to.deep.equal({ kind: 'framing', framing: { kind: 'none' } });
    expect(parseFraming(headers({ 'Content-Length': '0' }), 'HTTP/1.1', 1, DEFAULT_LIMITS)).to.deep.equal({ kind: 'framing', framing: { kind: 'none' } });
  });

  it('reads a length or chunked framing', () => {
    expect(parseFraming(headers({ 'Content-Length': '12' }), 'HTTP/1.1', 1, DEFAULT_LIMITS))
      .to.deep.equal({ kind: 'framing', framing: { kind: 'length', length: 12 } });
    expect(parseFraming(headers({ 'Transfer-Encoding': 'Chunked' }), 'HTTP/1.1', 0, DEFAULT_LIMITS))
      .to.deep.equal({ kind: 'framing', framing: { kind: 'chunked' } });
  });

  it('refuses every ambiguous or unsupported combination with its own code', () => {
    const cases: Array<[Record<string, string>, 'HTTP/1.0' | 'HTTP/1.1', number, string]> = [
      [{ 'Content-Length': '5', 'Transfer-Encoding': 'chunked' }, 'HTTP/1.1', 1, 'UNEXPECTED_CONTENT_LENGTH'],
      [{ 'Transfer-Encoding': 'chunked' }, 'HTTP/1.0', 0, 'INVALID_TRANSFER_ENCODING'],
      [{ 'Transfer-Encoding': 'chunked, gzip' }, 'HTTP/1.1', 0, 'INVALID_TRANSFER_ENCODING'],
      [{ 'Transfer-Encoding': 'chunked, chunked' }, 'HTTP/1.1', 0, 'INVALID_TRANSFER_ENCODING'],
      [{ 'Transfer-Encoding': 'gzip, chunked' }, 'HTTP/1.1', 0, 'UNSUPPORTED_TRANSFER_ENCODING'],
      [{ 'Content-Length': '5, 5' }, 'HTTP/1.1', 2, 'DUPLICATE_CONTENT_LENGTH'],
      [{ 'Content-Length': '+5' }, 'HTTP/1.1', 1, 'INVALID_CONTENT_LENGTH'],
      [{ 'Content-Length': '2000000' }, 'HTTP/1.1', 1, 'BODY_TOO_LARGE'],
    ];
    for (const [fields, version, count, code] of cases) {
      expect(errorCode(parseFraming(headers(fields), version, count, DEFAULT_LIMITS)), JSON.stringify(fields)).to.equal(code);
    }
  });

  it('answers 413 for a body over the limit and 501 for a coding it does not implement', () => {
    const big = parseFraming(headers({ 'Content-Length': '11' }), 'HTTP/1.1', 1, { ...DEFAULT_LIMITS, maxBodyBytes: 10 });
    expect(big.kind === 'error' && big.error.status).to.equal(413);
    const gzip = parseFraming(headers({ 'Transfer-Encoding': 'gzip, chunked' }), 'HTTP/1.1', 0, DEFAULT_LIMITS);
    expect(gzip.kind === 'error' && gzip.error.status).to.equal(501);
  });
});

describe('checkHost()', () => {
  it('accepts one valid Host, and none on HTTP/1.0', () => {
    expect(checkHost(headers({ Host: '127.0.0.1:8000' }), 'HTTP/1.1', 1)).to.equal(null);
    expect(checkHost(headers({}), 'HTTP/1.0', 0)).to.equal(null);
  });

  it('refuses a missing Host on HTTP/1.1, a repeated one, and one that is not host[:port]', () => {
    expect(errorCode(checkHost(headers({}), 'HTTP/1.1', 0))).to.equal('MISSING_HOST');
    expect(errorCode(checkHost(headers({ Host: 'a, b' }), 'HTTP/1.1', 2))).to.equal('DUPLICATE_HOST');
    expect(errorCode(checkHost(headers({ Host: 'a/b' }), 'HTTP/1.1', 1))).to.equal('INVALID_HOST');
    expect(errorCode(checkHost(headers({ Host: 'user@a' }), 'HTTP/1.1', 1))).to.equal('INVALID_HOST');
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
