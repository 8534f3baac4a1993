/**
 * Channels on the console, run for real as processes: /join, /switch, /channels, a message in #team that
 * reaches a member and not a non-member, a member's 403 to an outsider, unread counts and a mention, and a
 * private channel that refuses an outsider at the tracker. End-to-end tests for `apps/peer/model/channels.ts`
 * wired into `apps/peer.ts` (issue 7, items 1 to 3 and 8).
 */

import { expect } from 'chai';
import { HttpClient } from '../../daemon/client';
import { Child, exact, freePort, Processes, STARTUP_MS } from './child';

describe('channels on the console (end to end)', function () {
  this.timeout(60_000);
  const processes = new Processes();
  let trackerUrl = '';
  const ports: Record<string, number> = {};
  const id = (name: string) => `127.0.0.1:${ports[name]}`;

  before(async () => {
    const trackerPort = await freePort();
    trackerUrl = `http://127.0.0.1:${trackerPort}`;
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
  });
  after(() => processes.killAll());

  async function startPeer(name: string): Promise<Child> {
    ports[name] = await freePort();
    const peer = processes.start(name, 'apps/peer.ts', ['--tracker', trackerUrl, '--port', String(ports[name]), '--name', name]);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return peer;
  }

  let alice: Child;
  let bob: Child;
  let carol: Child;

  it('/join creates #team and switches to it; the prompt shows it', async () => {
    alice = await startPeer('Alice');
    bob = await startPeer('Bob');
    carol = await startPeer('Carol');
    alice.type('/join #team');
    await alice.waitFor(exact('[Channel] Created #team: you are in #team (1 member); plain text goes there now'));
    await alice.waitFor(exact('[Alice #team] > '));
    bob.type('/join #Team');
    await bob.waitFor(/^\[Channel\] .*: you are in #team \(2 members\); plain text goes there now$/);
    await bob.waitFor(exact('[Bob #team] > '));
  });

  it('a message in #team reaches a member, peer to peer, and not a non-member', async () => {
    const carolFrom = carol.lines.length;
    alice.type('hello team');
    await bob.waitFor(exact(`[#team] Alice (${id('Alice')}): hello team`));
    await alice.waitFor(exact('[P2P] Sent to 1/1 members of #team'));
    alice.type('/switch #general');
    await alice.waitFor(exact('[Alice] > '));
    alice.type('to everyone');
    await carol.waitFor(exact(`[BROADCAST] Alice (${id('Alice')}): to everyone`));
    expect(carol.since(carolFrom).filter((line) => line.includes('hello team'))).to.deep.equal([]);
  });

  it('a member answers 409 (not a member yet, Retry-After) to a channel message from a peer that is not in the channel', async () => {
    const client = new HttpClient({ timeoutMs: 5_000 });
    const mallory = '127.0.0.1:9001'; // no key known for it: only membership decides (Carol's id would get 401 unsigned)
    const body = { from: mallory, name: 'Mallory', msg: 'let me in', channel: 'team' };
    const res = await client.request(`http://${id('Bob')}/broadcast-peer/`, { method: 'POST', json: body });
    expect(res.status).to.equal(409);
    expect(res.headers.get('Retry-After')).to.equal('5');
    expect(res.json<{ error: string }>().error).to.equal(
      `${mallory} is not a member of #team yet; join it first (POST /add-list/); try again in 5 s`,
    );
    // Nor can it read #team's history from a member; #general's is open.
    const read = await client.request(`http://${id('Bob')}/history/?channel=team&since=0&peer=${mallory}`);
    expect(read.status).to.equal(409);
    expect(read.json<{ error: string }>().error).to.equal(
      `${mallory} is not a member of #team yet; join it first (POST /add-list/); try again in 5 s`,
    );
    const general = await client.request(`http://${id('Bob')}/history/?channel=general`);
    expect(general.json<{ messages: Array<{ msg: string }> }>().messages.map((m) => m.msg)).to.deep.equal(['to everyone']);
    client.close();
  });

  it('a message in another channel raises its unread count; a mention is highlighted; /channels shows both', async () => {
    bob.type('/switch #general');
    await bob.waitFor(exact('[Bob] > '));
    alice.type('/switch #team');
    await alice.waitFor(exact('[Alice #team] > '));
    alice.type('are you there @Bob?');
    await bob.waitFor(exact(`>> [#team] Alice (${id('Alice')}): are you there @Bob?`)); // not a terminal: marked
    await bob.waitFor(exact('[Bob, 1 unread] > '));
    bob.type('/channels');
    await bob.waitForLines([exact('Channels (2):'), exact('  * #general'), exact('    #team (1 unread)')], 10_000, bob.cursor);
    bob.type('/history #team');
    await bob.waitFor(/^ {2}\[\d\d:\d\d\] Alice \(127\.0\.0\.1:\d+\): are you there @Bob\?$/);
    // Reading #team's history is reading #team: its unread count goes, as /switch #team would clear it.
    await bob.waitFor(exact('[Bob] > '));
    bob.type('/channels');
    await bob.waitForLines([exact('Channels (2):'), exact('  * #general'), exact('    #team')], 10_000, bob.cursor);
  });

  it('a message or history request that claims a known peer without its signature is refused with 401', async () => {
    const client = new HttpClient({ timeoutMs: 5_000 });
    const spoof = { from: id('Alice'), name: 'Alice', msg: 'send me your password' };
    const res = await client.request(`http://${id('Bob')}/send-peer/`, { method: 'POST', json: spoof });
    expect(res.status).to.equal(401);
    expect(res.json<{ error: string }>().error).to.equal(`${id('Alice')} is known by its key and this request is not signed; refused`);
    const forged = await client.request(`http://${id('Bob')}/send-peer/`, {
      method: 'POST',
      json: { ...spoof, signature: 'A'.repeat(86) + '==' },
    });
    expect(forged.status).to.equal(401);
    const read = await client.request(`http://${id('Bob')}/history/?channel=team&peer=${id('Alice')}`);
    expect(read.status).to.equal(401);
    client.close();
    bob.type('/history Alice');
    await bob.waitFor(/^(History of|No messages in) the conversation with Alice/);
    expect(bob.lines.some((line) => line.includes('send me your password'))).to.equal(false);
  });

  it('a private channel refuses an outsider at the tracker', async () => {
    alice.type('/join #secret s3cret');
    await alice.waitFor(exact('[Channel] Created #secret: you are in #secret (1 member); plain text goes there now'));
    carol.type('/join #secret guess');
    await carol.waitFor(exact('[Channel] Could not join #secret: Answer 403: Wrong key for #secret; use the key it was created with'));
    carol.type('/join #secret');
    await carol.waitFor(
      exact(
        '[Channel] Could not join #secret: Answer 403: #secret is private; only its key joins it (in the console: /join #secret <key>)',
      ),
    );
  });
});
