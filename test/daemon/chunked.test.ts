/**
 * The chunked transfer coding (RFC 9112 §7.1): the resumable decoder, fed whole and byte by byte, and
 * the encoder used for streamed responses. Tests for `daemon/chunked.ts` (no WeApRous twin).
 */

import { expect } from 'chai';
import { encodeChunk, LAST_CHUNK, newChunkedState, readChunkedBody } from '../../daemon/chunked';

const LIMIT = 1024 * 1024;

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Decodes `text` in one call from offset 0; returns the body as text, or the error code. */
function decode(text: string, limit = LIMIT): string {
  const result = readChunkedBody(bytes(text), newChunkedState(0), limit);
  if (result.kind === 'body') {
    expect(result.end).to.equal(text.length);
    return result.body.toString('latin1');
  }
  return result.kind === 'error' ? `${result.error.status} ${result.error.code}` : 'incomplete';
}

describe('readChunkedBody()', () => {
  it('joins the data of every chunk', () => {
    expect(decode('3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n')).to.equal('abcdefg');
  });

  it('reads upper- and lower-case hex sizes', () => {
    expect(decode('A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n')).to.equal('01234567890123456789a');
  });

  it('returns an empty body for the last chunk alone', () => {
    expect(decode('0\r\n\r\n')).to.equal('');
  });

  it('skips extensions with token and quoted-string values', () => {
    expect(decode('3;a=b;c;d="x;\\"y"\r\nabc\r\n0;end\r\n\r\n')).to.equal('abc');
  });

  it('reads past trailer fields', () => {
    expect(decode('3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n')).to.equal('abc');
  });

  it('accepts every form of chunk-ext: whitespace around ";" and "=", bare names, token and quoted values (RFC 9112 §7.1.1)', () => {
    for (const ext of [' ;a', '\t; a', ';a;b', ';a = b', ';a=b ;c', ';a="x y;\\"z"', ';a="" ; b', ';a="caf\u00e9"']) {
      expect(decode(`3${ext}\r\nabc\r\n0\r\n\r\n`), JSON.stringify(ext)).to.equal('abc');
    }
  });

  it('starts at the state offset and stops at the end of the body, leaving what follows', () => {
    const text = 'HEAD' + '2\r\nhi\r\n0\r\n\r\n' + 'NEXT';
    const result = readChunkedBody(bytes(text), newChunkedState(4), LIMIT);
    if (result.kind !== 'body') throw new Error(result.kind);
    expect(result.body.toString()).to.equal('hi');
    expect(text.slice(result.end)).to.equal('NEXT');
  });

  it('finds the end without keeping the data when collect is false (a proxy streaming the body)', () => {
    const result = readChunkedBody(bytes('3\r\nabc\r\n0\r\n\r\n'), newChunkedState(0, false), LIMIT);
    expect(result.kind === 'body' && result.body.length).to.equal(0);
    expect(result.kind === 'body' && result.end).to.equal(13);
  });

  it('returns incomplete at every split, then the body, when fed one byte more each time', () => {
    const text = '5;ext="a b"\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: yes\r\n\r\n';
    const whole = bytes(text);
    const state = newChunkedState(0);
    for (let cut = 0; cut < whole.length; cut++) {
      expect(readChunkedBody(whole.subarray(0, cut), state, LIMIT).kind, `cut at byte ${cut}`).to.equal('incomplete');
    }
    const result = readChunkedBody(whole, state, LIMIT);
    expect(result.kind === 'body' && result.body.toString()).to.equal('hello world!');
  });

  it('gives the same body from a fresh state at every split point', () => {
    const text = '4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n';
    const whole = bytes(text);
    for (let cut = 0; cut < whole.length; cut++) {
      const state = newChunkedState(0);
      expect(readChunkedBody(whole.subarray(0, cut), state, LIMIT).kind).to.equal('incomplete');
      const result = readChunkedBody(whole, state, LIMIT);
      expect(result.kind === 'body' && result.body.toString(), `cut at byte ${cut}`).to.equal('wikipedia');
    }
  });

  it('joins many tiny chunks and a large one, in order, byte for byte', () => {
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    let text = '';
    for (let i = 0; i < 1000; i++) text += `1\r\n${data.toString('latin1', i, i + 1)}\r\n`;
    text += `7d0\r\n${data.toString('latin1', 1000)}\r\n0\r\n\r\n`; // 0x7d0 = 2000
    const result = readChunkedBody(bytes(text), newChunkedState(0), LIMIT);
    expect(result.kind === 'body' && result.body.equals(data)).to.equal(true);
  });

  it('reads a size of 12 hex digits and refuses 13', () => {
    expect(readChunkedBody(bytes('000000000003\r\nabc\r\n0\r\n\r\n'), newChunkedState(0), LIMIT).kind).to.equal('body');
    const tooLong = readChunkedBody(bytes('0000000000003\r\nabc\r\n0\r\n\r\n'), newChunkedState(0), LIMIT);
    expect(tooLong.kind === 'error' && tooLong.error.code).to.equal('INVALID_CHUNK_SIZE');
  });

  describe('refuses', () => {
    const cases: Array<[string, string, string]> = [
      ['a size that is not hex', 'xyz\r\n', '400 INVALID_CHUNK_SIZE'],
      ['an empty size line', '\r\nabc\r\n', '400 INVALID_CHUNK_SIZE'],
      ['a size of more than 12 hex digits', '0000000000001\r\na\r\n0\r\n\r\n', '400 INVALID_CHUNK_SIZE'],
      ['an extension without a name', '3;=x\r\nabc\r\n0\r\n\r\n', '400 INVALID_CHUNK_SIZE'],
      ['an unterminated quoted extension value', '3;a="x\r\nabc\r\n0\r\n\r\n', '400 INVALID_CHUNK_SIZE'],
      ['data not followed by CRLF', '3\r\nabcd\r\n0\r\n\r\n', '400 INVALID_CHUNK'],
      ['a bare LF ending a size line', '3\nabc\r\n0\r\n\r\n', '400 LF_EXPECTED'],
      ['a bare CR in a size line', '3\rx\r\nabc\r\n', '400 CR_EXPECTED'],
      ['a size line of more than 16 KiB with no end in sight', '1' + ' '.repeat(17000), '413 CHUNK_EXTENSIONS_TOO_LARGE'],
      ['whitespace after the size with no extension', '5 \r\nhello\r\n0\r\n\r\n', '400 INVALID_CHUNK_SIZE'],
      ['whitespace after an extension name, then the end of the line', '5;a \r\nhello\r\n0\r\n\r\n', '400 INVALID_CHUNK_SIZE'],
      ['an extension value that is missing', '5;a=\r\nhello\r\n0\r\n\r\n', '400 INVALID_CHUNK_SIZE'],
      ['two extension values', '5;a=b c\r\nhello\r\n0\r\n\r\n', '400 INVALID_CHUNK_SIZE'],
      ['a control character in a quoted extension value', '5;a="\x01"\r\nhello\r\n0\r\n\r\n', '400 INVALID_CHUNK_SIZE'],
      ['Content-Length as a trailer field (RFC 9110 §6.5.1)', '0\r\nContent-Length: 5\r\n\r\n', '400 FORBIDDEN_TRAILER'],
      ['Transfer-Encoding as a trailer field', '0\r\ntransfer-encoding: chunked\r\n\r\n', '400 FORBIDDEN_TRAILER'],
      ['Host as a trailer field', '0\r\nX-Sum: 1\r\nHOST: evil\r\n\r\n', '400 FORBIDDEN_TRAILER'],
      ['an obs-folded trailer', '0\r\nX: a\r\n b\r\n\r\n', '400 OBSOLETE_LINE_FOLDING'],
    ];
    for (const [what, text, expected] of cases) {
      it(what, () => {
        expect(decode(text)).to.equal(expected);
      });
    }

    it('a body over the limit with 413 before the oversized chunk data arrives', () => {
      expect(decode('b\r\n', 10)).to.equal('413 BODY_TOO_LARGE');
      expect(decode('5\r\nabcde\r\n5\r\nabcde\r\n0\r\n\r\n', 10)).to.equal('abcdeabcde');
      expect(decode('5\r\nabcde\r\n6\r\n', 10)).to.equal('413 BODY_TOO_LARGE');
    });

    it('more than 16 KiB of chunk extensions with 413', () => {
      const chunk = `1;n=${'v'.repeat(2000)}\r\nx\r\n`;
      expect(decode(chunk.repeat(8) + '0\r\n\r\n')).to.equal('x'.repeat(8));
      expect(decode(chunk.repeat(9))).to.equal('413 CHUNK_EXTENSIONS_TOO_LARGE');
    });

    it('more than 16 KiB of trailer fields with 431', () => {
      const trailers = Array.from({ length: 20 }, (_, i) => `X-${i}: ${'t'.repeat(1000)}\r\n`).join('');
      expect(decode('0\r\n' + trailers)).to.equal('431 TRAILERS_TOO_LARGE');
    });
  });
});

