/**
 * The proxy's backend side on its own: the sentences for a backend that cannot be reached. The pool its
 * connections come from is tested in pool.test.ts, and `Exchange` through the proxy (proxy*.test.ts).
 * Tests for `daemon/upstream.ts` (new: WeApRous `daemon/proxy.py` opened a connection per request).
 */

import { expect } from 'chai';
import { describeFailure } from '../../daemon/upstream';
import { ConnectionPool } from '../../daemon/pool';
import type { Upstream } from '../../daemon/proxyconf';
import { rawServer } from '../helpers/raw';

describe('describeFailure()', () => {
  const backend: Upstream = { host: '127.0.0.1', port: 9, key: '127.0.0.1:9' };
  const failure = (code: string) => Object.assign(new Error(code), { code });

  for (const [code, sentence] of [
    ['ECONNREFUSED', '127.0.0.1:9 refused the connection'],
    ['ECONNRESET', '127.0.0.1:9 reset the connection'],
    ['CONNECT_TIMEOUT', '127.0.0.1:9 did not accept the connection in time'],
    ['ENOTFOUND', '127.0.0.1:9: unknown host name'],
    ['EHOSTUNREACH', '127.0.0.1:9: EHOSTUNREACH'],
  ]) {
    it(`says "${sentence}" for ${code}`, () => {
      expect(describeFailure(failure(code), backend)).to.equal(sentence);
    });
  }

  it('describes a real refused connection from the pool', async () => {
    const raw = await rawServer(() => {});
    await raw.stop(); // nothing listens on that port any more
    const closed: Upstream = { host: '127.0.0.1', port: raw.port, key: `127.0.0.1:${raw.port}` };
    const pool = new ConnectionPool(1_000);
    const error = await new Promise<Error>((resolve) => pool.open(closed, 1_000, (e) => resolve(e!)));
    expect(describeFailure(error, closed)).to.equal(`${closed.key} refused the connection`);
  });
});
