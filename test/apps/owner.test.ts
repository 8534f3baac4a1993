/**
 * Proof of address: `GET /identity/` asked of an id's address before its first key is bound, one question per
 * address at a time, at most a few per source address and a bounded number in all, each given a second;
 * the refusal never says why an address could not be asked (that would make it a port scanner).
 * Tests for `apps/owner.ts`.
 */

import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { HttpClient } from '../../daemon/client';
import type { Backend } from '../../daemon/backend';
import { WeApRous } from '../../daemon/weaprous';
import { keyMismatch, KeyOwners, MAX_PENDING_PER_SOURCE } from '../../apps/owner';
import { freePort } from './child';

describe('KeyOwners', () => {
  const client = new HttpClient();
  let hung: Server;
  const sockets: Socket[] = [];
  let hungPort = 0;
  before(async () => {
    hung = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((done) => hung.listen(0, '127.0.0.1', () => done()));
    hungPort = (hung.address() as { port: number }).port;
  });
  after(async () => {
    client.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((done) => hung.close(() => done()));
  });

  it('reads the key of the peer at an address, and asks each address once at a time', async () => {
    const port = await freePort();
    let asked = 0;
    const app = new WeApRous().addRoute('GET', '/identity/', () => {
      asked += 1;
      return { status: 'ok', peer_id: `127.0.0.1:${port}`, public_key: 'k' };
    });
    const backend: Backend = await app.prepareAddress('127.0.0.1', port).run();
    try {
      const owners = new KeyOwners(client);
      const answers = await Promise.all([1, 2, 3].map(() => owners.keyAt({ ip: '127.0.0.1', port })));
      expect(answers).to.deep.equal([1, 2, 3].map(() => ({ ok: true, key: 'k' })));
      expect(asked).to.equal(1);
    } finally {
      await backend.close();
    }
  });

  it('lets one source address have only a few questions out; another source is not held up by it', async () => {
    const owners = new KeyOwners(client, 300);
    // Nine questions at once from one source: the first eight are out when the ninth comes.
    const ask = (n: number, source: string) => owners.keyAt({ ip: `127.0.0.${n + 2}`, port: hungPort }, source);
    const fromMallory = Array.from({ length: MAX_PENDING_PER_SOURCE + 1 }, (_, n) => ask(n, '10.6.6.6'));
    const fromCarol = ask(100, '10.0.0.3');
    const last = await fromMallory[MAX_PENDING_PER_SOURCE];
    expect(last).to.deep.equal({ ok: false, reason: 'too many new keys are being checked at once; try again in a moment' });
    const carol = await fromCarol;
    expect(carol.ok === false && carol.reason).to.not.match(/too many/); // asked (and timed out), not refused
    await Promise.all(fromMallory);
  });

  it('keyMismatch() says a key could not be confirmed, never why the address could not be asked', () => {
    const refused = keyMismatch('127.0.0.1:22', 'k', { ok: false, reason: 'Connection refused by 127.0.0.1:22' });
    const timedOut = keyMismatch('127.0.0.1:22', 'k', { ok: false, reason: 'No response from 127.0.0.1:22 within 1000 ms' });
    expect(refused).to.equal(timedOut);
    expect(refused).to.not.match(/refused|within/);
    expect(keyMismatch('127.0.0.1:22', 'k', { ok: true, key: 'k' })).to.equal(null);
  });
});
