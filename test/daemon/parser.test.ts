/**
 * The head parser, read left to right: requests and responses, refused at the first byte that makes them
 * invalid, and the same answer however the bytes arrive (whole, split anywhere, one byte at a time, with or
 * without a HeadScan). Tests for `daemon/parser.ts` and the start lines it reads with `daemon/startline.ts`
 * (new; WeApRous `daemon/request.py` split on "\r\n").
 */

import { expect } from 'chai';
import {
  DEFAULT_LIMITS,
  newHeadScan,
  parseRequestHead,
  parseResponseHead,
  type HeadResult,
  type HeadScan,
  type ParserLimits,
  type ResponseHeadResult,
} from '../../daemon/parser';

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** One line that says what a call answered: `incomplete`, `400 CODE`, or `head <headLength>`. */
function outcome(result: HeadResult | ResponseHeadResult): string {
  if (result.kind === 'incomplete') return 'incomplete';
  if (result.kind === 'head') return `head ${result.headLength}`;
  return 'error' in result ? `${result.error.status} ${result.error.code}` : `error ${result.code}`;
}

type Parse = (buf: Buffer, scan?: HeadScan) => HeadResult | ResponseHeadResult;
const request =
  (limits: ParserLimits = DEFAULT_LIMITS): Parse =>
  (buf, scan) =>
    parseRequestHead(buf, 0, limits, scan);
const response =
  (maxBytes?: number): Parse =>
  (buf, scan) =>
    parseResponseHead(buf, 0, maxBytes, scan);

/**
 * Feeds `text` one byte more each time, either to one HeadScan (`resume`) or from scratch each time (as a caller
 * without a scan does): how many bytes had arrived when the answer came, and the answer.
 */
function trickle(parse: Parse, text: string, resume: boolean): { at: number; outcome: string } {
  const whole = bytes(text);
  const scan = newHeadScan();
  for (let cut = 1; cut <= whole.length; cut++) {
    const result = parse(whole.subarray(0, cut), resume ? scan : undefined);
    if (result.kind !== 'incomplete') return { at: cut, outcome: outcome(result) };
  }
  return { at: whole.length, outcome: 'incomplete' };
}

describe('parseRequestHead()', () => {
  it('reads the request line and the fields, and says where the head ends', () => {
    const text = 'POST /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-A: 1\r\nx-a: 2\r\n\r\nabc';
    const result = parseRequestHead(bytes(text));
    if (result.kind !== 'head') throw new Error(outcome(result));
    expect(result.headLength).to.equal(text.length - 3);
    const { method, target, path, query, version, framing, keepAlive } = result.head;
    expect({ method, target, path, query: { ...query }, version, framing, keepAlive }).to.deep.equal({
      method: 'POST',
      target: '/a%20b?x=1',
      path: '/a b',
      query: { x: '1' },
      version: 'HTTP/1.1',
      framing: { kind: 'length', length: 3 },
      keepAlive: true,
    });
    expect(result.head.headers.get('x-a')).to.equal('1, 2');
  });

  it('resumes a HeadScan where it stopped, giving the same head as one whole read', () => {
    const text = 'GET /x HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nAccept: */*\r\n\r\n';
    const scan = newHeadScan();
    for (let cut = 1; cut < text.length; cut++)
      expect(parseRequestHead(bytes(text.slice(0, cut)), 0, DEFAULT_LIMITS, scan).kind).to.equal('incomplete');
    const resumed = parseRequestHead(bytes(text), 0, DEFAULT_LIMITS, scan);
    const whole = parseRequestHead(bytes(text));
    if (resumed.kind !== 'head' || whole.kind !== 'head') throw new Error('expected heads');
    expect(resumed.headLength).to.equal(whole.headLength);
    expect(resumed.head.headers.toJSON()).to.deep.equal(whole.head.headers.toJSON());
    expect({ ...resumed.head.cookies }).to.deep.equal({ a: '1' });
  });

  it('parses from an offset and counts headLength and limits from there', () => {
    const text = 'GET /b HTTP/1.1\r\nHost: a\r\n\r\n';
    const limits = { ...DEFAULT_LIMITS, maxHeaderBytes: text.length };
    expect(outcome(parseRequestHead(bytes('x'.repeat(100) + text), 100, limits))).to.equal(`head ${text.length}`);
  });

  it('does not read a body that came in the same buffer', () => {
    const text = 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n' + '\x00\r\n\n'.repeat(5);
    expect(outcome(parseRequestHead(bytes(text)))).to.equal(`head ${text.length - 20}`);
  });
});

