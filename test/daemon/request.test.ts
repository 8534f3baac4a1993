/**
 * The request parser, byte by byte: every fixture is parsed whole and split at every offset, and every
 * way a request can be refused has its status. Tests for `daemon/request.ts` (WeApRous `daemon/request.py`).
 */

import { expect } from 'chai';
import {
  DEFAULT_LIMITS,
  newBodyState,
  newHeadScan,
  parseCookies,
  parseHead,
  parseQueryString,
  parseRequest,
  readBody,
  type ParseError,
  type ParserLimits,
  type Request,
} from '../../daemon/request';

const FIXTURES = {
  getWithQuery: 'GET /channels/general%20chat/?user=an+na&x=%26&flag HTTP/1.1\r\nHost: localhost:8000\r\nAccept: */*\r\n\r\n',
  postWithLength:
    'POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n\r\n' +
    'username=admin&password=pw!',
  chunked:
    'POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5;name=value\r\nhello\r\n7 ; a ; b="q ;x"\r\n, world\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n',
  http10: 'GET /index.html HTTP/1.0\r\nUser-Agent: old\r\n\r\n',
  cookies: 'GET / HTTP/1.1\r\nHost: a\r\nCookie: auth=true; user="alice"; theme=dark%20blue\r\nCookie: extra=1\r\n\r\n',
  absoluteForm: 'GET http://example.com:8080/a%20b/c?q=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n',
  leadingEmptyLine: '\r\nGET /after-empty HTTP/1.1\r\nHost: a\r\n\r\n',
};

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** Parses a fixture that must be one whole request using exactly all of its bytes. */
function parse(text: string, limits?: ParserLimits): Request {
  const result = parseRequest(bytes(text), limits);
  if (result.kind !== 'request') throw new Error(`expected a request, got ${JSON.stringify(result)}`);
  expect(result.bytesConsumed).to.equal(text.length);
  return result.request;
}

/** Parses text that must be refused, returning why. */
function refused(text: string, limits?: ParserLimits): ParseError {
  const result = parseRequest(bytes(text), limits);
  if (result.kind !== 'error') throw new Error(`expected an error, got ${result.kind}`);
  expect(result.error.reason).to.be.a('string').and.not.equal('');
  return result.error;
}

