/**
 * What `--trace` hides: cookie values, `Authorization`, and fields named like secrets in a query string, a
 * form body or JSON. Tests for `daemon/mask.ts`.
 */

import { expect } from 'chai';
import { maskBody, maskField, maskHead, maskQuery } from '../../daemon/mask';

describe('maskField()', () => {
  it('hides every Cookie value and keeps the names (RFC 6265 §5.4)', () => {
    expect(maskField('Cookie: auth=true; sid=abc123')).to.equal('Cookie: auth=***; sid=***');
  });

  it('hides only the value of a Set-Cookie pair, not its attributes (RFC 6265 §4.1)', () => {
    expect(maskField('Set-Cookie: session=tok3n; Path=/; HttpOnly; SameSite=Strict')).to.equal(
      'Set-Cookie: session=***; Path=/; HttpOnly; SameSite=Strict',
    );
  });

  it('hides the credentials of Authorization and Proxy-Authorization, keeping the scheme (RFC 9110 §11.6.2)', () => {
    expect(maskField('Authorization: Basic YWRtaW46cGFzc3dvcmQ=')).to.equal('Authorization: Basic ***');
    expect(maskField('authorization: Bearer eyJhbGci.x.y')).to.equal('authorization: Bearer ***');
    expect(maskField('Proxy-Authorization: s3cret')).to.equal('Proxy-Authorization: ***');
  });

  it('hides a token in a Location, and leaves other fields as they are', () => {
    expect(maskField('Location: /login/?token=abc&next=/')).to.equal('Location: /login/?token=***&next=/');
    expect(maskField('Content-Type: text/html; charset=utf-8')).to.equal('Content-Type: text/html; charset=utf-8');
  });
});

describe('maskQuery()', () => {
  it('hides ?token= and password= in a request target, whatever their place', () => {
    expect(maskQuery('/login/?token=rT8TAXwKj_a-Wf2F1')).to.equal('/login/?token=***');
    expect(maskQuery('/x?a=1&password=p&b=2')).to.equal('/x?a=1&password=***&b=2');
    expect(maskQuery('/x?tokens=1&monkey=2')).to.equal('/x?tokens=1&monkey=2');
  });
});

describe('maskBody()', () => {
  it('hides password= in a form body', () => {
    expect(maskBody('username=admin&password=hunter2')).to.equal('username=admin&password=***');
  });

  it('hides "password" and "signature" in JSON, escaped quotes and all', () => {
    expect(maskBody('{"name":"Alice","password":"a\\"b","signature":"MEUCIQ=="}')).to.equal(
      '{"name":"Alice","password":"***","signature":"***"}',
    );
    expect(maskBody('{"password" : "x"}')).to.equal('{"password" : "***"}');
  });

  it('hides a secret the body was cut in the middle of', () => {
    expect(maskBody('{"signature":"MEUCIQDx')).to.equal('{"signature":"***');
  });

  it('leaves a public key and a message alone', () => {
    const body = '{"publicKey":"MCowBQYDK2VwAyEA","message":"hi"}';
    expect(maskBody(body)).to.equal(body);
  });
});

describe('maskHead()', () => {
  it('masks the request line and each field, dropping the blank line that ends the head', () => {
    const head = 'GET /login/?token=abc HTTP/1.1\r\nHost: a\r\nCookie: auth=true\r\n\r\n';
    expect(maskHead(head)).to.deep.equal(['GET /login/?token=*** HTTP/1.1', 'Host: a', 'Cookie: auth=***']);
  });

  it('leaves a status line as it is', () => {
    expect(maskHead('HTTP/1.1 302 Found\r\nLocation: /?token=x\r\n\r\n')).to.deep.equal(['HTTP/1.1 302 Found', 'Location: /?token=***']);
  });
});
