/**
 * Header field lines (RFC 9110 §5, RFC 9112 §5), shared by the request parser, the client and the proxy.
 * Tests for `daemon/fields.ts` (WeApRous `daemon/request.py` split these lines inline).
 */

import { expect } from 'chai';
import { parseFieldLines, type Fields, type FieldError } from '../../daemon/fields';

function ok(result: Fields | FieldError): Fields {
  if ('status' in result) throw new Error(`expected fields, got ${result.code}`);
  return result;
}

function bad(result: Fields | FieldError): FieldError {
  if (!('status' in result)) throw new Error('expected an error');
  return result;
}

describe('parseFieldLines()', () => {
  it('starts at the given line, so a start line can be skipped', () => {
    const { headers } = ok(parseFieldLines(['GET / HTTP/1.1', 'Host: a'], 1, 10));
    expect([...headers]).to.deep.equal([['Host', 'a']]);
  });

  it('trims spaces and tabs around the value but keeps them inside it', () => {
    const { headers } = ok(parseFieldLines(['X: \t a \t b \t'], 0, 10));
    expect(headers.get('x')).to.equal('a \t b');
  });

  it('accepts an empty value and obs-text bytes', () => {
    const { headers } = ok(parseFieldLines(['Empty:', 'Latin: caf\u00e9'], 0, 10));
    expect(headers.get('empty')).to.equal('');
    expect(headers.get('latin')).to.equal('caf\u00e9');
  });

  it('keeps colons after the first as part of the value', () => {
    expect(ok(parseFieldLines(['Host: example.com:8080'], 0, 10)).headers.get('host')).to.equal('example.com:8080');
  });

  it('joins repeats with ", " but Cookie with "; "', () => {
    const { headers } = ok(parseFieldLines(['Via: a', 'via: b', 'Cookie: x=1', 'cookie: y=2'], 0, 10));
    expect(headers.get('via')).to.equal('a, b');
    expect(headers.get('cookie')).to.equal('x=1; y=2');
  });

  it('counts Content-Length and Host lines, so a repeat can be refused', () => {
    const fields = ok(parseFieldLines(['Content-Length: 1', 'content-length: 1', 'Host: a'], 0, 10));
    expect(fields).to.include({ contentLengthCount: 2, hostCount: 1 });
  });

  it('refuses more lines than the limit with 431', () => {
    expect(ok(parseFieldLines(['A: 1', 'B: 2'], 0, 2)).headers.size).to.equal(2);
    expect(bad(parseFieldLines(['A: 1', 'B: 2', 'C: 3'], 0, 2))).to.include({ status: 431, code: 'TOO_MANY_HEADERS' });
  });

  const refusals: Array<[string, string, string]> = [
    ['a line starting with a space (obs-fold)', ' folded', 'OBSOLETE_LINE_FOLDING'],
    ['a line starting with a tab (obs-fold)', '\tfolded', 'OBSOLETE_LINE_FOLDING'],
    ['a line without a colon', 'NoColon', 'INVALID_HEADER'],
    ['an empty name', ': value', 'INVALID_HEADER'],
    ['a space before the colon', 'Name : value', 'INVALID_HEADER_TOKEN'],
    ['a space inside the name', 'Bad Name: value', 'INVALID_HEADER_TOKEN'],
    ['a non-ASCII name', 'N\u00e4me: value', 'INVALID_HEADER_TOKEN'],
    ['a control character in the value', 'X: a\x1bb', 'INVALID_HEADER_VALUE'],
    ['a LF in the value', 'X: a\nb', 'INVALID_HEADER_VALUE'],
  ];
  for (const [what, line, code] of refusals) {
    it(`refuses ${what} with 400`, () => {
      expect(bad(parseFieldLines([line], 0, 10))).to.include({ status: 400, code });
    });
  }
});
