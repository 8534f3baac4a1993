/**
 * The router's contract: `add` and `match`, where match tells "no such path" (404) from "wrong method" (405).
 * Tests for `daemon/router.ts` (the `(method, path)` route dict inside WeApRous `daemon/weaprous.py`).
 */

import { expect } from 'chai';
import { Router } from '../../daemon/router';

function found(router: Router<string>, method: string, path: string): { handler: string; params: Record<string, string> } {
  const match = router.match(method, path);
  if (match.kind !== 'found') throw new Error(`${method} ${path}: expected found, got ${JSON.stringify(match)}`);
  return { handler: match.handler, params: match.params };
}

describe('Router', () => {
  describe('add() and match()', () => {
    it('treats /x and /x/ as the same route, however it was registered', () => {
      const router = new Router<string>();
      router.add('GET', '/login', 'login');
      router.add('GET', '/peers/', 'peers');
      expect(found(router, 'GET', '/login/').handler).to.equal('login');
      expect(found(router, 'GET', '/login').handler).to.equal('login');
      expect(found(router, 'GET', '/peers').handler).to.equal('peers');
      expect(found(router, 'GET', '/peers/').handler).to.equal('peers');
    });

    it('matches the root path', () => {
      const router = new Router<string>();
      router.add('GET', '/', 'index');
      expect(found(router, 'GET', '/').handler).to.equal('index');
    });

    it('fills :params from the path', () => {
      const router = new Router<string>();
      router.add('GET', '/channels/:name/messages/:id', 'message');
      const match = found(router, 'GET', '/channels/general chat/messages/42/');
      expect(match.handler).to.equal('message');
      expect(match.params).to.deep.equal({ name: 'general chat', id: '42' });
    });

    it('does not match a path with more or fewer segments', () => {
      const router = new Router<string>();
      router.add('GET', '/channels/:name', 'channel');
      expect(router.match('GET', '/channels').kind).to.equal('not-found');
      expect(router.match('GET', '/channels/a/b').kind).to.equal('not-found');
    });

    it('prefers a static route but falls back to a parameter route for other methods', () => {
      const router = new Router<string>();
      router.add('POST', '/users/new', 'create');
      router.add('GET', '/users/:id', 'show');
      expect(found(router, 'POST', '/users/new').handler).to.equal('create');
      expect(found(router, 'GET', '/users/new')).to.deep.equal({ handler: 'show', params: { id: 'new' } });
      expect(router.match('DELETE', '/users/new')).to.deep.equal({ kind: 'method-not-allowed', allow: ['GET', 'HEAD', 'POST'] });
    });

    it('registers methods case-insensitively', () => {
      const router = new Router<string>();
      router.add('post', '/x', 'x');
      expect(found(router, 'POST', '/x').handler).to.equal('x');
    });

    it('refuses the same method and path twice, and a path without a leading slash', () => {
      const router = new Router<string>();
      router.add('GET', '/x', 'a');
      expect(() => router.add('GET', '/x/', 'b')).to.throw(/already registered/);
      expect(() => router.add('GET', 'x', 'c')).to.throw(/start with/);
    });
  });

  describe('404 versus 405', () => {
    it('says not-found when no route has the path', () => {
      const router = new Router<string>();
      router.add('GET', '/a', 'a');
      expect(router.match('GET', '/b')).to.deep.equal({ kind: 'not-found' });
    });

    it('says method-not-allowed with the sorted Allow list, HEAD included when GET is there', () => {
      const router = new Router<string>();
      router.add('POST', '/login', 'post');
      router.add('GET', '/login', 'get');
      expect(router.match('DELETE', '/login')).to.deep.equal({ kind: 'method-not-allowed', allow: ['GET', 'HEAD', 'POST'] });
    });

    it('does not add HEAD to Allow when there is no GET', () => {
      const router = new Router<string>();
      router.add('POST', '/submit', 'post');
      expect(router.match('GET', '/submit')).to.deep.equal({ kind: 'method-not-allowed', allow: ['POST'] });
    });

    it('answers HEAD with the GET handler, unless HEAD has its own', () => {
      const router = new Router<string>();
      router.add('GET', '/a', 'get-a');
      router.add('GET', '/b', 'get-b');
      router.add('HEAD', '/b', 'head-b');
      expect(found(router, 'HEAD', '/a').handler).to.equal('get-a');
      expect(found(router, 'HEAD', '/b').handler).to.equal('head-b');
    });

    it('says not-implemented, with what it implements, for a method neither HTTP nor any route defines (RFC 9110 §9.1)', () => {
      const router = new Router<string>();
      router.add('POST', '/login', 'post');
      router.add('GET', '/login', 'get');
      router.add('BREW', '/pot', 'brew');
      expect(router.match('FOO', '/login')).to.deep.equal({ kind: 'not-implemented', implemented: ['BREW', 'GET', 'HEAD', 'POST'] });
      expect(router.match('BREW', '/login')).to.deep.equal({ kind: 'method-not-allowed', allow: ['GET', 'HEAD', 'POST'] });
      expect(router.match('PATCH', '/login').kind).to.equal('method-not-allowed');
    });

    it('gives method-not-allowed for a parameter route too', () => {
      const router = new Router<string>();
      router.add('GET', '/channels/:name', 'get');
      expect(router.match('PUT', '/channels/x')).to.deep.equal({ kind: 'method-not-allowed', allow: ['GET', 'HEAD'] });
    });
  });

  describe('*rest segments', () => {
    it('gives the rest of the path, however deep, to a final *name', () => {
      const router = new Router<string>();
      router.add('GET', '/static/*file', 'static');
      expect(found(router, 'GET', '/static/css/site.css').params).to.deep.equal({ file: 'css/site.css' });
      expect(found(router, 'GET', '/static/logo.svg').params).to.deep.equal({ file: 'logo.svg' });
      expect(found(router, 'GET', '/static/').params).to.deep.equal({ file: '' });
      expect(router.match('GET', '/other/logo.svg')).to.deep.equal({ kind: 'not-found' });
    });

    it('refuses a * segment that is not the last one', () => {
      const router = new Router<string>();
      expect(() => router.add('GET', '/static/*file/x', 'bad')).to.throw(/last segment/);
    });
  });
});