/** Feeds `text` one byte more each time to one state: the length of the first prefix that is not incomplete, and its result. */
function trickle(text: string, limit = LIMIT): { at: number; result: string } {
  const whole = bytes(text);
  const state = newChunkedState(0);
  for (let cut = 1; cut <= whole.length; cut++) {
    const result = readChunkedBody(whole.subarray(0, cut), state, limit);
    if (result.kind === 'body') return { at: cut, result: result.body.toString('latin1') };
    if (result.kind === 'error') return { at: cut, result: `${result.error.status} ${result.error.code}` };
  }
  return { at: whole.length, result: 'incomplete' };
}

describe('readChunkedBody() refuses at the first byte that cannot be right', () => {
  const cases: Array<[string, string, string]> = [
    // what, the bytes up to and including the one that is refused, the answer
    ['a size byte that is neither hex, ";", whitespace nor CR', '5x', '400 INVALID_CHUNK_SIZE'],
    ['a 13th hex digit', '0000000000001', '400 INVALID_CHUNK_SIZE'],
    ['a size line that starts with something other than a hex digit', ';', '400 INVALID_CHUNK_SIZE'],
    ['an extension name that is not a token', '5;(', '400 INVALID_CHUNK_SIZE'],
    ['a bare LF after the size', '5\n', '400 LF_EXPECTED'],
    ['a CR not followed by LF after the size', '5\rx', '400 CR_EXPECTED'],
    ['a chunk whose data is followed by a byte other than CR', '5\r\nhelloX', '400 INVALID_CHUNK'],
    ['a chunk whose data is followed by CR and a byte other than LF', '5\r\nhello\rX', '400 INVALID_CHUNK'],
    ['a bad byte in a trailer name', '0\r\nX ', '400 INVALID_HEADER_TOKEN'],
    ['a control character in a trailer value', '0\r\nX: \x01', '400 INVALID_HEADER_VALUE'],
    ['a forbidden trailer, once its line is in', '0\r\nContent-Length: 5\r\n', '400 FORBIDDEN_TRAILER'],
    ['a CR not followed by LF ending the trailer section', '0\r\n\rx', '400 CR_EXPECTED'],
  ];
  for (const [what, text, expected] of cases) {
    it(`${what}: ${expected} at byte ${text.length}, without waiting for more`, () => {
      expect(trickle(text + 'more bytes that never matter\r\n\r\n')).to.deep.equal({ at: text.length, result: expected });
      expect(decode(text)).to.equal(expected);
    });
  }

  it('413 for a chunk over the limit at the end of its size line, before its data', () => {
    expect(trickle('b\r\n' + 'x'.repeat(11), 10)).to.deep.equal({ at: 3, result: '413 BODY_TOO_LARGE' });
  });
});

