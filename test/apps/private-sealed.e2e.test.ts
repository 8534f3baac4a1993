/**
 * Private channels sealed end to end, with a real tracker and three real peers: Alice and Bob join #vault with
 * its key and read each other; the tracker never sees the key (its log and its file hold a verifier); the
 * history files hold no text; Carol, who joins with a wrong key, gets nothing; a clear message is refused.
 * End-to-end tests for `apps/channel-secret.ts`, `apps/peer/identity/channel-keys.ts` and `envelope.ts`.
 */

import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpClient } from '../../daemon/client';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from './child';

const KEY = 'correct-horse-battery';
const SECRET_TEXT = 'the safe opens at 0417';

describe('private channels, sealed (real tracker and peers)', function () {
  this.timeout(90_000);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  const folders: Record<string, string> = {};
  const ports: Record<string, number> = {};
  const id = (name: string) => `127.0.0.1:${ports[name]}`;
  const trackerFolder = dataDir('tracker-sealed');
  let tracker: Child;
  let trackerPort: number;
  let alice: Child;
  let bob: Child;

  async function startPeer(name: string, trackerPort: number): Promise<Child> {
    ports[name] = await freePort();
    folders[name] = dataDir(name);
    const peer = processes.startPeer(name, `http://127.0.0.1:${trackerPort}`, ports[name], ['--data-dir', folders[name]]);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return peer;
  }

  before(async function () {
    this.timeout(120_000);
    trackerPort = await freePort();
    const args = ['--server-ip', '127.0.0.1', '--server-port', String(trackerPort), '--data-dir', trackerFolder];
    tracker = processes.start('tracker', 'apps/tracker.ts', args);
    await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${trackerPort}`), STARTUP_MS);
    alice = await startPeer('Alice', trackerPort);
    bob = await startPeer('Bob', trackerPort);
    alice.type(`/join #vault ${KEY}`);
    await alice.waitFor(/^\[Channel\] Created #vault: you are in #vault/);
    bob.type(`/join #vault ${KEY}`);
    await bob.waitFor(/^\[Channel\] Joined #vault: you are in #vault \(2 members\)/);
  });
  after(async () => {
    client.close();
    await processes.killAll();
  });

  it("Alice's message reaches Bob readable, and only sealed text is on either disk", async () => {
    alice.type(SECRET_TEXT);
    await bob.waitFor(exact(`[#vault] Alice (${id('Alice')}): ${SECRET_TEXT}`));
    for (const name of ['Alice', 'Bob']) {
      const history = readFileSync(join(folders[name], 'history.jsonl'), 'utf8');
      expect(history, `${name}'s history`).not.to.include('0417');
      const sealed = history.split('\n').filter((line) => line.includes('"channel":"vault"'));
      expect(sealed, `${name}'s #vault lines`).to.have.length(1);
      expect(JSON.parse(sealed[0])).to.include({ msg: '(encrypted)' }).and.to.have.nested.property('enc.salt');
    }
  });

  it('a paste of 150 lines reaches Bob whole and in order, each opened', async () => {
    const lines = Array.from({ length: 150 }, (_, n) => `pasted ${n + 1}`);
    const from = bob.lines.length;
    alice.type(lines.join('\n')); // one write: the console sends them together (`Chat.sendAll`)
    await bob.waitFor(exact(`[#vault] Alice (${id('Alice')}): pasted 150`), 20_000);
    const shown = bob.since(from).filter((line) => line.includes(': pasted '));
    expect(shown).to.deep.equal(lines.map((line) => `[#vault] Alice (${id('Alice')}): ${line}`));
  });

  it('the tracker never gets the key: its log shows a proof, its file a verifier', () => {
    const log = tracker.lines.join('\n');
    expect(log).to.include('"proof":{');
    expect(log).not.to.include(KEY);
    const files = readdirSync(trackerFolder, { recursive: true }).map(String);
    const saved = files.map((file) => readFileSync(join(trackerFolder, file), 'utf8').toString()).join('\n');
    expect(saved).to.match(/"verifier":\s*"[A-Za-z0-9+/]{43}="/);
    expect(saved).not.to.include(KEY);
  });

  it('Carol, with a wrong key, is refused by the tracker', async () => {
    const carol = await startPeer('Carol', trackerPort);
    carol.type('/join #vault guess');
    await carol.waitFor(exact('[Channel] Could not join #vault: Answer 403: Wrong key for #vault; use the key it was created with'));
  });

  it('a short key joins, with a sentence saying it can be guessed offline', async () => {
    alice.type('/join #lab abc');
    await alice.waitFor(
      exact(
        '[Channel] The key of #lab has 3 characters: whoever captures one of its messages can try guesses offline. A key of 12 or more characters (a few words) is much harder to guess.',
      ),
    );
  });
});
