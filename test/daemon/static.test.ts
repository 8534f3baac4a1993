/**
 * Specification of daemon/static.ts: files under one folder, with validators and 304s, and never a byte
 * from outside that folder. Requests are parsed from raw bytes, so percent-decoding is the real one.
 */

import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { parseRequest, type Request } from '../../daemon/request';
import { WeApRous } from '../../daemon/weaprous';
import { HttpClient } from '../../daemon/client';
import { checkRelativePath, serveFile, staticRoutes } from '../../daemon/static';
import type { Response } from '../../daemon/response';
import type { Backend } from '../../daemon/backend';

const MTIME = new Date('2026-01-02T03:04:05Z');
const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';

/** tmp/www is served; tmp/secret.txt and tmp/www-secret/ are outside it. */
function makeTree(): { tmp: string; root: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'weaprous-static-'));
  const root = join(tmp, 'www');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(tmp, 'www-secret'));
  const files: Record<string, string> = {
    'www/hello.txt': 'hello\n',
    'www/page.html': '<p>hi</p>',
    'www/styles.css': 'p{}',
    'www/app.js': '1;',
    'www/logo.svg': '<svg/>',
    'www/data.bin': 'xx',
    'www/.env': SECRET,
    'www/sub/index.html': '<p>sub</p>',
    'secret.txt': SECRET,
    'www-secret/x.txt': SECRET,
  };
  for (const [name, body] of Object.entries(files)) {
    writeFileSync(join(tmp, name), body);
    utimesSync(join(tmp, name), MTIME, MTIME);
  }
  symlinkSync(join(tmp, 'secret.txt'), join(root, 'link-out'));
  symlinkSync(join(tmp, 'www-secret', 'x.txt'), join(root, 'link-sibling'));
  symlinkSync(join(root, 'hello.txt'), join(root, 'link-in'));
  return { tmp, root };
}

/** A request parsed from bytes: `req('GET /static/a.css', 'If-None-Match: "x"')`. */
function req(line: string, ...fields: string[]): Request {
  const raw = `${line} HTTP/1.1\r\nHost: test\r\n${fields.map((f) => f + '\r\n').join('')}\r\n`;
  const parsed = parseRequest(Buffer.from(raw, 'latin1'));
  if (parsed.kind !== 'request') throw new Error(`fixture did not parse: ${line}`);
  return parsed.request;
}

