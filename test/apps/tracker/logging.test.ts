/**
 * The tracker's request log: a body becomes one line with its keys and signing fields hidden, control characters
 * escaped and long bodies cut, in time that does not grow with the square of what a client sends.
 * Tests for `apps/tracker/logging.ts` (new).
 */

import { expect } from 'chai';
import { HttpClient } from '../../../daemon/client';
import { PeerRegistry } from '../../../apps/tracker/registry';
import { createTrackerApp } from '../../../apps/tracker/routes';
import { bodyLine } from '../../../apps/tracker/logging';

const MIB = 1024 * 1024;

describe('bodyLine()', () => {
  it('hides a channel key and the signing fields our peers append', () => {
    const body = '{"peer_id":"127.0.0.1:5001","channel":"team","key":"s3cret" , "public_key":"AAA=","time":1700000000,"signature":"c2ln"}';
    expect(bodyLine(body)).to.equal('{"peer_id":"127.0.0.1:5001","channel":"team","key":"***"}');
  });

  it('escapes control characters and cuts a long body, saying how long it was', () => {
    expect(bodyLine('{"msg":"a\r\nb"}')).to.equal('{"msg":"a\\x0d\\x0ab"}');
    expect(bodyLine('x'.repeat(1000))).to.equal(`${'x'.repeat(300)}... (1000 characters)`);
  });

  for (const [name, unit] of [
    ['spaces', ' '],
    ['tabs', '\t'],
    ['newlines', '\r\n'],
    ['commas and spaces', ', '],
  ]) {
    it(`prints a 1 MiB body of ${name} as one bounded line`, () => {
      const line = bodyLine(unit.repeat(MIB / unit.length));
      expect(line.length).to.be.below(400);
      expect(line).to.match(/\.\.\. \(1048576 characters\)$/);
    });
  }
});

describe('@logged', () => {
  it('logs a 1 MiB body of spaces as one short line, and the tracker answers', async () => {
    const log: string[] = [];
    const app = createTrackerApp({ registry: new PeerRegistry(300_000), log: (line) => log.push(line), now: () => 0 });
    const server = await app.prepareAddress('127.0.0.1', 0).run();
    const client = new HttpClient({ timeoutMs: 5_000 });
    try {
      const res = await client.request(`http://127.0.0.1:${server.address().port}/remove/`, { method: 'POST', body: ' '.repeat(MIB - 1) });
      expect(res.status).to.equal(400);
      const line = log.find((entry) => entry.startsWith('[Tracker] Body: '));
      expect(line).to.have.length.below(400);
    } finally {
      client.close();
      await server.close();
    }
  });
});
