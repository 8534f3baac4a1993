/**
 * The login page as the peer's settings shape it, answered by `app.handle` without a socket: with a password, the
 * form; without one (only login links let anyone in), no password field, and the sentence that says how to get in.
 * Tests for `apps/peer/web/pages.ts`.
 */

import { expect } from 'chai';
import { join, resolve } from 'node:path';
import { parseRequest, type Request } from '../../../../daemon/request';
import { WeApRous } from '../../../../daemon/weaprous';
import { pageRoutes } from '../../../../apps/peer/web/pages';
import { Sessions } from '../../../../apps/peer/web/sessions';

const ROOT = resolve(__dirname, '../../../..');

function loginPageOf(sessions: Sessions): WeApRous {
  const app = new WeApRous();
  const gate = { ready: Promise.resolve(), hosts: [], from: ['127.0.0.1'] };
  pageRoutes(app, {
    ...gate,
    sessions,
    cookie: 'chat',
    www: join(ROOT, 'www'),
    assets: join(ROOT, 'static'),
    overHttps: false,
    endStreams: () => {},
  });
  return app;
}

function get(target: string): Request {
  const parsed = parseRequest(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:5001\r\n\r\n`, 'latin1'));
  if (parsed.kind !== 'request') throw new Error('fixture does not parse');
  return Object.assign(parsed.request, { remoteAddress: '127.0.0.1' });
}

describe('the login page', () => {
  it('shows the password field when the peer has a password', async () => {
    const res = await loginPageOf(new Sessions({ password: 'correct horse' })).handle(get('/login/'));
    expect(res.status).to.equal(200);
    expect((res.body as Buffer).toString()).to.include('<input id="password" name="password" type="password"');
  });

  it('shows no password field without one, only how to get in: the login link (/web)', async () => {
    const app = loginPageOf(new Sessions());
    for (const target of ['/login/', '/login/?out']) {
      const page = ((await app.handle(get(target))).body as Buffer).toString();
      expect(page).not.to.include('type="password"');
      expect(page).not.to.include('<form');
      expect(page).to.include('This peer was started without a password (--password-file)');
    }
    expect(((await app.handle(get('/login/?out'))).body as Buffer).toString()).to.include('You have logged out.');
  });
});
