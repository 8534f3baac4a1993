/**
 * The address a request speaks for (`request.remoteAddress`): the socket's, or behind our reverse proxy the
 * client the proxy names in `X-Forwarded-For`, so every share an app counts (registrations, history, logins) sees
 * the real client, not the proxy's 127.0.0.1. Only a connection from this machine may name another address.
 * Tests for `Admission.clientOf` in `daemon/admission.ts`, as `backend.ts` wires it. New; no WeApRous twin.
 */

import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { Admission } from '../../daemon/admission';
import type { Backend } from '../../daemon/backend';
import { createProxy, type Proxy } from '../../daemon/proxy';
import { parseProxyConfig } from '../../daemon/proxyconf';
import { WeApRous } from '../../daemon/weaprous';

/** GET `/` on `port` from `localAddress` (with `headers`); resolves with the body. */
function ask(port: number, localAddress: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', localAddress, agent: false, headers: { host: 'app.test', ...headers } });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Admission.clientOf()', () => {
  const admission = new Admission({ maxConnections: 10, maxConnectionsPerAddress: 5, uncappedAddresses: ['127.0.0.1', '::1'] });

  it("is the socket's address for a connection from another machine, whatever X-Forwarded-For says", () => {
    expect(admission.clientOf('127.0.0.9', '10.0.0.1')).to.equal('127.0.0.9');
    expect(admission.clientOf('::ffff:127.0.0.9', undefined)).to.equal('::ffff:127.0.0.9');
  });

  it("is the last X-Forwarded-For entry for a connection from this machine (our proxy appends the client's)", () => {
    expect(admission.clientOf('127.0.0.1', '10.0.0.1, 127.0.0.8')).to.equal('127.0.0.8');
    expect(admission.clientOf('::ffff:127.0.0.1', '127.0.0.8')).to.equal('127.0.0.8');
    expect(admission.clientOf('127.0.0.1', undefined)).to.equal('127.0.0.1');
    expect(admission.clientOf('127.0.0.1', '127.0.0.1')).to.equal('127.0.0.1');
  });
});

describe('request.remoteAddress, behind the reverse proxy and not', () => {
  let backend: Backend | undefined;
  let proxy: Proxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await backend?.close();
  });

  it('names the client behind the proxy, and ignores X-Forwarded-For sent from another machine', async () => {
    const app = new WeApRous().addRoute('GET', '/', (request) => request.remoteAddress ?? '');
    backend = await app.prepareAddress('127.0.0.1', 0).run({ closeGraceMs: 100 });
    const port = backend.address().port;
    const config = parseProxyConfig(`host "app.test" { proxy_pass http://127.0.0.1:${port}; }`);
    if (config.kind === 'error') throw new Error(config.message);
    proxy = await createProxy('127.0.0.1', 0, config.hosts, { closeGraceMs: 100 });
    expect(await ask(proxy.address().port, '127.0.0.8')).to.equal('127.0.0.8');
    expect(await ask(proxy.address().port, '127.0.0.8', { 'x-forwarded-for': '127.0.0.1' })).to.equal('127.0.0.8');
    expect(await ask(port, '127.0.0.9', { 'x-forwarded-for': '10.0.0.1' })).to.equal('127.0.0.9');
    expect(await ask(port, '127.0.0.1')).to.equal('127.0.0.1');
  });
});