const HEAD = 'POST /x HTTP/1.1\r\nHost: a\r\n';

describe('parseRequestHead() refuses at the first byte that makes the request invalid', () => {
  // what, the bytes up to and including the one that decides, the answer. The blank line is never sent.
  const cases: Array<[string, string, string]> = [
    ['a method with a byte outside a token', 'G(', '400 INVALID_METHOD'],
    ['a TLS handshake', '\x16', '400 TLS_HANDSHAKE'],
    ['a request line that starts with a space', ' ', '400 INVALID_REQUEST_LINE'],
    ['a space in the target: what follows it is not a version', 'GET /a b', '400 INVALID_VERSION'],
    ['a control character in the target', 'GET /a\x01', '400 INVALID_TARGET'],
    ['two spaces after the method', 'GET  ', '400 INVALID_TARGET'],
    ['a malformed percent-escape, once the target ends', 'GET /a%zz ', '400 INVALID_TARGET'],
    ['"*" for a method other than OPTIONS', 'GET * ', '400 INVALID_TARGET'],
    ['a host:port target for a method other than CONNECT', 'GET example.com:443 ', '400 INVALID_TARGET'],
    ['a CONNECT target that is not host:port', 'CONNECT /a ', '400 INVALID_TARGET'],
    [
      'a well-formed CONNECT, once its head ends',
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
      '501 CONNECT_NOT_IMPLEMENTED',
    ],
    ['a request line without a version', 'GET /\r', '400 INVALID_REQUEST_LINE'],
    ['HTTP/5.6, as soon as its major digit arrives', 'GET / HTTP/5', '505 UNSUPPORTED_VERSION'],
    ['HTTP/1.2', 'GET / HTTP/1.2', '505 UNSUPPORTED_VERSION'],
    ['a lower-case version', 'GET / h', '400 INVALID_VERSION'],
    ['a space after the version', 'GET / HTTP/1.1 ', '400 INVALID_VERSION'],
    ['a bare LF ending the request line', 'GET / HTTP/1.1\n', '400 LF_EXPECTED'],
    ['a CR not followed by LF', 'GET / HTTP/1.1\rH', '400 CR_EXPECTED'],
    ['an empty line made of a CR and something else', '\r\n\rX', '400 CR_EXPECTED'],
    ['a header name with a byte outside a token', HEAD + 'Bad(', '400 INVALID_HEADER_TOKEN'],
    ['a space before the colon', HEAD + 'Host ', '400 INVALID_HEADER_TOKEN'],
    ['obs-fold', HEAD + 'X: a\r\n ', '400 OBSOLETE_LINE_FOLDING'],
    ['a control character in a value', HEAD + 'X: a\x01', '400 INVALID_HEADER_VALUE'],
    ['a bare LF in a value', HEAD + 'X: a\n', '400 LF_EXPECTED'],
    ['a second Content-Length, once its line ends', HEAD + 'Content-Length: 1\r\nContent-Length: 1\r\n', '400 DUPLICATE_CONTENT_LENGTH'],
    ['a Content-Length of 16 digits', HEAD + 'Content-Length: 1234567890123456\r\n', '400 INVALID_CONTENT_LENGTH'],
    ['an empty Content-Length', HEAD + 'Content-Length: \r\n', '400 INVALID_CONTENT_LENGTH'],
    ['a Content-Length that is not digits', HEAD + 'Content-Length: 0x10\r\n', '400 INVALID_CONTENT_LENGTH'],
    ['a Content-Length over the body limit', HEAD + 'Content-Length: 1048577\r\n', '413 BODY_TOO_LARGE'],
    ['an unknown Transfer-Encoding', HEAD + 'Transfer-Encoding: gzip\r\n', '400 INVALID_TRANSFER_ENCODING'],
    ['chunked that is not the last coding', HEAD + 'Transfer-Encoding: chunked, gzip\r\n', '400 INVALID_TRANSFER_ENCODING'],
    ['a coding before chunked', HEAD + 'Transfer-Encoding: gzip, chunked\r\n', '501 UNSUPPORTED_TRANSFER_ENCODING'],
    ['Transfer-Encoding on HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n', '400 INVALID_TRANSFER_ENCODING'],
    [
      'Content-Length after Transfer-Encoding',
      HEAD + 'Transfer-Encoding: chunked\r\nContent-Length: 1\r\n',
      '400 UNEXPECTED_CONTENT_LENGTH',
    ],
    ['a second Host', HEAD + 'Host: b\r\n', '400 DUPLICATE_HOST'],
    ['a Host with a path in it', 'GET / HTTP/1.1\r\nHost: a/b\r\n', '400 INVALID_HOST'],
    ['an Expect other than 100-continue', HEAD + 'Expect: 200-ok\r\n', '417 EXPECTATION_FAILED'],
    [
      'a 101st field, at its first byte',
      HEAD + Array.from({ length: 99 }, (_, i) => `X-${i}: ${i}\r\n`).join('') + 'X',
      '431 TOO_MANY_HEADERS',
    ],
    ['a head one byte over the limit (here 2 KiB)', HEAD + 'X-Big: ' + 'a'.repeat(2048 - HEAD.length - 7 + 1), '431 HEADER_OVERFLOW'],
    ['empty lines before the request line without end', '\r\n'.repeat(1024) + '\r', '431 HEADER_OVERFLOW'],
  ];
  const limits = { ...DEFAULT_LIMITS, maxHeaderBytes: 2048 };
  for (const [what, text, expected] of cases) {
    it(`${what}: ${expected} at byte ${text.length}`, () => {
      const more = text + 'more bytes, never a blank line';
      expect(trickle(request(limits), more, true), 'with a HeadScan').to.deep.equal({ at: text.length, outcome: expected });
      expect(trickle(request(limits), more, false), 'without').to.deep.equal({ at: text.length, outcome: expected });
    });
  }

  it('431 at the byte past the default 16 KiB, complete head or not', () => {
    const text = HEAD + 'X-Big: ' + 'a'.repeat(16 * 1024 - HEAD.length - 7) + '\r\n\r\n';
    expect(outcome(parseRequestHead(bytes(text)))).to.equal('431 HEADER_OVERFLOW');
    expect(outcome(parseRequestHead(bytes(text.slice(0, 16 * 1024))))).to.equal('incomplete');
    expect(outcome(parseRequestHead(bytes(text.slice(0, 16 * 1024 + 1))))).to.equal('431 HEADER_OVERFLOW');
  });
});

