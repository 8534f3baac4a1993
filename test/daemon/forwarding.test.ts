/**
 * What the proxy changes in a message on the way through (hop-by-hop fields, X-Forwarded-*, Via,
 * proxy_set_header, absolute-form) and how BodyTracker finds the end of a body it does not keep.
 * Tests for `daemon/forwarding.ts` (pure; the rewriting WeApRous `daemon/proxy.py` never did).
 */

import { expect } from 'chai';
import { BodyTracker, clientResponseHead, hopByHopNames, upstreamRequestHead } from '../../daemon/forwarding';
import { parseHead, type RequestHead } from '../../daemon/request';
import { parseResponseHead } from '../../daemon/client';
import { parseProxyConfig, type VirtualHost } from '../../daemon/proxyconf';

function vhost(extra = ''): VirtualHost {
  const result = parseProxyConfig(`host "app:8080" { proxy_pass http://127.0.0.1:9000; ${extra} }`);
  if (result.kind === 'error') throw new Error(result.message);
  return result.hosts[0];
}

function head(raw: string): { head: RequestHead; raw: string } {
  const result = parseHead(Buffer.from(raw, 'latin1'));
  if (result.kind !== 'head') throw new Error('fixture does not parse');
  return { head: result.head, raw: raw.slice(0, result.headLength) };
}

/** The rewritten head as `[request line, ...header lines]`. */
function forwarded(raw: string, extra = '', client = '::ffff:10.0.0.7'): string[] {
  const parsed = head(raw);
  const out = upstreamRequestHead(parsed.raw, parsed.head, vhost(extra), client).toString('latin1');
  expect(out.endsWith('\r\n\r\n')).to.equal(true);
  return out.slice(0, -4).split('\r\n');
}

describe('hopByHopNames()', () => {
  it('holds the fixed set plus every name listed in Connection (RFC 9110 §7.6.1)', () => {
    const names = hopByHopNames('keep-alive, X-Secret ,Upgrade');
    for (const name of ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'x-secret']) {
      expect(names.has(name), name).to.equal(true);
    }
    expect(names.has('content-length')).to.equal(false);
  });

  it('never holds Content-Length, Transfer-Encoding or Host, whatever Connection lists, in any case (request smuggling)', () => {
    const names = hopByHopNames('keep-alive, Content-Length, TRANSFER-ENCODING, host, X-A');
    expect([...names].filter((n) => ['content-length', 'transfer-encoding', 'host'].includes(n))).to.deep.equal([]);
    expect(names.has('x-a')).to.equal(true);
  });
});