describe('parseRequest()', () => {
  it('decodes the path and query of a GET', () => {
    const request = parse(FIXTURES.getWithQuery);
    expect(request.method).to.equal('GET');
    expect(request.target).to.equal('/channels/general%20chat/?user=an+na&x=%26&flag');
    expect(request.path).to.equal('/channels/general chat/');
    expect({ ...request.query }).to.deep.equal({ user: 'an na', x: '&', flag: '' });
    expect(request.version).to.equal('HTTP/1.1');
    expect(request.headers.get('HOST')).to.equal('localhost:8000');
    expect(request.framing).to.deep.equal({ kind: 'none' });
    expect(request.keepAlive).to.equal(true);
    expect(request.body.length).to.equal(0);
  });

  it('reads a body of exactly Content-Length bytes', () => {
    const request = parse(FIXTURES.postWithLength);
    expect(request.framing).to.deep.equal({ kind: 'length', length: 27 });
    expect(request.body.toString()).to.equal('username=admin&password=pw!');
  });

  it('decodes a chunked body, skipping chunk extensions and trailer fields', () => {
    const request = parse(FIXTURES.chunked);
    expect(request.framing).to.deep.equal({ kind: 'chunked' });
    expect(request.body.toString()).to.equal('hello, world');
    expect(request.headers.has('x-checksum')).to.equal(false); // trailers are read past, not merged
  });

  it('accepts HTTP/1.0 without Host and does not keep the connection alive', () => {
    const request = parse(FIXTURES.http10);
    expect(request.version).to.equal('HTTP/1.0');
    expect(request.keepAlive).to.equal(false);
  });

  it('keeps an HTTP/1.0 connection alive only when asked, and closes HTTP/1.1 on "Connection: close"', () => {
    expect(parse('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').keepAlive).to.equal(true);
    expect(parse('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').keepAlive).to.equal(false);
  });

  it('parses cookies, joining repeated Cookie fields and unquoting values', () => {
    const request = parse(FIXTURES.cookies);
    expect({ ...request.cookies }).to.deep.equal({ auth: 'true', user: 'alice', theme: 'dark blue', extra: '1' });
    expect(request.headers.get('cookie')).to.equal('auth=true; user="alice"; theme=dark%20blue; extra=1');
  });

  it('keeps only the path and query of an absolute-form target', () => {
    const request = parse(FIXTURES.absoluteForm);
    expect(request.target).to.equal('http://example.com:8080/a%20b/c?q=1');
    expect(request.path).to.equal('/a b/c');
    expect({ ...request.query }).to.deep.equal({ q: '1' });
  });

  it('takes the host of an absolute-form target over the Host header (RFC 9112 §3.2.2)', () => {
    const request = parse('GET http://Example.com:8080/a HTTP/1.1\r\nHost: other.test\r\n\r\n');
    expect(request.headers.get('host')).to.equal('Example.com:8080');
    expect(request.path).to.equal('/a');
  });

  it('accepts "*" as the target of OPTIONS only (RFC 9112 §3.2.4)', () => {
    expect(parse('OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n').path).to.equal('*');
  });

  it('ignores an empty line before the request line (RFC 9112 §2.2)', () => {
    expect(parse(FIXTURES.leadingEmptyLine).path).to.equal('/after-empty');
  });

  it('joins a repeated header with ", "', () => {
    const request = parse('GET / HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\naccept: text/plain\r\n\r\n');
    expect(request.headers.get('Accept')).to.equal('text/html, text/plain');
  });

  it('sets expectContinue only for an HTTP/1.1 request with a body', () => {
    const head = 'PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n';
    const result = parseHead(bytes(head));
    expect(result.kind === 'head' && result.head.expectContinue).to.equal(true);
    expect(parse('GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n').expectContinue).to.equal(false);
  });

  for (const [name, text] of Object.entries(FIXTURES)) {
    it(`returns incomplete for every proper prefix of the ${name} fixture, then the request`, () => {
      const whole = bytes(text);
      const expected = parse(text);
      for (let cut = 0; cut < whole.length; cut++) {
        const result = parseRequest(whole.subarray(0, cut));
        expect(result.kind, `cut at byte ${cut}`).to.equal('incomplete');
      }
      const again = parse(text);
      expect(again.body.equals(expected.body)).to.equal(true);
      expect(again.path).to.equal(expected.path);
    });
  }

  it('slices two pipelined requests apart with bytesConsumed', () => {
    const buf = bytes(FIXTURES.postWithLength + FIXTURES.getWithQuery);
    const first = parseRequest(buf);
    if (first.kind !== 'request') throw new Error(first.kind);
    expect(first.request.body.toString()).to.equal('username=admin&password=pw!');
    expect(first.bytesConsumed).to.equal(FIXTURES.postWithLength.length);
    const second = parseRequest(buf.subarray(first.bytesConsumed));
    if (second.kind !== 'request') throw new Error(second.kind);
    expect(second.request.path).to.equal('/channels/general chat/');
    expect(second.bytesConsumed).to.equal(FIXTURES.getWithQuery.length);
  });

  it('slices a chunked request from the one after it', () => {
    const buf = bytes(FIXTURES.chunked + FIXTURES.http10);
    const first = parseRequest(buf);
    if (first.kind !== 'request') throw new Error(first.kind);
    expect(first.bytesConsumed).to.equal(FIXTURES.chunked.length);
    const second = parseRequest(buf.subarray(first.bytesConsumed));
    expect(second.kind === 'request' && second.request.path).to.equal('/index.html');
  });
});

describe('parseHead()', () => {
  it('returns incomplete until the blank line arrives', () => {
    const text = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
    expect(parseHead(bytes(text.slice(0, -2))).kind).to.equal('incomplete');
    const result = parseHead(bytes(text));
    expect(result.kind === 'head' && result.headLength).to.equal(text.length);
  });

  it('parses from an offset and counts headLength from there', () => {
    const text = 'GET /b HTTP/1.1\r\nHost: a\r\n\r\n';
    const result = parseHead(bytes('xxxx' + text), 4);
    expect(result.kind === 'head' && result.headLength).to.equal(text.length);
  });
});