describe('parseResponseHead()', () => {
  it('reads the status line and the fields', () => {
    const result = parseResponseHead(bytes('HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nVia: a\r\nvia: b\r\n\r\n'));
    if (result.kind !== 'head') throw new Error(outcome(result));
    expect([result.version, result.status, result.reason, result.headers.get('via')]).to.deep.equal(['HTTP/1.0', 404, 'Not Found', 'a, b']);
  });

  it('accepts an empty reason with or without its space, and any visible or obs-text bytes in the reason', () => {
    expect(outcome(parseResponseHead(bytes('HTTP/1.1 204\r\n\r\n')))).to.equal('head 16');
    const spaced = parseResponseHead(bytes('HTTP/1.1 200 \r\n\r\n'));
    expect(spaced.kind === 'head' && spaced.reason).to.equal('');
    const odd = parseResponseHead(bytes('HTTP/1.1 200 Fine \u00e9 \t!\r\n\r\n'));
    expect(odd.kind === 'head' && odd.reason).to.equal('Fine \u00e9 \t!');
  });

  it('refuses a head larger than maxBytes even when it arrives in one piece', () => {
    const text = 'HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(100) + '\r\n\r\n';
    expect(outcome(parseResponseHead(bytes(text), 0, text.length))).to.equal(`head ${text.length}`);
    expect(outcome(parseResponseHead(bytes(text), 0, text.length - 1))).to.equal('error HEADER_OVERFLOW');
  });

  it('says "invalid status line" for an answer that is not HTTP', () => {
    const result = parseResponseHead(bytes('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    expect(result.kind === 'error' && result.reason).to.match(/^invalid status line "S"/);
  });
});

describe('parseResponseHead() refuses at the first byte that makes the response invalid', () => {
  const cases: Array<[string, string, string]> = [
    ['an answer that is not HTTP', 'S', 'error INVALID_VERSION'],
    ['HTTP/2', 'HTTP/2', 'error UNSUPPORTED_VERSION'],
    ['a status code of four digits', 'HTTP/1.1 2000', 'error INVALID_STATUS'],
    ['a status code run into its reason', 'HTTP/1.1 200O', 'error INVALID_STATUS'],
    ['a status code of two digits', 'HTTP/1.1 20\r', 'error INVALID_STATUS'],
    ['a status code below 100', 'HTTP/1.1 0', 'error INVALID_STATUS'],
    ['a status code of 600 or more', 'HTTP/1.1 6', 'error INVALID_STATUS'],
    ['a control character in the reason (RFC 9112 §4)', 'HTTP/1.1 200 O\x00', 'error INVALID_STATUS'],
    ['DEL in the reason', 'HTTP/1.1 200 O\x7f', 'error INVALID_STATUS'],
    ['a bare LF ending the status line', 'HTTP/1.1 200 OK\n', 'error LF_EXPECTED'],
    ['a CR not followed by LF', 'HTTP/1.1 200 OK\rX', 'error CR_EXPECTED'],
    ['a header name with a space', 'HTTP/1.1 200 OK\r\nBad ', 'error INVALID_HEADER_TOKEN'],
    ['a bare LF after a field', 'HTTP/1.1 200 OK\r\nA: b\n', 'error LF_EXPECTED'],
    ['a 201st field', 'HTTP/1.1 200 OK\r\n' + 'A: b\r\n'.repeat(200) + 'A', 'error TOO_MANY_HEADERS'],
    [
      'a head one byte over maxBytes (here 4 KiB), arriving in pieces',
      'HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(4096 - 20 + 1),
      'error HEADER_OVERFLOW',
    ],
  ];
  for (const [what, text, expected] of cases) {
    it(`${what}: ${expected} at byte ${text.length}`, () => {
      const more = text + 'more bytes, never a blank line';
      expect(trickle(response(4096), more, true), 'with a HeadScan').to.deep.equal({ at: text.length, outcome: expected });
      expect(trickle(response(4096), more, false), 'without').to.deep.equal({ at: text.length, outcome: expected });
    });
  }
});

describe('the same answer however the bytes arrive', () => {
  const requests = [
    'GET /a?b=c HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n',
    '\r\n\r\nGET / HTTP/1.0\r\n\r\n',
    'GET http://h:1/p HTTP/1.1\r\nHost: other\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n',
    'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET / HTTP/5.6\r\nHost: a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nBad Header\r\n\r\n',
    'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'a'.repeat(16 * 1024) + '\r\n\r\n',
  ];
  const responses = [
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
    'HTTP/1.1 2000 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nA: b\r\nC\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(4096) + '\r\n\r\n',
  ];
  const corpus: Array<[string, Parse, string]> = [
    ...requests.map((text): [string, Parse, string] => ['request', request(), text]),
    ...responses.map((text): [string, Parse, string] => ['response', response(4096), text]),
  ];
  for (const [kind, parse, text] of corpus) {
    it(`${kind} ${JSON.stringify(text.slice(0, 48))}: whole, or split in two anywhere, with or without a HeadScan`, () => {
      const whole = bytes(text);
      const expected = outcome(parse(whole));
      const step = text.length > 2000 ? 61 : 1;
      for (let cut = 0; cut < whole.length; cut += step) {
        for (const scan of [newHeadScan(), undefined]) {
          const first = parse(whole.subarray(0, cut), scan);
          const answer = first.kind === 'incomplete' ? parse(whole, scan) : first;
          expect(outcome(answer), `cut at byte ${cut}, ${scan ? 'with' : 'without'} a HeadScan`).to.equal(expected);
        }
      }
      expect(trickle(parse, text, true).outcome).to.equal(expected);
    });
  }
});
