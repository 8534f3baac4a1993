/**
 * The peer's side of the tracker API against the real tracker app on port 0 (its log captured), and
 * against small stand-ins for a tracker that answers oddly or not at all: what each call sends, what it
 * resolves with, and the sentence it rejects with.
 * Tests for `apps/peer/network/tracker-client.ts` (`register_with_tracker`, `get_peer_list`, `send_heartbeat` and
 * `unregister_from_tracker` of WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpClient } from '../../../../daemon/client';
import { WeApRous } from '../../../../daemon/weaprous';
import { text } from '../../../../daemon/response';
import type { Backend } from '../../../../daemon/backend';
import { PeerRegistry } from '../../../../apps/tracker/registry';
import { createTrackerApp } from '../../../../apps/tracker/routes';
import { TrackerClient } from '../../../../apps/peer/network/tracker-client';
import { type Identity, loadOrCreateIdentity } from '../../../../apps/peer/identity/identity';
import type { ChannelClaim } from '../../../../apps/protocol';
import { freePort } from '../../child';

const SELF = { peer_id: '127.0.0.1:5001', ip: '127.0.0.1', port: 5001, name: 'Alice' };

describe('TrackerClient', () => {
  const client = new HttpClient({ timeoutMs: 2_000 });
  let backend: Backend | null = null;
  after(() => client.close());
  afterEach(async () => {
    await backend?.close();
    backend = null;
  });

  /** Puts `app` on port 0 and returns a TrackerClient pointed at it. */
  async function clientFor(app: WeApRous, signer: Identity | null = null, claims?: () => ChannelClaim[]): Promise<TrackerClient> {
    backend = await app.prepareAddress('127.0.0.1', 0).run();
    return new TrackerClient(client, `http://127.0.0.1:${backend.address().port}`, SELF, 2_000, signer, claims);
  }

  describe('with the real tracker', () => {
    let log: string[];
    let tracker: TrackerClient;
    beforeEach(async () => {
      log = [];
      tracker = await clientFor(createTrackerApp({ registry: new PeerRegistry(300_000), log: (line) => log.push(line), now: Date.now }));
    });

    it('register() sends the document\'s body with the optional name, and resolves with "ok"', async () => {
      expect(await tracker.register()).to.equal('ok');
      expect(log).to.include('[Tracker] Body: {"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001","name":"Alice"}');
    });

    it('list() returns every registered peer, this one included', async () => {
      await tracker.register();
      expect(await tracker.list()).to.deep.equal([{ ip: '127.0.0.1', port: 5001, peer_id: '127.0.0.1:5001', name: 'Alice' }]);
    });

    it('heartbeat() says "unknown" before registering (the tracker answers 404) and "alive" after', async () => {
      expect(await tracker.heartbeat()).to.equal('unknown');
      await tracker.register();
      expect(await tracker.heartbeat()).to.equal('alive');
    });

    it('channel() joins and leaves; members() lists a channel, none for a channel nobody is in', async () => {
      await tracker.register();
      expect(await tracker.members('team')).to.deep.equal([]);
      expect(await tracker.channel('team')).to.equal('Created #team');
      expect(await tracker.members('team')).to.deep.equal([{ ip: '127.0.0.1', port: 5001, peer_id: '127.0.0.1:5001', name: 'Alice' }]);
      await tracker.channel('team', { leave: true });
      expect(await tracker.members('team')).to.deep.equal([]);
    });

    it("channel() proves a key without sending it, and rejects a wrong key with the tracker's sentence", async () => {
      await tracker.register();
      await tracker.channel('secret', { key: 's3cret' });
      const bob = new TrackerClient(client, tracker.url, { peer_id: '127.0.0.1:5002', ip: '127.0.0.1', port: 5002, name: 'Bob' }, 2_000);
      await bob.register();
      const error = await bob.channel('secret', { key: 'guess' }).catch((e: Error) => e);
      expect((error as Error).message).to.equal('Answer 403: Wrong key for #secret; use the key it was created with');
      const bodies = log.filter((line) => line.startsWith('[Tracker] Body:')).join('\n');
      expect(bodies).to.include('"proof":{"verifier":');
      expect(bodies).not.to.match(/s3cret|guess/);
    });

    it('heartbeat() carries the joined channels, so a restarted tracker learns them again', async () => {
      const claiming = new TrackerClient(client, tracker.url, SELF, 2_000, null, () => [{ channel: 'team' }]);
      await claiming.register();
      expect(await claiming.heartbeat()).to.deep.equal({ channels: ['team'], refused: [] });
      expect((await tracker.members('team')).map((entry) => entry.peer_id)).to.deep.equal(['127.0.0.1:5001']);
    });

    it('heartbeat() says which claimed channels the tracker refused (someone else holds the name)', async () => {
      const SECOND = { peer_id: '127.0.0.1:5003', ip: '127.0.0.1', port: 5003, name: 'Carol' };
      await tracker.register();
      await tracker.channel('secret'); // created public
      const claiming = new TrackerClient(client, tracker.url, SECOND, 2_000, null, () => [{ channel: 'secret', key: 's3cret' }]);
      await claiming.register();
      const answer = await claiming.heartbeat();
      expect(answer).to.deep.equal({
        channels: [],
        refused: [
          {
            channel: 'secret',
            status: 409,
            error: '#secret is a public channel; join it without a key, or pick another name for a private one',
          },
        ],
      });
    });

    it('remove() resolves with "ok", registered or not', async () => {
      await tracker.register();
      expect(await tracker.remove()).to.equal('ok');
      expect(await tracker.remove()).to.equal('ok');
      expect(log).to.include('[Tracker] Unregistered: 127.0.0.1:5001 - Total: 0');
    });
  });

  describe("with a signer (the peer's identity) and the real tracker on the real clock", () => {
    it('registers with its public key and signs every write, so the tracker binds the id and takes them all', async () => {
      const log: string[] = [];
      const identity = loadOrCreateIdentity(fs.mkdtempSync(path.join(os.tmpdir(), 'tracker-client-')));
      // The tracker asks 127.0.0.1:5001 for its key before binding it; this stands in for the peer there.
      const askKey = async () => ({ ok: true as const, key: identity.publicKey });
      const tracker = await clientFor(
        createTrackerApp({ registry: new PeerRegistry(300_000), log: (line) => log.push(line), now: Date.now, askKey }),
        identity,
      );
      expect(await tracker.register()).to.equal('ok');
      expect(log).to.include(`[Tracker] Key bound: 127.0.0.1:5001 (${identity.publicKey})`);
      expect(log).to.include('[Tracker] Body: {"ip":"127.0.0.1","port":5001,"peer_id":"127.0.0.1:5001","name":"Alice"}');
      expect(await tracker.heartbeat()).to.equal('alive');
      expect(await tracker.channel('team')).to.equal('Created #team');
      expect(await tracker.register()).to.equal('ok');
      expect(await tracker.remove()).to.equal('ok');
      expect(log).to.include('[Tracker] Unregistered: 127.0.0.1:5001 - Total: 0');
      expect(log.filter((line) => line.startsWith('[Tracker] Rejected'))).to.deep.equal([]);
    });
  });

  describe('with a tracker that answers oddly', () => {
    it('list() skips malformed entries and refuses an answer without a "peers" list', async () => {
      let peers: unknown = [{ ip: '127.0.0.1', port: 5002, peer_id: '127.0.0.1:5002' }, { ip: 7 }, 'junk'];
      const tracker = await clientFor(new WeApRous().addRoute('GET', '/get-list/', () => ({ status: 'ok', peers })));
      expect(await tracker.list()).to.deep.equal([{ ip: '127.0.0.1', port: 5002, peer_id: '127.0.0.1:5002' }]);
      peers = undefined;
      await expectRejection(tracker.list(), 'The tracker answered without a "peers" list');
    });

    it("rejects an error status with the tracker's own reason, and an answer that is not JSON", async () => {
      const app = new WeApRous()
        .addRoute('POST', '/submit-info/', () => text('<html>oops</html>', 200))
        .addRoute('POST', '/remove/', () => ({ status: 'error', error: 'too busy' }))
        .addRoute('POST', '/heartbeat/', () => text('{"status":"error","error":"try later"}', 503));
      const tracker = await clientFor(app);
      await expectRejection(tracker.register(), 'Answer 200 was not JSON');
      await expectRejection(tracker.heartbeat(), 'Answer 503: try later');
      expect(await tracker.remove()).to.equal('error'); // a 2xx passes its status on for the console to show
    });

    it('rejects with "Connection refused by ..." when nothing listens', async () => {
      const port = await freePort();
      const tracker = new TrackerClient(client, `http://127.0.0.1:${port}`, SELF, 2_000);
      await expectRejection(tracker.register(), `Connection refused by 127.0.0.1:${port}`);
    });
  });
});

async function expectRejection(promise: Promise<unknown>, message: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.equal(message);
    return;
  }
  throw new Error(`expected a rejection with "${message}"`);
}
