/**
 * The character classes of RFC 9110 §5.5 and §5.6 that every part of the parser reads bytes through.
 * Tests for `daemon/grammar.ts` (new; no WeApRous twin).
 */

import { expect } from 'chai';
import { FIELD_VCHAR, hexValue, isDigits, isFieldValue, isOws, isToken, QDTEXT, TOKEN, trimOws, VISIBLE_ASCII } from '../../daemon/grammar';

/** The characters 0-255 that a table marks. */
function members(table: Uint8Array): string {
  let out = '';
  for (let c = 0; c < 256; c++) if (table[c] === 1) out += String.fromCharCode(c);
  return out;
}

describe('TOKEN and isToken() (RFC 9110 §5.6.2)', () => {
  it('holds exactly the 15 symbols, the digits and the letters', () => {
    expect(members(TOKEN)).to.equal("!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~");
  });

  it('accepts methods and field names, and refuses empty strings, separators, spaces and non-ASCII', () => {
    for (const ok of ['GET', 'Content-Type', 'X-Custom_1', "!#$%&'*+-.^_`|~"]) expect(isToken(ok), ok).to.equal(true);
    for (const bad of ['', 'Bad Name', 'a:b', 'a(b)', 'a"b', 'n\u00e4me', 'a\u4e16', 'a\tb', 'a,b', 'a/b', 'a@b']) {
      expect(isToken(bad), JSON.stringify(bad)).to.equal(false);
    }
  });
});

describe('field value characters (RFC 9110 §5.5)', () => {
  it('FIELD_VCHAR is VCHAR and obs-text: no controls, no space, no DEL', () => {
    const expected = Array.from({ length: 256 }, (_, c) => (c >= 0x21 && c <= 0x7e) || c >= 0x80);
    expect(Array.from(FIELD_VCHAR, (v) => v === 1)).to.deep.equal(expected);
  });

  it('isFieldValue() allows SP and HTAB between, and refuses NUL, CR, LF, ESC and DEL', () => {
    expect(isFieldValue('text/html; q=0.9,\tcaf\u00e9')).to.equal(true);
    expect(isFieldValue('')).to.equal(true);
    for (const bad of ['a\x00', 'a\rb', 'a\nb', '\x1b[31m', 'a\x7f']) expect(isFieldValue(bad), JSON.stringify(bad)).to.equal(false);
  });

  it('trimOws() strips spaces and tabs only, and returns the same string when there is nothing to strip', () => {
    expect(trimOws(' \t a \t b \t')).to.equal('a \t b');
    expect(trimOws('\u00a0x\u00a0')).to.equal('\u00a0x\u00a0'); // NBSP is obs-text, not whitespace
    expect(trimOws('   ')).to.equal('');
    const same = 'no-space';
    expect(trimOws(same)).to.equal(same);
    expect(isOws(0x20) && isOws(0x09) && !isOws(0x0d)).to.equal(true);
  });
});

describe('VISIBLE_ASCII, QDTEXT, isDigits() and hexValue()', () => {
  it('VISIBLE_ASCII is 0x21-0x7E, for request targets and Host', () => {
    expect(members(VISIBLE_ASCII)).to.equal(Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join(''));
  });

  it('QDTEXT leaves out the quote, the backslash and the controls but keeps SP and HTAB', () => {
    expect(QDTEXT[0x22]).to.equal(0);
    expect(QDTEXT[0x5c]).to.equal(0);
    expect(QDTEXT[0x0d]).to.equal(0);
    expect(QDTEXT[0x20] + QDTEXT[0x09] + QDTEXT[0x21] + QDTEXT[0xe9]).to.equal(4);
  });

  it('isDigits() takes 1*DIGIT only, as Content-Length is written (RFC 9110 §8.6)', () => {
    expect(isDigits('0123456789')).to.equal(true);
    for (const bad of ['', '-1', '+1', '1.5', ' 1', '1a', '\u0661']) expect(isDigits(bad), bad).to.equal(false);
  });

  it('hexValue() reads both cases and refuses the rest', () => {
    expect([...'09afAF'].map((c) => hexValue(c.charCodeAt(0)))).to.deep.equal([0, 9, 10, 15, 10, 15]);
    for (const bad of 'gG ;\r-x') expect(hexValue(bad.charCodeAt(0)), bad).to.equal(-1);
  });
});
