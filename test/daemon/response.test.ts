/**
 * Responses as values and the one serializer: what `toResponse` makes of each handler result, which
 * headers `serializeHead` decides on its own, and how cookies are formatted.
 * Tests for `daemon/response.ts` (WeApRous `daemon/response.py`).
 */

import { expect } from 'chai';
import {
  bodyAllowed,
  errorResponse,
  formatCookie,
  html,
  httpDate,
  isResponse,
  json,
  jsonText,
  redirect,
  response,
  serializeHead,
  setCookie,
  stream,
  text,
  toResponse,
  type Response,
} from '../../daemon/response';

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

async function* chunks(): AsyncGenerator<string> {
  yield 'a';
}

/** The header lines of a serialized head, without the status line and the blank line. */
function lines(res: Response, options: Parameters<typeof serializeHead>[1] = { close: false }): string[] {
  const { head } = serializeHead(res, options);
  expect(head.endsWith('\r\n\r\n')).to.equal(true);
  return head.slice(0, -4).split('\r\n');
}

function field(all: string[], name: string): string[] {
  const prefix = name.toLowerCase() + ': ';
  return all.filter((line) => line.toLowerCase().startsWith(prefix)).map((line) => line.slice(prefix.length));
}

describe('serializeHead()', () => {
  it('writes the status line with the reason phrase', () => {
    expect(lines(response(404))[0]).to.equal('HTTP/1.1 404 Not Found');
    expect(lines(response(299))[0]).to.equal('HTTP/1.1 299 OK');
  });

  it('sets Date in IMF-fixdate form (RFC 9110 §5.6.7)', () => {
    const [date] = field(lines(response(200, 'x')), 'Date');
    expect(date).to.match(IMF_FIXDATE);
  });

  it('sets Content-Length from a Buffer body, counting bytes rather than characters', () => {
    expect(field(lines(response(200, 'h\u00e9llo')), 'Content-Length')).to.deep.equal(['6']);
  });

  it('sets Content-Length: 0 for no body', () => {
    expect(field(lines(response(200)), 'Content-Length')).to.deep.equal(['0']);
  });

  it('sends no Content-Length with 204 and 304', () => {
    expect(field(lines(response(204)), 'Content-Length')).to.deep.equal([]);
    expect(field(lines(response(304, 'x')), 'Content-Length')).to.deep.equal([]);
  });

  it('says keep-alive or close in Connection as asked', () => {
    expect(field(lines(response(200), { close: false }), 'Connection')).to.deep.equal(['keep-alive']);
    expect(field(lines(response(200), { close: true }), 'Connection')).to.deep.equal(['close']);
  });

  it('ignores framing and Date headers a handler set, so they cannot contradict the body', () => {
    const res = response(200, 'abc', { 'Content-Length': '99', 'Transfer-Encoding': 'chunked', Connection: 'upgrade', Date: 'yesterday' });
    const all = lines(res);
    expect(field(all, 'Content-Length')).to.deep.equal(['3']);
    expect(field(all, 'Transfer-Encoding')).to.deep.equal([]);
    expect(field(all, 'Connection')).to.deep.equal(['keep-alive']);
    expect(field(all, 'Date')[0]).to.match(IMF_FIXDATE);
  });

  it('keeps the spelling of other headers and writes one line per Set-Cookie value', () => {
    const res = setCookie(setCookie(response(200, '', { 'X-Thing': 'yes' }), 'a', '1'), 'b', '2');
    const all = lines(res);
    expect(all).to.include('X-Thing: yes');
    expect(field(all, 'Set-Cookie')).to.deep.equal(['a=1', 'b=2']);
  });

  it('streams with Transfer-Encoding: chunked on HTTP/1.1', () => {
    const result = serializeHead(stream(chunks()), { close: false });
    expect(result.chunked).to.equal(true);
    expect(result.close).to.equal(false);
    expect(result.head).to.include('Transfer-Encoding: chunked\r\n');
    expect(result.head).to.not.include('Content-Length');
  });

  it('streams to HTTP/1.0 by closing the connection, without chunked framing', () => {
    const result = serializeHead(stream(chunks()), { close: false, http10: true });
    expect(result).to.include({ chunked: false, close: true });
    expect(result.head).to.not.include('Transfer-Encoding');
    expect(result.head).to.include('Connection: close\r\n');
  });

  it('answers HEAD with the headers GET would get but no chunked body to write', () => {
    const result = serializeHead(stream(chunks()), { close: false, headRequest: true });
    expect(result.chunked).to.equal(false);
    expect(result.head).to.include('Transfer-Encoding: chunked\r\n');
  });

  it('refuses a header value or name with CR, LF or NUL instead of splitting the response', () => {
    expect(() => serializeHead(response(200, '', { Location: '/a\r\nSet-Cookie: evil=1' }), { close: false })).to.throw(TypeError);
    expect(() => serializeHead(response(200, '', { X: 'a\nb' }), { close: false })).to.throw(TypeError);
    expect(() => serializeHead(response(200, '', { X: 'a\0b' }), { close: false })).to.throw(TypeError);
    expect(() => serializeHead(response(200, '', { 'X\r\nEvil': 'a' }), { close: false })).to.throw(TypeError);
    expect(() => serializeHead(response(200, '', { 'Set-Cookie': ['ok=1', 'bad=1\r\nX: y'] }), { close: false })).to.throw(TypeError);
  });

  it('refuses a header name that is not a token, which would make the header block unreadable', () => {
    expect(() => serializeHead(response(200, '', { 'Bad Name': 'v' }), { close: false })).to.throw(TypeError);
    expect(() => serializeHead(response(200, '', { 'X:Y': 'v' }), { close: false })).to.throw(TypeError);
    expect(() => serializeHead(response(200, '', { '': 'v' }), { close: false })).to.throw(TypeError);
  });

  it('refuses a status that is not a final three-digit code (RFC 9110 §15), instead of writing a broken status line', () => {
    for (const status of [99, 100, 101, 199, 600, 1000, NaN, 200.5, '200' as unknown as number]) {
      expect(() => serializeHead(response(status, ''), { close: false }), String(status)).to.throw(TypeError);
    }
    expect(() => serializeHead(response(599, ''), { close: false })).to.not.throw();
  });

  it('refuses a body that is not bytes, a stream or null, instead of failing later on the socket', () => {
    for (const body of [7, 'text', { a: 1 }, [Buffer.from('a')], undefined]) {
      const res = response(200);
      res.body = body as never;
      expect(() => serializeHead(res, { close: false }), String(body)).to.throw(TypeError);
    }
  });
});

