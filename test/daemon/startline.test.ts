/**
 * The start line on its own: `scanStartLine` reading a request line or a status line part by part, as
 * parser.ts drives it, with the refusal at the first byte that cannot belong. Whole heads, every split and
 * the response side are in parser.test.ts. Tests for `daemon/startline.ts` (new).
 */

import { expect } from 'chai';
import { newHeadScan } from '../../daemon/parser';
import { EMPTY_LINES, FIELDS, scanStartLine, START_LINE_LF, STATUS_LINE, type StartLineScan } from '../../daemon/startline';

/** A head scan (parser.ts's, which is a start-line scan and more) placed at `part`. */
function newScan(part: number): StartLineScan {
  const scan = newHeadScan();
  scan.part = part;
  return scan;
}

/** Drives the scan the way parser.ts does, until the start line's LF is due; returns the scan or the refusal code. */
function read(text: string, part: number): StartLineScan | string {
  const scan = newScan(part);
  while (scan.part < START_LINE_LF) {
    const step = scanStartLine(text, scan);
    if (step === 'incomplete') return 'incomplete';
    if (step !== null && step !== 'done') return step.error.code;
  }
  return scan;
}

describe('scanStartLine()', () => {
  it('reads method, target (with its path and query) and version, skipping empty lines before them', () => {
    const scan = read('\r\nGET /a%20b?x=1 HTTP/1.0\r\n', EMPTY_LINES) as StartLineScan;
    expect([scan.method, scan.target, scan.path, scan.query.x, scan.version]).to.deep.equal(['GET', '/a%20b?x=1', '/a b', '1', 'HTTP/1.0']);
    expect(scan.framing.version).to.equal('HTTP/1.0');
    expect(scan.part).to.equal(START_LINE_LF);
  });

  it('reads the host:port of a CONNECT (authority-form, RFC 9112 §3.2.3) as its target and authority', () => {
    const scan = read('CONNECT example.com:443 HTTP/1.1\r\n', EMPTY_LINES) as StartLineScan;
    expect([scan.method, scan.target, scan.authority, scan.path]).to.deep.equal(['CONNECT', 'example.com:443', 'example.com:443', '']);
  });

  it('says incomplete, not wrong, while the line is a valid beginning', () => {
    for (const text of ['G', 'GET', 'GET ', 'GET /a', 'GET /a HTTP/1', 'GET /a HTTP/1.1'])
      expect(read(text, EMPTY_LINES)).to.equal('incomplete');
  });

  for (const [text, code] of [
    ['GE@', 'INVALID_METHOD'],
    ['\x16\x03\x01', 'TLS_HANDSHAKE'],
    ['GET /a\x01', 'INVALID_TARGET'],
    ['GET /a b', 'INVALID_VERSION'],
    ['GET / HTTP/2', 'UNSUPPORTED_VERSION'],
    ['GET / HTTP/1.1x', 'INVALID_VERSION'],
    ['GET\n', 'LF_EXPECTED'],
    ['PUT * ', 'INVALID_TARGET'],
  ]) {
    it(`refuses "${JSON.stringify(text).slice(1, -1)}" with ${code} at its last byte`, () => {
      expect(read(text, EMPTY_LINES)).to.equal(code);
    });
  }

  it('reads a status line: version, three-digit code and reason', () => {
    const scan = read('HTTP/1.1 404 Not Found\r\n', STATUS_LINE) as StartLineScan;
    expect([scan.version, scan.status, scan.reason]).to.deep.equal(['HTTP/1.1', 404, 'Not Found']);
    expect(scan.part).to.be.below(FIELDS);
  });

  it('refuses a four-digit status code at its fourth digit', () => {
    expect(read('HTTP/1.1 2000', STATUS_LINE)).to.equal('INVALID_STATUS');
  });
});
