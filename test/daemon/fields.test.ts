/**
 * Header field lines (RFC 9110 §5, RFC 9112 §5), read left to right and resumable, shared by the head parser
 * and the chunked trailer section. Tests for `daemon/fields.ts` (WeApRous `daemon/request.py` split these
 * lines inline).
 */

import { expect } from 'chai';
import { CaseInsensitiveDict } from '../../daemon/dictionary';
import { addField, fieldName, fieldValue, newFieldScan, scanFieldLine, startFieldLine } from '../../daemon/fields';

/** Scans one line given whole: `[name, value]`, 'incomplete', or the error code. */
function scan(text: string): [string, string] | string {
  const f = newFieldScan();
  const step = scanFieldLine(text, f);
  if (step === 'line') {
    expect(f.pos).to.equal(text.length);
    return [fieldName(text, f), fieldValue(text, f)];
  }
  return step === 'incomplete' ? step : step.error.code;
}

/** The same line fed one character more each time, resuming with one FieldScan: where it stopped, and how. */
function trickle(text: string): { at: number; result: [string, string] | string } {
  const f = newFieldScan();
  for (let cut = 1; cut <= text.length; cut++) {
    const part = text.slice(0, cut);
    const step = scanFieldLine(part, f);
    if (step === 'line') return { at: cut, result: [fieldName(part, f), fieldValue(part, f)] };
    if (step !== 'incomplete') return { at: cut, result: step.error.code };
  }
  return { at: text.length, result: 'incomplete' };
}

describe('scanFieldLine()', () => {
  it('reads "name: value" up to its CRLF and points past it', () => {
    expect(scan('Host: example.com:8080\r\n')).to.deep.equal(['Host', 'example.com:8080']);
  });

  it('trims spaces and tabs around the value but keeps them inside it', () => {
    expect(scan('X: \t a \t b \t\r\n')).to.deep.equal(['X', 'a \t b']);
  });

  it('accepts an empty value and obs-text bytes', () => {
    expect(scan('Empty:\r\n')).to.deep.equal(['Empty', '']);
    expect(scan('Empty:  \r\n')).to.deep.equal(['Empty', '']);
    expect(scan('Latin: caf\u00e9\r\n')).to.deep.equal(['Latin', 'caf\u00e9']);
  });

  it('starts at lineStart, so the next line of the same text can be read with the same scan', () => {
    const text = 'A: 1\r\nB: 2\r\n';
    const f = newFieldScan();
    expect(scanFieldLine(text, f)).to.equal('line');
    startFieldLine(f, f.pos);
    expect(scanFieldLine(text, f)).to.equal('line');
    expect([fieldName(text, f), fieldValue(text, f), f.pos]).to.deep.equal(['B', '2', 12]);
  });

  it('returns incomplete until the LF, then the same line whatever the split', () => {
    const text = 'Accept:  text/html \r\n';
    for (let cut = 0; cut < text.length; cut++) expect(scan(text.slice(0, cut)), `cut at ${cut}`).to.equal('incomplete');
    expect(trickle(text)).to.deep.equal({ at: text.length, result: ['Accept', 'text/html'] });
  });

  const refusals: Array<[string, string, string, number]> = [
    // what, line, code, the length of the shortest prefix that is refused (the bad byte, or the one after a CR)
    ['a line starting with a space (obs-fold)', ' folded: x\r\n', 'OBSOLETE_LINE_FOLDING', 1],
    ['a line starting with a tab (obs-fold)', '\tfolded\r\n', 'OBSOLETE_LINE_FOLDING', 1],
    ['a line without a colon', 'NoColon\r\n', 'INVALID_HEADER', 8],
    ['an empty name', ': value\r\n', 'INVALID_HEADER', 1],
    ['a space before the colon', 'Name : value\r\n', 'INVALID_HEADER_TOKEN', 5],
    ['a space inside the name, colon or not', 'Bad Name: value\r\n', 'INVALID_HEADER_TOKEN', 4],
    ['a non-ASCII name', 'N\u00e4me: value\r\n', 'INVALID_HEADER_TOKEN', 2],
    ['a control character in the value', 'X: a\x1bb\r\n', 'INVALID_HEADER_VALUE', 5],
    ['NUL in the value', 'X: \x00\r\n', 'INVALID_HEADER_VALUE', 4],
    ['DEL in the value', 'X: a\x7f\r\n', 'INVALID_HEADER_VALUE', 5],
    ['a bare LF in the value', 'X: a\nb\r\n', 'LF_EXPECTED', 5],
    ['a bare LF ending the name', 'X\n', 'LF_EXPECTED', 2],
    ['a CR not followed by LF', 'X: a\rb\r\n', 'CR_EXPECTED', 6],
  ];
  for (const [what, line, code, at] of refusals) {
    it(`refuses ${what} with 400 ${code}, as soon as its byte arrives`, () => {
      expect(scan(line)).to.equal(code);
      expect(trickle(line)).to.deep.equal({ at, result: code });
    });
  }

  it('names the field whose value has a control character', () => {
    const step = scanFieldLine('X-Trace: a\x01\r\n', newFieldScan());
    expect(step !== 'line' && step !== 'incomplete' && step.error.reason).to.include('"X-Trace"');
  });
});

describe('addField()', () => {
  it('joins repeats with ", " but Cookie with "; ", keeping the first spelling of the name', () => {
    const headers = new CaseInsensitiveDict<string>();
    addField(headers, 'via', 'Via', 'a');
    addField(headers, 'via', 'via', 'b');
    addField(headers, 'cookie', 'Cookie', 'x=1');
    addField(headers, 'cookie', 'cookie', 'y=2');
    expect([...headers]).to.deep.equal([
      ['Via', 'a, b'],
      ['Cookie', 'x=1; y=2'],
    ]);
  });
});