describe('httpDate()', () => {
  it('formats a time as IMF-fixdate', () => {
    expect(httpDate(Date.UTC(1994, 10, 6, 8, 49, 37))).to.equal('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(httpDate(Date.UTC(2024, 0, 1, 0, 0, 0, 999))).to.equal('Mon, 01 Jan 2024 00:00:00 GMT');
  });
});

describe('bodyAllowed()', () => {
  it('is false for 1xx, 204 and 304 only', () => {
    expect([100, 101, 200, 204, 301, 304, 404, 500].map(bodyAllowed)).to.deep.equal([false, false, true, false, true, false, true, true]);
  });
});

describe('formatCookie()', () => {
  it('writes only the name and value when there are no options', () => {
    expect(formatCookie('auth', 'true')).to.equal('auth=true');
  });

  it('writes every attribute in a fixed order', () => {
    const cookie = formatCookie('sid', 'abc', {
      path: '/',
      domain: 'example.com',
      maxAge: 3600.9,
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
    });
    expect(cookie).to.equal('sid=abc; Path=/; Domain=example.com; Max-Age=3600; HttpOnly; Secure; SameSite=Lax');
  });

  it('writes Max-Age=0 to delete a cookie', () => {
    expect(formatCookie('sid', '', { maxAge: 0 })).to.equal('sid=; Max-Age=0');
  });

  it('adds Secure whenever SameSite=None, as browsers require', () => {
    expect(formatCookie('a', 'b', { sameSite: 'None' })).to.equal('a=b; Secure; SameSite=None');
  });

  it('percent-encodes a value with characters a cookie cannot carry', () => {
    expect(formatCookie('user', 'al ice;x="1"')).to.equal('user=al%20ice%3Bx%3D%221%22');
  });

  it('throws on a name that is not a token', () => {
    expect(() => formatCookie('bad name', 'x')).to.throw(TypeError);
    expect(() => formatCookie('a=b', 'x')).to.throw(TypeError);
    expect(() => formatCookie('', 'x')).to.throw(TypeError);
  });

  it('throws on a path or domain that would add attributes of its own', () => {
    expect(() => formatCookie('a', 'b', { path: '/; Domain=evil.example' })).to.throw(TypeError);
    expect(() => formatCookie('a', 'b', { domain: 'x.example; HttpOnly' })).to.throw(TypeError);
  });
});

describe('setCookie()', () => {
  it('adds a Set-Cookie value, keeping those already set', () => {
    const res = response(200, '', { 'Set-Cookie': 'first=1' });
    expect(setCookie(res, 'auth', 'true', { httpOnly: true })).to.equal(res);
    expect(res.headers.get('set-cookie')).to.deep.equal(['first=1', 'auth=true; HttpOnly']);
  });
});

describe('toResponse()', () => {
  it('sends a plain string as text/plain', () => {
    const res = toResponse('hello');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect((res.body as Buffer).toString()).to.equal('hello');
  });

  it('sends a string that starts with a tag as text/html', () => {
    expect(toResponse('  <!doctype html><p>hi</p>').headers.get('content-type')).to.equal('text/html; charset=utf-8');
  });

  it('sends a Buffer as application/octet-stream, the same bytes', () => {
    const bytes = Buffer.from([0, 1, 255]);
    const res = toResponse(bytes);
    expect(res.headers.get('content-type')).to.equal('application/octet-stream');
    expect(res.body).to.equal(bytes);
  });

  it('sends an object or an array as JSON', () => {
    const res = toResponse({ status: 'ok', peers: [1] });
    expect(res.status).to.equal(200); // an object with a `status` field is data, not a Response
    expect(res.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    expect(JSON.parse((res.body as Buffer).toString())).to.deep.equal({ status: 'ok', peers: [1] });
    expect((toResponse([1, 2]).body as Buffer).toString()).to.equal('[1,2]');
  });

  it('answers undefined or null with 204 No Content', () => {
    expect(toResponse(undefined).status).to.equal(204);
    expect(toResponse(null).status).to.equal(204);
  });

  it('passes a Response through unchanged', () => {
    const res = text('x', 201);
    expect(toResponse(res)).to.equal(res);
  });

  it('throws on a value JSON cannot represent (a function, a symbol), instead of an empty 200', () => {
    expect(() => toResponse((() => 1) as never)).to.throw(TypeError, /function/);
    expect(() => toResponse(Symbol('x') as never)).to.throw(TypeError, /symbol/);
    expect(() => json(undefined)).to.throw(TypeError);
  });

  it('does not mistake a look-alike object for a Response', () => {
    const fake = { status: 500, headers: {}, body: null };
    expect(isResponse(fake)).to.equal(false);
    expect(toResponse(fake).status).to.equal(200);
  });
});

describe('response helpers', () => {
  it('json() sets the content type and status', () => {
    const res = json({ a: 1 }, 201);
    expect(res.status).to.equal(201);
    expect((res.body as Buffer).toString()).to.equal('{"a":1}');
  });

  it('json() and jsonText() say Cache-Control: no-store, so no cache keeps an answer about state (RFC 9111 §5.2.2.5)', () => {
    for (const res of [json({ a: 1 }), jsonText('{"a":1}'), jsonText(Buffer.from('{}'), 404)]) {
      expect(res.headers.get('Content-Type')).to.equal('application/json; charset=utf-8');
      expect(res.headers.get('Cache-Control')).to.equal('no-store');
    }
  });

  it('html() and text() set their content types', () => {
    expect(html('<p>').headers.get('Content-Type')).to.equal('text/html; charset=utf-8');
    expect(text('x').headers.get('Content-Type')).to.equal('text/plain; charset=utf-8');
  });

  it('redirect() sets Location with 302 unless told otherwise', () => {
    expect(redirect('/login')).to.include({ status: 302, body: null });
    expect(redirect('/login').headers.get('location')).to.equal('/login');
    expect(redirect('/x', 303).status).to.equal(303);
  });

  it('errorResponse() answers JSON by default and text when asked', () => {
    expect(JSON.parse((errorResponse(400, 'Bad thing').body as Buffer).toString())).to.deep.equal({ status: 'error', error: 'Bad thing' });
    const plain = errorResponse(404, 'Nope', false);
    expect(plain.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect((plain.body as Buffer).toString()).to.equal('Nope\n');
  });
});