describe('readBody() with a chunked body', () => {
  it('resumes with the same BodyState as bytes arrive one at a time', () => {
    const whole = bytes(FIXTURES.chunked);
    const head = parseHead(whole);
    if (head.kind !== 'head') throw new Error(head.kind);
    const state = newBodyState();
    for (let cut = head.headLength; cut < whole.length; cut++) {
      const result = readBody(whole.subarray(0, cut), head.headLength, head.head.framing, state);
      expect(result.kind, `cut at byte ${cut}`).to.equal('incomplete');
    }
    const result = readBody(whole, head.headLength, head.head.framing, state);
    if (result.kind !== 'body') throw new Error(result.kind);
    expect(result.body.toString()).to.equal('hello, world');
    expect(result.end).to.equal(whole.length);
  });

  it('resumes when a later buffer holds the earlier bytes plus more (as the adapter concatenates)', () => {
    const whole = bytes(FIXTURES.chunked);
    const head = parseHead(whole);
    if (head.kind !== 'head') throw new Error(head.kind);
    const state = newBodyState();
    let result;
    for (let cut = head.headLength + 3; ; cut = Math.min(whole.length, cut + 7)) {
      const copy = Buffer.from(whole.subarray(0, cut)); // a fresh buffer each time, like Buffer.concat
      result = readBody(copy, head.headLength, head.head.framing, state);
      if (cut === whole.length) break;
      expect(result.kind).to.equal('incomplete');
    }
    expect(result.kind === 'body' && result.body.toString()).to.equal('hello, world');
  });
});

const LIMITS_10: ParserLimits = { ...DEFAULT_LIMITS, maxBodyBytes: 10 };
const CHUNKED_HEAD = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';