describe('readChunkedBody() answers the same however the bytes arrive', () => {
  const corpus = [
    '5;ext="a b"\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: yes\r\n\r\n',
    '3 ; a = "x\\"y" ; b\r\nabc\r\n0;last\r\n\r\n',
    '3\r\nabc\r\n0\r\nHost: x\r\n\r\n',
    '3\r\nabcX',
    '3;a b\r\nabc\r\n0\r\n\r\n',
    '0\r\nX: 1\r\n folded\r\n\r\n',
    '0\r\n' + 'X-Long: '.padEnd(17000, 'v') + '\r\n\r\n',
    '1;' + 'e'.repeat(17000) + '\r\na\r\n0\r\n\r\n',
  ];
  for (const text of corpus) {
    it(`${JSON.stringify(text.slice(0, 40))}: split at every byte, with a fresh state or the same one`, () => {
      const expected = decode(text);
      const whole = bytes(text);
      for (let cut = 0; cut < whole.length; cut += text.length > 1000 ? 97 : 1) {
        const state = newChunkedState(0);
        let result = readChunkedBody(whole.subarray(0, cut), state, LIMIT);
        if (result.kind === 'incomplete') result = readChunkedBody(whole, state, LIMIT);
        const got =
          result.kind === 'body'
            ? result.body.toString('latin1')
            : result.kind === 'error'
              ? `${result.error.status} ${result.error.code}`
              : 'incomplete';
        expect(got, `cut at byte ${cut}`).to.equal(expected);
      }
      expect(trickle(text).result).to.equal(expected);
    });
  }
});

describe('encodeChunk()', () => {
  it('frames data as hex size, CRLF, data, CRLF', () => {
    const data = Buffer.from('x'.repeat(26));
    expect(Buffer.concat(encodeChunk(data)).toString()).to.equal('1a\r\n' + 'x'.repeat(26) + '\r\n');
  });

  it('round-trips through the decoder with LAST_CHUNK', () => {
    const pieces = ['hello', ' ', 'world', '\u00e9\u4e16'].map((s) => Buffer.from(s, 'utf8'));
    const wire = Buffer.concat([...pieces.flatMap(encodeChunk), LAST_CHUNK]);
    const result = readChunkedBody(wire, newChunkedState(0), LIMIT);
    expect(result.kind === 'body' && result.body.toString('utf8')).to.equal('hello world\u00e9\u4e16');
  });
});
