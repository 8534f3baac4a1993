/**
 * The WeApRous app with no network: `app.handle(request)` routes, decodes bodies, calls handlers and
 * turns their results and errors into responses; `route` works as a TC39 decorator and as a plain call.
 * Tests for `daemon/weaprous.ts` (WeApRous `daemon/weaprous.py`).
 */

import { expect } from 'chai';
import { WeApRous } from '../../daemon/weaprous';
import { HttpError } from '../../daemon/status';
import { parseRequest, type Request } from '../../daemon/request';
import { html, response, type Response } from '../../daemon/response';
import { exchange } from '../helpers/raw';

/** A request parsed from raw bytes, exactly as the adapter would hand it to the app. */
function req(raw: string): Request {
  const result = parseRequest(Buffer.from(raw, 'latin1'));
  if (result.kind !== 'request') throw new Error(`fixture does not parse: ${JSON.stringify(result)}`);
  return result.request;
}

function get(path: string, headers = ''): Request {
  return req(`GET ${path} HTTP/1.1\r\nHost: a\r\n${headers}\r\n`);
}

function post(path: string, type: string, body: string): Request {
  return req(`POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function bodyText(res: Response): string {
  return (res.body as Buffer).toString('utf8');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read parsed JSON of any shape
function bodyJson(res: Response): any {
  return JSON.parse(bodyText(res));
}

/** An app whose unexpected errors are collected instead of printed. */
function quietApp(): { app: WeApRous; errors: unknown[] } {
  const app = new WeApRous();
  const errors: unknown[] = [];
  app.onError = (error) => errors.push(error);
  return { app, errors };
}

describe('WeApRous', () => {
  describe('handle() routing', () => {
    it('answers /x and /x/ with the same route', async () => {
      const app = new WeApRous().addRoute('GET', '/x', () => 'x');
      expect(bodyText(await app.handle(get('/x')))).to.equal('x');
      expect(bodyText(await app.handle(get('/x/')))).to.equal('x');
    });

    it('passes :params and the decoded query to the handler', async () => {
      const app = new WeApRous().addRoute('GET', '/channels/:name/', (r) => ({ name: r.params.name, q: r.query.q }));
      expect(bodyJson(await app.handle(get('/channels/general%20chat/?q=a+b')))).to.deep.equal({ name: 'general chat', q: 'a b' });
    });

    it('answers an unknown path with 404 and a JSON reason', async () => {
      const res = await new WeApRous().handle(get('/missing'));
      expect(res.status).to.equal(404);
      expect(bodyJson(res)).to.deep.equal({ status: 'error', error: 'No route for /missing' });
    });

    it('answers a known path with the wrong method with 405 and Allow', async () => {
      const app = new WeApRous().addRoute(['GET', 'POST'], '/login', () => 'ok');
      const res = await app.handle(req('DELETE /login HTTP/1.1\r\nHost: a\r\n\r\n'));
      expect(res.status).to.equal(405);
      expect(res.headers.get('allow')).to.equal('GET, HEAD, POST');
      expect(bodyJson(res).error).to.include('use GET, HEAD, POST');
    });

    it('answers a method it does not implement with 501 and what it does implement, in JSON or in text', async () => {
      const app = new WeApRous().addRoute(['GET', 'POST'], '/login', () => 'ok');
      const res = await app.handle(req('FOO /login HTTP/1.1\r\nHost: a\r\n\r\n'));
      expect(res.status).to.equal(501);
      expect(bodyJson(res).error).to.equal('FOO is not a method this server implements; it answers GET, HEAD, POST.');
      const page = await app.handle(req('FOO /nowhere HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\n\r\n'));
      expect([page.status, page.headers.get('content-type')]).to.deep.equal([501, 'text/plain; charset=utf-8']);
    });

    it('answers "OPTIONS *" (a question about the server, RFC 9110 §9.3.7) with 204', async () => {
      const app = new WeApRous().addRoute('GET', '/page', () => 'page');
      const res = await app.handle(req('OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'));
      expect(res.status).to.equal(204);
    });

    it('answers HEAD with the GET route', async () => {
      const app = new WeApRous().addRoute('GET', '/page', () => 'page');
      const res = await app.handle(req('HEAD /page HTTP/1.1\r\nHost: a\r\n\r\n'));
      expect(res.status).to.equal(200); // the adapter, not the app, leaves the body out
    });

    it('answers errors in plain text to a browser that asks for HTML', async () => {
      const res = await new WeApRous().handle(get('/missing', 'Accept: text/html,*/*\r\n'));
      expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
      expect(bodyText(res)).to.equal('No route for /missing\n');
    });

    it('returns a Response synchronously when the handler is synchronous', () => {
      const res = new WeApRous().addRoute('GET', '/', () => 'sync').handle(get('/'));
      expect(res).to.not.be.instanceOf(Promise);
    });
  });

  describe('handle() bodies', () => {
    it('parses a JSON body into request.json', async () => {
      let seen: unknown;
      const app = new WeApRous().addRoute('POST', '/submit-info', (r) => {
        seen = r.json;
        return { ok: true };
      });
      const res = await app.handle(post('/submit-info', 'application/json; charset=utf-8', '{"ip":"10.0.0.1","port":5000}'));
      expect(res.status).to.equal(200);
      expect(seen).to.deep.equal({ ip: '10.0.0.1', port: 5000 });
    });

    it('parses a +json media type too', async () => {
      const app = new WeApRous().addRoute('POST', '/p', (r) => r.json as object);
      expect(bodyJson(await app.handle(post('/p', 'application/merge-patch+json', '{"a":1}')))).to.deep.equal({ a: 1 });
    });

    it("answers bad JSON with 400 and the parser's reason, without calling the handler", async () => {
      let called = false;
      const app = new WeApRous().addRoute('POST', '/p', () => {
        called = true;
      });
      const res = await app.handle(post('/p', 'application/json', '{"ip": '));
      expect(res.status).to.equal(400);
      expect(bodyJson(res).error).to.match(/^The body is not valid JSON: ./);
      expect(called).to.equal(false);
    });

    it('parses a form body into request.form', async () => {
      const app = new WeApRous().addRoute('POST', '/login', (r) => r.form ?? {});
      const res = await app.handle(post('/login', 'application/x-www-form-urlencoded', 'username=ad+min&password=p%26ss'));
      expect(bodyJson(res)).to.deep.equal({ username: 'ad min', password: 'p&ss' });
    });

    it('answers a form body with broken percent-encoding with 400', async () => {
      const app = new WeApRous().addRoute('POST', '/login', () => 'ok');
      const res = await app.handle(post('/login', 'application/x-www-form-urlencoded', 'a=%zz'));
      expect(res.status).to.equal(400);
      expect(bodyJson(res).error).to.include('percent-encoding');
    });

    it('leaves other bodies as raw bytes in request.body', async () => {
      const app = new WeApRous().addRoute('POST', '/raw', (r) => ({ json: r.json ?? null, form: r.form ?? null, body: r.body.toString() }));
      expect(bodyJson(await app.handle(post('/raw', 'text/plain', '{"a":1}')))).to.deep.equal({ json: null, form: null, body: '{"a":1}' });
    });
  });

  describe('handle() results', () => {
    const cases: Array<[string, unknown, number, string | undefined, string]> = [
      ['a string as text/plain', 'hello', 200, 'text/plain; charset=utf-8', 'hello'],
      ['an HTML string as text/html', '<h1>hi</h1>', 200, 'text/html; charset=utf-8', '<h1>hi</h1>'],
      ['a Buffer as octet-stream', Buffer.from('bytes'), 200, 'application/octet-stream', 'bytes'],
      ['an object as JSON', { peers: [] }, 200, 'application/json; charset=utf-8', '{"peers":[]}'],
      ['undefined as 204', undefined, 204, undefined, ''],
    ];
    for (const [what, value, status, type, body] of cases) {
      it(`turns ${what}`, async () => {
        const app = new WeApRous().addRoute('GET', '/', async () => value as never);
        const res = await app.handle(get('/'));
        expect(res.status).to.equal(status);
        expect(res.headers.get('content-type')).to.equal(type);
        expect(res.body === null ? '' : bodyText(res)).to.equal(body);
      });
    }

    it('waits for a thenable that is not a native Promise, instead of sending it as JSON', async () => {
      const thenable = { then: (resolve: (value: unknown) => void) => resolve({ from: 'thenable' }) };
      const app = new WeApRous().addRoute('GET', '/', () => thenable as never);
      expect(bodyJson(await app.handle(get('/')))).to.deep.equal({ from: 'thenable' });
    });

    for (const [what, value] of [
      ['a function', () => 1],
      ['a symbol', Symbol('s')],
      ['a BigInt', BigInt(1)],
    ] as const) {
      for (const async of [false, true]) {
        it(`answers ${what} returned ${async ? 'asynchronously' : 'synchronously'} with 500 and tells onError why`, async () => {
          const { app, errors } = quietApp();
          app.addRoute('GET', '/', async ? async () => value as never : () => value as never);
          const res = await app.handle(get('/'));
          expect(res.status).to.equal(500);
          expect(errors).to.have.length(1);
          expect(errors[0]).to.be.instanceOf(TypeError);
        });
      }
    }

    it('passes a Response through as it is', async () => {
      const made = html('<p>x</p>', 201);
      const app = new WeApRous().addRoute('GET', '/', () => made);
      expect(await app.handle(get('/'))).to.equal(made);
    });
  });

  describe('handle() errors', () => {
    it('exposes the message of a 4xx HttpError, with its headers', async () => {
      const app = new WeApRous().addRoute('GET', '/', () => {
        throw new HttpError(401, 'Log in first', { headers: { 'WWW-Authenticate': 'Cookie' } });
      });
      const res = await app.handle(get('/'));
      expect(res.status).to.equal(401);
      expect(bodyJson(res).error).to.equal('Log in first');
      expect(res.headers.get('www-authenticate')).to.equal('Cookie');
    });

    it('hides the message of a 5xx HttpError behind its reason phrase', async () => {
      const { app, errors } = quietApp();
      app.addRoute('GET', '/', async () => {
        throw new HttpError(503, 'database password is hunter2');
      });
      const res = await app.handle(get('/'));
      expect(res.status).to.equal(503);
      expect(bodyJson(res).error).to.equal('Service Unavailable');
      expect(bodyText(res)).to.not.include('hunter2');
      expect(errors).to.have.length(0);
    });

    it('shows the message of a 5xx HttpError made with expose: true, with its headers', async () => {
      const app = new WeApRous().addRoute('GET', '/', () => {
        throw new HttpError(503, 'The registry is unavailable; try again', { headers: { 'Retry-After': '1' }, expose: true });
      });
      const res = await app.handle(get('/'));
      expect(res.status).to.equal(503);
      expect(bodyJson(res).error).to.equal('The registry is unavailable; try again');
      expect(res.headers.get('retry-after')).to.equal('1');
    });

    it('answers a handler that throws with a generic 500 and reports the error to onError', async () => {
      const { app, errors } = quietApp();
      app.addRoute('GET', '/', () => {
        throw new Error('secret detail');
      });
      const res = await app.handle(get('/'));
      expect(res.status).to.equal(500);
      expect(bodyJson(res)).to.deep.equal({ status: 'error', error: 'Internal Server Error' });
      expect((errors[0] as Error).message).to.equal('secret detail');
    });

    it('answers a handler that rejects with a generic 500', async () => {
      const { app, errors } = quietApp();
      app.addRoute('GET', '/', () => Promise.reject(new TypeError('secret detail')));
      const res = await app.handle(get('/'));
      expect(res.status).to.equal(500);
      expect(bodyText(res)).to.not.include('secret');
      expect(errors).to.have.length(1);
    });
  });

  describe('route()', () => {
    it('registers an instance method as a TC39 decorator, bound to its object', async () => {
      const app = new WeApRous();
      class Peers {
        list = ['alice'];
        @app.route('/peers', { methods: ['GET'] })
        all() {
          return { peers: this.list };
        }
        @app.route('/peers', { methods: ['POST'] })
        add(request: Request) {
          this.list.push((request.json as { name: string }).name);
          return response(201);
        }
      }
      const peers = new Peers();
      expect((await app.handle(post('/peers', 'application/json', '{"name":"bob"}'))).status).to.equal(201);
      expect(bodyJson(await app.handle(get('/peers/')))).to.deep.equal({ peers: ['alice', 'bob'] });
      expect(peers.list).to.deep.equal(['alice', 'bob']);
    });

    it('registers an instance method only once an object is constructed', async () => {
      const app = new WeApRous();
      class Later {
        @app.route('/later')
        hello() {
          return 'constructed';
        }
      }
      expect((await app.handle(get('/later'))).status).to.equal(404);
      new Later();
      expect(bodyText(await app.handle(get('/later')))).to.equal('constructed');
    });

    it('registers a static method when the class is defined', async () => {
      const app = new WeApRous();
      class Health {
        static status = 'up';
        @app.route('/health')
        static check() {
          return { status: this.status };
        }
      }
      expect(Health.status).to.equal('up');
      expect(bodyJson(await app.handle(get('/health')))).to.deep.equal({ status: 'up' });
    });

    it('works as a plain call, defaulting to GET', async () => {
      const app = new WeApRous();
      const handler = () => 'hi';
      expect(app.route('/hello')(handler)).to.equal(handler);
      expect(bodyText(await app.handle(get('/hello')))).to.equal('hi');
      expect((await app.handle(post('/hello', 'text/plain', 'x'))).status).to.equal(405);
    });

    it('refuses to register the same method and path twice', () => {
      const app = new WeApRous().addRoute('GET', '/a', () => 'a');
      expect(() => app.route('/a/')(() => 'b')).to.throw(/already registered/);
    });
  });

  describe('prepareAddress() and run()', () => {
    it('listens where it was told and answers over a socket', async () => {
      const app = new WeApRous().prepareAddress('127.0.0.1', 0).addRoute('GET', '/', () => 'over tcp');
      const backend = await app.run();
      try {
        const { responses } = await exchange(backend.address().port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
        expect(responses[0].status).to.equal(200);
        expect(responses[0].body.toString()).to.equal('over tcp');
      } finally {
        await backend.close();
      }
    });
  });
});