const REFUSALS: Array<[string, string, number, string?]> = [
  [
    'Content-Length together with Transfer-Encoding',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
    400,
    'UNEXPECTED_CONTENT_LENGTH',
  ],
  [
    'a duplicate Content-Length, even with equal values',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
    400,
    'DUPLICATE_CONTENT_LENGTH',
  ],
  ['Content-Length: -1', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', 400, 'INVALID_CONTENT_LENGTH'],
  ['Content-Length: 1.5', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1.5\r\n\r\n', 400, 'INVALID_CONTENT_LENGTH'],
  ['Content-Length: abc', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n', 400, 'INVALID_CONTENT_LENGTH'],
  ['Content-Length: " 12x"', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  12x\r\n\r\n', 400, 'INVALID_CONTENT_LENGTH'],
  ['Content-Length: "3, 3"', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc', 400, 'INVALID_CONTENT_LENGTH'],
  [
    'Transfer-Encoding whose last coding is not chunked',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
    400,
    'INVALID_TRANSFER_ENCODING',
  ],
  ['Transfer-Encoding: gzip', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n', 400, 'INVALID_TRANSFER_ENCODING'],
  [
    'Transfer-Encoding: gzip, chunked as not implemented',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
    501,
    'UNSUPPORTED_TRANSFER_ENCODING',
  ],
  [
    'chunked applied twice (RFC 9112 §6.1), even in two fields',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
    400,
    'INVALID_TRANSFER_ENCODING',
  ],
  ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'INVALID_TRANSFER_ENCODING'],
  ['bare LF line endings', 'GET / HTTP/1.1\nHost: a\n\n', 400],
  ['a bare LF inside an otherwise CRLF head', 'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n', 400],
  ['a bare CR', 'GET / HTTP/1.1\rHost: a\r\n\r\n', 400],
  ['a bare CR inside a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n', 400],
  ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 400, 'INVALID_HEADER_TOKEN'],
  ['"(" in a header name', 'GET / HTTP/1.1\r\nHost: a\r\nBad(Name): x\r\n\r\n', 400, 'INVALID_HEADER_TOKEN'],
  ['a quote in a header name', 'GET / HTTP/1.1\r\nHost: a\r\nX"Y: x\r\n\r\n', 400, 'INVALID_HEADER_TOKEN'],
  ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n', 400, 'INVALID_HEADER'],
  ['a control character in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n', 400, 'INVALID_HEADER_VALUE'],
  ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n', 400, 'INVALID_HEADER_VALUE'],
  ['DEL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n', 400, 'INVALID_HEADER_VALUE'],
  ['obs-fold (a header continued on the next line)', 'GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n two\r\n\r\n', 400, 'OBSOLETE_LINE_FOLDING'],
  ['a missing Host on HTTP/1.1', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400, 'MISSING_HOST'],
  ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'DUPLICATE_HOST'],
  ['a Host with a path in it', 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 400, 'INVALID_HOST'],
  ['HTTP/2.0 as unsupported', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505, 'UNSUPPORTED_VERSION'],
  ['HTTP/1.2 as unsupported', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', 505, 'UNSUPPORTED_VERSION'],
  ['a garbage version', 'GET / HTTX/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_VERSION'],
  ['a version without a minor number', 'GET / HTTP/1\r\nHost: a\r\n\r\n', 400, 'INVALID_VERSION'],
  ['a lower-case version', 'GET / http/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_VERSION'],
  ['a request line with two spaces', 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['a request line with no target', 'GET HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['a method that is not a token', 'G(T / HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_METHOD'],
  [
    'Expect with anything but 100-continue',
    'POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx',
    417,
    'EXPECTATION_FAILED',
  ],
  ['malformed percent-encoding in the path', 'GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_TARGET'],
  ['a truncated percent-escape in the path', 'GET /a%E0%A4%A HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_TARGET'],
  ['malformed percent-encoding in the query', 'GET /a?x=%G1 HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_TARGET'],
  ['a percent-escape that is not UTF-8', 'GET /a%FF HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_TARGET'],
  ['a target that is neither origin- nor absolute-form', 'GET a/b HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_TARGET'],
  ['"*" as the target of a method other than OPTIONS', 'GET * HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_TARGET'],
  ['an absolute-form target with user information', 'GET http://user:pw@a/ HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_TARGET'],
  ['an absolute-form target without a host', 'GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_TARGET'],
  ['a chunk size that is not hexadecimal', CHUNKED_HEAD + 'zz\r\nhello\r\n0\r\n\r\n', 400, 'INVALID_CHUNK_SIZE'],
  ['a chunk size with trailing spaces and no extension', CHUNKED_HEAD + '5 \r\nhello\r\n0\r\n\r\n', 400, 'INVALID_CHUNK_SIZE'],
  ['a negative chunk size', CHUNKED_HEAD + '-5\r\nhello\r\n0\r\n\r\n', 400, 'INVALID_CHUNK_SIZE'],
  ['chunk data not followed by CRLF', CHUNKED_HEAD + '5\r\nhelloXX0\r\n\r\n', 400, 'INVALID_CHUNK'],
  ['chunk data longer than its size', CHUNKED_HEAD + '3\r\nhello\r\n0\r\n\r\n', 400, 'INVALID_CHUNK'],
  ['a bare LF after a chunk size', CHUNKED_HEAD + '5\nhello\r\n0\r\n\r\n', 400, 'LF_EXPECTED'],
  ['an invalid trailer field', CHUNKED_HEAD + '0\r\nBad Trailer: x\r\n\r\n', 400],
  ['a Content-Length trailer field (RFC 9110 §6.5.1)', CHUNKED_HEAD + '0\r\nContent-Length: 5\r\n\r\n', 400, 'FORBIDDEN_TRAILER'],
  ['a Host trailer field', CHUNKED_HEAD + '5\r\nhello\r\n0\r\nhost: b\r\n\r\n', 400, 'FORBIDDEN_TRAILER'],
  ['a space in the target, read as the start of a version that is not one', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'INVALID_VERSION'],
  ['HTTP/5.6', 'GET / HTTP/5.6\r\nHost: a\r\n\r\n', 505, 'UNSUPPORTED_VERSION'],
  ['an empty Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n', 400, 'INVALID_CONTENT_LENGTH'],
  [
    'a Content-Length of 16 digits',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0000000000000001\r\n\r\nx',
    400,
    'INVALID_CONTENT_LENGTH',
  ],
  [
    'the first of two faults: a huge Content-Length before a bad line',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\nBad Header\r\n\r\n',
    413,
    'BODY_TOO_LARGE',
  ],
  [
    'the first of two faults: a bad byte before the 101st field',
    'GET / HTTP/1.1\r\nX: \x01\r\n' + 'X: 1\r\n'.repeat(100) + '\r\n',
    400,
    'INVALID_HEADER_VALUE',
  ],
];

describe('parseRequest() refuses', () => {
  for (const [what, text, status, code] of REFUSALS) {
    it(`${what} with ${status}`, () => {
      const error = refused(text);
      expect(error.status).to.equal(status);
      if (code) expect(error.code).to.equal(code);
    });
  }

  it('bare LF at once, without waiting for a blank line that will never come', () => {
    expect(refused('GET / HTTP/1.1\nHost: a\n').status).to.equal(400);
    expect(refused('GET / HTTP/1.1\n').status).to.equal(400);
  });

  it('a method with a character outside a token at once, without waiting for the end of the line', () => {
    expect(parseRequest(bytes('GE')).kind).to.equal('incomplete');
    expect(refused('G(').code).to.equal('INVALID_METHOD');
  });

  it('a percent-escape that is not UTF-8, saying so rather than calling the escape malformed', () => {
    expect(refused('GET /caf%E9 HTTP/1.1\r\nHost: a\r\n\r\n').reason).to.include('UTF-8');
  });

  it('a TLS handshake (https:// sent to this plain HTTP port) at once, saying so', () => {
    const clientHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
    const result = parseRequest(clientHello);
    if (result.kind !== 'error') throw new Error(`expected an error, got ${result.kind}`);
    expect(result.error.status).to.equal(400);
    expect(result.error.reason).to.include('http://');
  });

  it('bare CR at once, as soon as the byte after it is not LF', () => {
    expect(parseRequest(bytes('GET / HTTP/1.1\r')).kind).to.equal('incomplete');
    expect(refused('GET / HTTP/1.1\rH').status).to.equal(400);
  });

  it('a header block over 16 KiB with 431, complete or not', () => {
    const big = 'X-Big: ' + 'a'.repeat(16 * 1024) + '\r\n';
    expect(refused(`GET / HTTP/1.1\r\nHost: a\r\n${big}\r\n`).status).to.equal(431);
    expect(refused(`GET / HTTP/1.1\r\nHost: a\r\n${big}`).status).to.equal(431);
  });

  it('accepts a header block of exactly the limit', () => {
    const limits = { ...DEFAULT_LIMITS, maxHeaderBytes: 64 };
    const text = 'GET / HTTP/1.1\r\nHost: a\r\nX: ' + 'a'.repeat(64 - 32) + '\r\n\r\n';
    expect(text.length).to.equal(64);
    expect(parse(text, limits).path).to.equal('/');
    expect(refused(text.replace('X: ', 'X: a'), limits).status).to.equal(431);
  });

  it('endless empty lines before the request line with 431 instead of buffering them forever', () => {
    expect(refused('\r\n'.repeat(9000)).status).to.equal(431);
  });

  it('more than 100 header fields with 431, and accepts exactly 100', () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join('');
    expect(parse(`GET / HTTP/1.1\r\nHost: a\r\n${fields(99)}\r\n`).headers.size).to.equal(100);
    const error = refused(`GET / HTTP/1.1\r\nHost: a\r\n${fields(100)}\r\n`);
    expect(error.status).to.equal(431);
    expect(error.code).to.equal('TOO_MANY_HEADERS');
  });

  it('a Content-Length over the default 1 MiB limit with 413 from the head alone', () => {
    const head = (n: number) => `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${n}\r\n\r\n`;
    expect(parseHead(bytes(head(1024 * 1024))).kind).to.equal('head');
    const error = refused(head(1024 * 1024 + 1));
    expect(error.status).to.equal(413);
    expect(error.code).to.equal('BODY_TOO_LARGE');
  });

  it('a Content-Length over a configured limit with 413', () => {
    expect(parse('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789', LIMITS_10).body.length).to.equal(10);
    expect(refused('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n', LIMITS_10).status).to.equal(413);
  });

  it('a chunk that would pass the limit with 413 as soon as its size line arrives', () => {
    expect(refused(CHUNKED_HEAD + '100001\r\n').status).to.equal(413); // 1 MiB + 1, no data sent
    expect(refused(CHUNKED_HEAD + '6\r\nabcdef\r\n5\r\n', LIMITS_10).status).to.equal(413);
    expect(parse(CHUNKED_HEAD + '6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n', LIMITS_10).body.toString()).to.equal('abcdefghij');
  });

  it('endless chunk extensions or trailer fields instead of buffering them forever', () => {
    const ext = ';x=' + 'e'.repeat(1000);
    const manyExtensions = CHUNKED_HEAD + Array.from({ length: 40 }, () => `1${ext}\r\na\r\n`).join('');
    expect(refused(manyExtensions).status).to.equal(413);
    const manyTrailers = CHUNKED_HEAD + '0\r\n' + Array.from({ length: 40 }, (_, i) => `X-${i}: ${'t'.repeat(1000)}\r\n`).join('');
    expect(refused(manyTrailers).status).to.equal(431);
  });
});

/** What one parse answered, in one line: `incomplete`, `400 CODE`, or `request <bytesConsumed> <body>`. */
function outcome(result: ReturnType<typeof parseRequest>): string {
  if (result.kind === 'incomplete') return 'incomplete';
  if (result.kind === 'error') return `${result.error.status} ${result.error.code}`;
  return `request ${result.bytesConsumed} ${JSON.stringify(result.request.body.toString('latin1'))}`;
}

/** The buffer read in two pieces, split at `cut`, as the adapter does: one HeadScan and one BodyState throughout. */
function inTwoReads(whole: Buffer, cut: number): string {
  const scan = newHeadScan();
  const bodyState = newBodyState();
  let head: Extract<ReturnType<typeof parseHead>, { kind: 'head' }> | null = null;
  for (const buf of [whole.subarray(0, cut), whole]) {
    if (head === null) {
      const result = parseHead(buf, 0, DEFAULT_LIMITS, scan);
      if (result.kind === 'error') return `${result.error.status} ${result.error.code}`;
      if (result.kind === 'incomplete') continue;
      head = result;
    }
    const body = readBody(buf, head.headLength, head.head.framing, bodyState);
    if (body.kind === 'error') return `${body.error.status} ${body.error.code}`;
    if (body.kind === 'body') return `request ${body.end} ${JSON.stringify(body.body.toString('latin1'))}`;
  }
  return 'incomplete';
}

describe('parseRequest() gives the same answer however the bytes arrive', () => {
  const corpus: Array<[string, string]> = [
    ...Object.entries(FIXTURES),
    ...REFUSALS.filter(([, text]) => text.length < 2000).map(([what, text]): [string, string] => [what, text]),
  ];
  for (const [what, text] of corpus) {
    it(`${what}: split in two at every byte, read from scratch or resumed`, () => {
      const whole = bytes(text);
      const expected = outcome(parseRequest(whole));
      for (let cut = 0; cut < whole.length; cut++) {
        const first = parseRequest(whole.subarray(0, cut));
        expect(outcome(first.kind === 'incomplete' ? parseRequest(whole) : first), `cut at byte ${cut}, from scratch`).to.equal(expected);
        expect(inTwoReads(whole, cut), `cut at byte ${cut}, resumed`).to.equal(expected);
      }
    });
  }
});

describe('parseQueryString()', () => {
  it('decodes names and values, "+" as a space and "%2B" as a plus', () => {
    expect({ ...parseQueryString('a=1&b=two+words&c=%2B&d') }).to.deep.equal({ a: '1', b: 'two words', c: '+', d: '' });
  });

  it('keeps the last of a repeated name and skips empty pairs', () => {
    expect({ ...parseQueryString('a=1&&a=2&') }).to.deep.equal({ a: '2' });
  });

  it('returns null for a malformed escape', () => {
    expect(parseQueryString('a=%')).to.equal(null);
  });
});

describe('parseCookies()', () => {
  it('returns an empty object for no header', () => {
    expect({ ...parseCookies(undefined) }).to.deep.equal({});
  });

  it('skips malformed pairs and keeps the first of a repeated name', () => {
    expect({ ...parseCookies('bad; =x; a=1; a=2; b=%zz') }).to.deep.equal({ a: '1', b: '%zz' });
  });
});
