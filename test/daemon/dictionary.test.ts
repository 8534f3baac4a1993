/**
 * CaseInsensitiveDict, the map behind request and response headers.
 * Tests for `daemon/dictionary.ts` (WeApRous `daemon/dictionary.py`).
 */

import { expect } from 'chai';
import { CaseInsensitiveDict } from '../../daemon/dictionary';

describe('CaseInsensitiveDict', () => {
  it('finds a key whatever its case', () => {
    const dict = new CaseInsensitiveDict({ 'Content-Type': 'text/html' });
    expect(dict.get('content-type')).to.equal('text/html');
    expect(dict.get('CONTENT-TYPE')).to.equal('text/html');
    expect(dict.has('Content-type')).to.equal(true);
    expect(dict.get('content-length')).to.equal(undefined);
  });

  it('replaces the value but keeps the first spelling of the name', () => {
    const dict = new CaseInsensitiveDict<string>();
    dict.set('X-Request-Id', 'a').set('x-request-id', 'b');
    expect(dict.size).to.equal(1);
    expect([...dict]).to.deep.equal([['X-Request-Id', 'b']]);
  });

  it('deletes whatever the case, and says whether something was there', () => {
    const dict = new CaseInsensitiveDict({ Host: 'a' });
    expect(dict.delete('HOST')).to.equal(true);
    expect(dict.delete('host')).to.equal(false);
    expect(dict.size).to.equal(0);
  });

  it('iterates in insertion order', () => {
    const dict = new CaseInsensitiveDict([
      ['B', '2'],
      ['a', '1'],
      ['C', '3'],
    ] as Array<[string, string]>);
    expect([...dict].map(([name]) => name)).to.deep.equal(['B', 'a', 'C']);
  });

  it('builds from a Map as well as from a plain object', () => {
    const dict = new CaseInsensitiveDict(new Map([['Accept', '*/*']]));
    expect(dict.get('accept')).to.equal('*/*');
  });

  it('serializes to JSON with lower-case keys', () => {
    const dict = new CaseInsensitiveDict({ 'Content-Type': 'a', Host: 'b' });
    expect(JSON.stringify(dict)).to.equal('{"content-type":"a","host":"b"}');
  });

  it('treats "__proto__" as an ordinary header name', () => {
    const dict = new CaseInsensitiveDict<string>();
    dict.set('__proto__', 'x');
    expect(dict.get('__PROTO__')).to.equal('x');
    expect(dict.toJSON()).to.have.own.property('__proto__');
  });
});