describe('upstreamRequestHead()', () => {
  it('keeps the method, target and end-to-end fields, and adds X-Forwarded-* and Via', () => {
    const lines = forwarded('POST /login?next=%2F HTTP/1.1\r\nHost: app:8080\r\nCookie: a=1\r\nContent-Length: 3\r\n\r\n');
    expect(lines).to.deep.equal([
      'POST /login?next=%2F HTTP/1.1',
      'Host: app:8080',
      'Cookie: a=1',
      'Content-Length: 3',
      'X-Forwarded-For: 10.0.0.7',
      'X-Forwarded-Host: app:8080',
      'X-Forwarded-Proto: http',
      'Via: 1.1 weaprous',
    ]);
  });

  it('removes hop-by-hop fields, including those Connection names', () => {
    const lines = forwarded(
      'GET / HTTP/1.1\r\nHost: app\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\n' +
        'Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: websocket\r\nTrailer: X-T\r\nX-End: 2\r\n\r\n',
    );
    expect(lines.slice(0, 3)).to.deep.equal(['GET / HTTP/1.1', 'Host: app', 'X-End: 2']);
    expect(lines.join('\n')).not.to.match(/keep-alive|x-hop|proxy-connection|te:|upgrade|trailer/i);
  });

  it('appends to an X-Forwarded-For and a Via that are already there', () => {
    const lines = forwarded('GET / HTTP/1.1\r\nHost: app\r\nX-Forwarded-For: 1.2.3.4\r\nVia: 1.0 edge\r\n\r\n', '', '127.0.0.1');
    expect(lines).to.include('X-Forwarded-For: 1.2.3.4, 127.0.0.1');
    expect(lines).to.include('Via: 1.0 edge, 1.1 weaprous');
  });

  it('applies proxy_set_header with $host and $remote_addr, replacing the field, and an empty value removes it', () => {
    const lines = forwarded(
      'GET / HTTP/1.1\r\nHost: app:8080\r\nUser-Agent: curl\r\nX-Real-IP: spoofed\r\n\r\n',
      'proxy_set_header Host $host; proxy_set_header X-Real-IP $remote_addr; proxy_set_header User-Agent "";',
    );
    expect(lines.filter((l) => /^host:/i.test(l))).to.deep.equal(['Host: app:8080']);
    expect(lines).to.include('X-Real-IP: 10.0.0.7');
    expect(lines.join('\n')).not.to.match(/spoofed|User-Agent/);
  });

  it('keeps Content-Length, Transfer-Encoding and Host that Connection lists, so the backend frames the body as we did', () => {
    const cl = forwarded('POST /login HTTP/1.1\r\nHost: app\r\nConnection: keep-alive, Content-Length, Host\r\nContent-Length: 32\r\n\r\n');
    expect(cl).to.include('Content-Length: 32');
    expect(cl).to.include('Host: app');
    const te = forwarded(
      'POST / HTTP/1.1\r\nHost: app\r\nConnection: Transfer-Encoding, te\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    expect(te).to.include('Transfer-Encoding: chunked');
    expect(te.join('\n')).not.to.match(/^te:/im);
  });

  it('lets no client line through for a field proxy_set_header owns: case variants, duplicates, listed in Connection, set to ""', () => {
    const lines = forwarded(
      'GET / HTTP/1.1\r\nHost: app\r\nConnection: x-real-ip\r\nx-real-ip: 6.6.6.6\r\nX-REAL-IP: 7.7.7.7\r\nX-User: admin\r\nx-user: root\r\n\r\n',
      'proxy_set_header X-Real-IP $remote_addr; proxy_set_header X-User "";',
    );
    expect(lines.filter((l) => /^x-real-ip:/i.test(l))).to.deep.equal(['X-Real-IP: 10.0.0.7']);
    expect(lines.join('\n')).not.to.match(/6\.6\.6\.6|7\.7\.7\.7|x-user|admin|root/i);
  });

  it('sends one X-Forwarded-For when proxy_set_header sets it: the configured one', () => {
    const lines = forwarded(
      'GET / HTTP/1.1\r\nHost: app\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n',
      'proxy_set_header X-Forwarded-For $remote_addr;',
    );
    expect(lines.filter((l) => /^x-forwarded-for:/i.test(l))).to.deep.equal(['X-Forwarded-For: 10.0.0.7']);
  });

  it("replaces a client's X-Forwarded-Host and X-Forwarded-Proto, and puts the real address last in X-Forwarded-For", () => {
    const lines = forwarded(
      'GET / HTTP/1.1\r\nHost: app\r\nX-Forwarded-Host: admin.internal\r\nx-forwarded-proto: https\r\nX-Forwarded-For: 127.0.0.1\r\nx-forwarded-for: 10.9.9.9\r\n\r\n',
    );
    expect(lines.filter((l) => /^x-forwarded-/i.test(l))).to.deep.equal([
      'X-Forwarded-For: 127.0.0.1, 10.9.9.9, 10.0.0.7',
      'X-Forwarded-Host: app',
      'X-Forwarded-Proto: http',
    ]);
  });

  it('sends the origin form to the backend when the client used the absolute form', () => {
    expect(forwarded('GET http://app:8080/a/b?c=1 HTTP/1.1\r\nHost: app:8080\r\n\r\n')[0]).to.equal('GET /a/b?c=1 HTTP/1.1');
  });

  it('sends the host of an absolute-form target as Host, since that is the host the client asked for (RFC 9112 §3.2.2)', () => {
    const lines = forwarded('GET http://app:8080/a HTTP/1.1\r\nHost: other:1\r\nX-End: 2\r\n\r\n');
    expect(lines.filter((l) => /^host:/i.test(l))).to.deep.equal(['Host: app:8080']);
    expect(lines).to.include('X-End: 2');
    expect(lines).to.include('X-Forwarded-Host: app:8080');
  });

  it('speaks HTTP/1.1 to the backend even for an HTTP/1.0 client', () => {
    expect(forwarded('GET / HTTP/1.0\r\nHost: app\r\n\r\n')[0]).to.equal('GET / HTTP/1.1');
  });
});

describe('clientResponseHead()', () => {
  const raw =
    'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: auth=true; Path=/\r\nSet-Cookie: b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT\r\n' +
    'Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n';
  const info = parseResponseHead(Buffer.from(raw, 'latin1'));
  if (info.kind !== 'head') throw new Error('fixture does not parse');

  it('keeps each Set-Cookie line, drops hop-by-hop fields, adds Via and our Connection', () => {
    const lines = clientResponseHead(raw, info, { connection: 'close' }).toString('latin1').split('\r\n');
    expect(lines).to.deep.equal([
      'HTTP/1.1 200 OK',
      'Content-Type: text/html',
      'Set-Cookie: auth=true; Path=/',
      'Set-Cookie: b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
      'Transfer-Encoding: chunked',
      'Via: 1.1 weaprous',
      'Connection: close',
      '',
      '',
    ]);
  });

  it('drops Transfer-Encoding when the body is decoded for an HTTP/1.0 client', () => {
    const text = clientResponseHead(raw, info, { connection: 'close', dechunk: true }).toString('latin1');
    expect(text).not.to.include('Transfer-Encoding');
  });

  it('drops a Content-Length that came with Transfer-Encoding, so the client cannot frame the body by it (RFC 9112 §6.3)', () => {
    const both = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n';
    const parsed = parseResponseHead(Buffer.from(both, 'latin1'));
    if (parsed.kind !== 'head') throw new Error('fixture does not parse');
    for (const dechunk of [false, true]) {
      expect(clientResponseHead(both, parsed, { connection: 'close', dechunk }).toString('latin1')).not.to.match(/content-length/i);
    }
  });
});

describe('clientResponseHead() for responses that have no body', () => {
  const lines = (raw: string) => {
    const parsed = parseResponseHead(Buffer.from(raw, 'latin1'));
    if (parsed.kind !== 'head') throw new Error('fixture does not parse');
    return clientResponseHead(raw, parsed, { connection: 'keep-alive' }).toString('latin1').split('\r\n');
  };

  for (const status of ['100 Continue', '103 Early Hints', '204 No Content', '304 Not Modified']) {
    it(`drops Content-Length and Transfer-Encoding from a ${status} (RFC 9110 §8.6, §15.3.5; RFC 9112 §6.1)`, () => {
      const out = lines(`HTTP/1.1 ${status}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nETag: "a"\r\n\r\n`);
      expect(out.join('\n')).not.to.match(/content-length|transfer-encoding/i);
      expect(out).to.include('ETag: "a"');
    });
  }

  it('keeps a Content-Length the backend listed in Connection: the client must frame the body as we do', () => {
    expect(lines('HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\n')).to.include('Content-Length: 5');
  });
});

describe('BodyTracker', () => {
  it('finds the end of a Content-Length body and leaves the next request alone', () => {
    const tracker = new BodyTracker({ kind: 'length', length: 5 });
    expect(tracker.push(Buffer.from('abc'))).to.deep.equal({ kind: 'progress', used: 3, done: false, data: null });
    expect(tracker.push(Buffer.from('deGET /'))).to.deep.equal({ kind: 'progress', used: 2, done: true, data: null });
    expect(tracker.done).to.equal(true);
  });

  it('is done at once when there is no body', () => {
    const tracker = new BodyTracker({ kind: 'none' });
    expect(tracker.done).to.equal(true);
    expect(tracker.push(Buffer.from('GET /'))).to.deep.include({ used: 0, done: true });
  });

  const chunked = '4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n';
  const next = 'GET /next HTTP/1.1\r\n';
  const wire = Buffer.from(chunked + next, 'latin1');

  it('finds the end of a chunked body split at every byte', () => {
    for (let split = 0; split <= wire.length; split++) {
      const tracker = new BodyTracker({ kind: 'chunked' });
      let used = 0;
      for (const piece of [wire.subarray(0, split), wire.subarray(split)]) {
        const result = tracker.push(piece);
        if (result.kind === 'error') throw new Error(result.error.reason);
        used += result.used;
        if (result.done) break;
      }
      expect(used, `split at ${split}`).to.equal(chunked.length);
      expect(tracker.done).to.equal(true);
    }
  });

  it('finds the end of a chunked body fed one byte at a time, and decodes it on request', () => {
    const tracker = new BodyTracker({ kind: 'chunked' }, Number.MAX_SAFE_INTEGER, true);
    const data: Buffer[] = [];
    let used = 0;
    for (let i = 0; i < wire.length && !tracker.done; i++) {
      const result = tracker.push(wire.subarray(i, i + 1));
      if (result.kind === 'error') throw new Error(result.error.reason);
      used += result.used;
      data.push(...(result.data ?? []));
    }
    expect(used).to.equal(chunked.length);
    expect(Buffer.concat(data).toString()).to.equal('Wikipedia');
  });

  it('reports malformed chunked framing', () => {
    const result = new BodyTracker({ kind: 'chunked' }).push(Buffer.from('zz\r\n'));
    expect(result.kind).to.equal('error');
  });

  it('never ends a close-delimited body by itself', () => {
    const tracker = new BodyTracker({ kind: 'close' });
    expect(tracker.push(Buffer.from('anything'))).to.deep.include({ used: 8, done: false });
  });
});