/** Writes `raw` on a fresh connection and resolves with everything read until the server closes it. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(raw));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

function bodyText(res: Response): string {
  return Buffer.isBuffer(res.body) ? res.body.toString('utf8') : '';
}

describe('static files (daemon/static.ts)', () => {
  let tmp: string;
  let root: string;
  let app: WeApRous;
  const get = async (line: string, ...fields: string[]) => app.handle(req(line, ...fields));

  before(() => {
    ({ tmp, root } = makeTree());
    app = staticRoutes(new WeApRous(), { prefix: '/static/', root });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('serveStatic() through staticRoutes()', () => {
    it('answers a file with its type, validators, Cache-Control and nosniff', async () => {
      const res = await get('GET /static/hello.txt');
      expect(res.status).to.equal(200);
      expect(bodyText(res)).to.equal('hello\n');
      expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
      expect(res.headers.get('etag')).to.match(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
      expect(res.headers.get('last-modified')).to.equal(MTIME.toUTCString());
      expect(res.headers.get('cache-control')).to.equal('no-cache');
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    });

    it('names the Content-Type of html, css, js, svg and unknown files', async () => {
      const types: Record<string, string> = {
        'page.html': 'text/html; charset=utf-8',
        'styles.css': 'text/css; charset=utf-8',
        'app.js': 'text/javascript; charset=utf-8',
        'logo.svg': 'image/svg+xml; charset=utf-8',
        'data.bin': 'application/octet-stream',
      };
      for (const [name, type] of Object.entries(types)) {
        expect((await get(`GET /static/${name}`)).headers.get('content-type'), name).to.equal(type);
      }
    });

    it('serves index.html for a folder, and 404 for a folder without one', async () => {
      expect(bodyText(await get('GET /static/sub/'))).to.equal('<p>sub</p>');
      expect(bodyText(await get('GET /static/sub'))).to.equal('<p>sub</p>');
      expect((await get('GET /static/empty/')).status).to.equal(404);
    });

    it('answers 404 for a missing file and for a path through a file', async () => {
      expect((await get('GET /static/nope.css')).status).to.equal(404);
      expect((await get('GET /static/hello.txt/more')).status).to.equal(404);
    });

    it('answers 404 for a file path with a trailing slash, which names a folder', async () => {
      expect((await get('GET /static/hello.txt/')).status).to.equal(404);
      expect((await get('GET /static/hello.txt/.')).status).to.equal(404);
      expect((await get('GET /static/link-in/')).status).to.equal(404);
      expect(bodyText(await get('GET /static/sub/.'))).to.equal('<p>sub</p>');
    });

    it('follows a symlink that stays inside the folder', async () => {
      expect(bodyText(await get('GET /static/link-in'))).to.equal('hello\n');
    });

    it('refuses POST with 405 and names GET and HEAD in Allow', async () => {
      const res = await get('POST /static/hello.txt');
      expect(res.status).to.equal(405);
      expect(res.headers.get('allow')).to.equal('GET, HEAD');
    });
  });

  describe('path safety', () => {
    const attempts: Array<[string, number]> = [
      ['GET /static/../secret.txt', 403],
      ['GET /static/sub/../../secret.txt', 403],
      ['GET /static/%2e%2e/secret.txt', 403],
      ['GET /static/%2E%2E%2Fsecret.txt', 403],
      ['GET /static/%252e%252e/secret.txt', 403],
      ['GET /static/%252e%252e%252fsecret.txt', 403],
      ['GET /static/..%5csecret.txt', 403],
      ['GET /static/..\\secret.txt', 403],
      ['GET /static//etc/passwd', 403],
      ['GET /static/C:/Windows/win.ini', 403],
      ['GET /static/hello.txt%00.png', 403],
      ['GET /static/link-out', 403],
      ['GET /static/link-sibling', 403],
      ['GET /static/.env', 404],
      ['GET /static/sub/%2e%2e/.env', 403],
    ];
    for (const [line, status] of attempts) {
      it(`${line.slice(4)} → ${status}, and no secret`, async () => {
        const res = await get(line);
        expect(res.status).to.equal(status);
        expect(bodyText(res)).not.to.include(SECRET);
      });
    }

    it('checkRelativePath() explains why a path is refused', () => {
      expect(checkRelativePath('css/a.css')).to.deep.equal(['css', 'a.css']);
      expect(checkRelativePath('./css//a.css')).to.deep.equal(['css', 'a.css']);
      expect(checkRelativePath('a/../../b')).to.include({ status: 403 }).and.have.property('reason').that.includes('..');
      expect(checkRelativePath('/etc/passwd')).to.have.property('reason').that.includes('absolute');
    });
  });

  describe('conditional GET (RFC 9110 §13)', () => {
    let etag: string;
    before(async () => {
      etag = (await get('GET /static/hello.txt')).headers.get('etag') as string;
    });

    it('answers 304 with validators and no body when If-None-Match matches', async () => {
      const res = await get('GET /static/hello.txt', `If-None-Match: ${etag}`);
      expect(res.status).to.equal(304);
      expect(res.body).to.equal(null);
      expect(res.headers.get('etag')).to.equal(etag);
      expect(res.headers.get('cache-control')).to.equal('no-cache');
    });

    it('compares entity tags weakly, in a list, and matches "*"', async () => {
      const strong = etag.slice(2);
      expect((await get('GET /static/hello.txt', `If-None-Match: ${strong}`)).status).to.equal(304);
      expect((await get('GET /static/hello.txt', `If-None-Match: "other", ${etag}`)).status).to.equal(304);
      expect((await get('GET /static/hello.txt', 'If-None-Match: *')).status).to.equal(304);
      expect((await get('GET /static/hello.txt', 'If-None-Match: "other"')).status).to.equal(200);
    });

    it('answers 304 when If-Modified-Since is at or after Last-Modified, 200 when before', async () => {
      expect((await get('GET /static/hello.txt', `If-Modified-Since: ${MTIME.toUTCString()}`)).status).to.equal(304);
      const before = new Date(MTIME.getTime() - 1000).toUTCString();
      expect((await get('GET /static/hello.txt', `If-Modified-Since: ${before}`)).status).to.equal(200);
    });

    it('ignores an If-Modified-Since that is not a date', async () => {
      expect((await get('GET /static/hello.txt', 'If-Modified-Since: yesterday-ish')).status).to.equal(200);
    });

    it('lets If-None-Match take precedence over If-Modified-Since', async () => {
      const res = await get('GET /static/hello.txt', 'If-None-Match: "other"', `If-Modified-Since: ${MTIME.toUTCString()}`);
      expect(res.status).to.equal(200);
    });

    it('evaluates preconditions for GET and HEAD only: a POST answered with a file gets the file, without validators', async () => {
      const res = await serveFile(root, 'hello.txt', req('POST /login', `If-None-Match: ${etag}`));
      expect(res.status).to.equal(200);
      expect([res.headers.has('etag'), res.headers.has('last-modified')]).to.deep.equal([false, false]);
    });

    it('sends no validators with a non-200 page', async () => {
      const res = await serveFile(root, 'page.html', req('GET /'), { status: 401, cacheControl: 'no-store' });
      expect(res.status).to.equal(401);
      expect(res.headers.has('etag')).to.equal(false);
      expect(res.headers.get('cache-control')).to.equal('no-store');
    });
  });

  describe('over a real socket', () => {
    let backend: Backend;
    let client: HttpClient;
    before(async () => {
      const served = staticRoutes(new WeApRous(), { prefix: '/static/', root });
      served.addRoute('GET', '/big', (request) => serveFile(root, 'hello.txt', request, { streamFromBytes: 1 }));
      backend = await served.prepareAddress('127.0.0.1', 0).run();
      client = new HttpClient({ timeoutMs: 10_000 });
    });
    after(async () => {
      client.close();
      await backend.close();
    });
    const url = (path: string) => `http://127.0.0.1:${backend.address().port}${path}`;

    it('answers HEAD with the GET headers and no body, and the connection stays usable', async () => {
      const head = await client.request(url('/static/styles.css'), { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(head.headers.get('content-length')).to.equal('3');
      expect(head.headers.get('content-type')).to.equal('text/css; charset=utf-8');
      expect(head.body.length).to.equal(0);
      // Stray body bytes after the HEAD would corrupt this next response on the same pooled connection.
      const next = await client.request(url('/static/hello.txt'));
      expect(next.text()).to.equal('hello\n');
    });

    it('answers a conditional GET with 304 on the wire', async () => {
      const first = await client.request(url('/static/hello.txt'));
      const again = await client.request(url('/static/hello.txt'), { headers: { 'If-None-Match': first.headers.get('etag')! } });
      expect(again.status).to.equal(304);
      expect(again.body.length).to.equal(0);
    });

    it('streams a large file chunked, with the same bytes', async () => {
      const res = await client.request(url('/big'));
      expect(res.headers.get('transfer-encoding')).to.equal('chunked');
      expect(res.text()).to.equal('hello\n');
    });

    // HttpClient (like a browser's URL parser) removes dot segments, so these go out as raw bytes.
    for (const target of ['/static/../secret.txt', '/static/%2e%2e/secret.txt', '/static/%252e%252e/secret.txt']) {
      it(`refuses ${target} sent raw on the wire`, async () => {
        const reply = await rawExchange(backend.address().port, `GET ${target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
        expect(reply).to.match(/^HTTP\/1\.1 403 Forbidden\r\n/);
        expect(reply).not.to.include(SECRET);
      });
    }
  });
});
