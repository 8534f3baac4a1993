/**
 * The URL-ish pieces of a request: the request target, query strings and form bodies, the Cookie header.
 * Tests for `daemon/utils.ts` (WeApRous `daemon/utils.py`).
 */

import { expect } from 'chai';
import { parseCookies, parseQueryString, printable, safeDecode, splitTarget } from '../../daemon/utils';

describe('splitTarget()', () => {
  it('splits an origin-form target into a decoded path and query', () => {
    expect(splitTarget('/channels/general%20chat/?since=10&who=Bob+Lee')).to.deep.equal({
      path: '/channels/general chat/',
      query: { since: '10', who: 'Bob Lee' },
      authority: null,
    });
  });

  it('keeps the host of an absolute-form target and routes on its path', () => {
    expect(splitTarget('http://example.test:8080/get-list/?x=1')).to.deep.equal({
      path: '/get-list/',
      query: { x: '1' },
      authority: 'example.test:8080',
    });
    expect(splitTarget('http://example.test')).to.deep.include({ path: '/', authority: 'example.test' });
  });

  it('refuses a target that is neither origin-form nor an absolute URL', () => {
    expect(splitTarget('get-list/')).to.have.property('invalid').that.includes('must start with "/"');
  });

  it('refuses user information and an empty host in an absolute-form target (RFC 9110 §4.2.4)', () => {
    expect(splitTarget('http://user@example.test/')).to.have.property('invalid');
    expect(splitTarget('http:///path')).to.have.property('invalid');
  });

  it('refuses a malformed or non-UTF-8 percent-escape, saying how to send the character', () => {
    expect(splitTarget('/a%zz')).to.have.property('invalid').that.includes('%C3%A9');
    expect(splitTarget('/caf%E9')).to.have.property('invalid');
  });

  it('drops a fragment, which a client should never send', () => {
    expect(splitTarget('/page?a=1#top')).to.deep.include({ path: '/page', query: { a: '1' } });
  });
});

describe('parseQueryString()', () => {
  it('decodes names and values, with + as a space', () => {
    expect(parseQueryString('username=admin&password=pass+word%21')).to.deep.equal({ username: 'admin', password: 'pass word!' });
  });

  it('keeps the last value of a repeated name and gives "" to a name without "="', () => {
    expect(parseQueryString('a=1&a=2&flag')).to.deep.equal({ a: '2', flag: '' });
  });

  it('returns an empty object for an empty string and skips empty pairs', () => {
    expect(parseQueryString('')).to.deep.equal({});
    expect(parseQueryString('&&a=1&')).to.deep.equal({ a: '1' });
  });

  it('returns null for a malformed escape', () => {
    expect(parseQueryString('a=%2')).to.equal(null);
  });

  it('gives an object without a prototype, so "__proto__" is just a name', () => {
    const query = parseQueryString('__proto__=x')!;
    expect(Object.getPrototypeOf(query)).to.equal(null);
    expect(query.__proto__).to.equal('x');
  });
});

describe('parseCookies()', () => {
  it('reads name=value pairs separated by semicolons (RFC 6265 §5.4)', () => {
    expect(parseCookies('auth=true; theme="dark"; lang=vi%2Den')).to.deep.equal({ auth: 'true', theme: 'dark', lang: 'vi-en' });
  });

  it('keeps the first of a repeated name and skips malformed pairs', () => {
    expect(parseCookies('auth=true; junk; =x; auth=false')).to.deep.equal({ auth: 'true' });
  });

  it('gives an empty object when there is no Cookie header', () => {
    expect(parseCookies(undefined)).to.deep.equal({});
  });
});

describe('safeDecode() and printable()', () => {
  it('decodes, or says null instead of throwing', () => {
    expect(safeDecode('a%20b')).to.equal('a b');
    expect(safeDecode('%')).to.equal(null);
  });

  it('makes any text safe to quote in an error sentence: control characters escaped, long text cut', () => {
    expect(printable('GET\r\n\x00x\x9b')).to.equal('GET\\x0d\\x0a\\x00x\\x9b');
    expect(printable('x'.repeat(100))).to.equal(`${'x'.repeat(40)}... (100 characters)`);
    expect(printable('é'.repeat(10))).to.equal('é'.repeat(10));
  });

  it('cuts at the length it is given, counting the escapes', () => {
    expect(printable('a\nb', 3)).to.equal('a\\x... (3 characters)');
    expect(printable('abc', 3)).to.equal('abc');
  });

  for (const [name, unit] of [
    ['spaces', ' '],
    ['tabs', '\t'],
    ['newlines', '\r\n'],
  ]) {
    it(`prints 1 MiB of ${name} as one bounded line (it cuts before it escapes)`, () => {
      const line = printable(unit.repeat((1024 * 1024) / unit.length), 300);
      expect(line.length).to.be.below(400);
      expect(line).to.match(/\.\.\. \(1048576 characters\)$/);
    });
  }
});
