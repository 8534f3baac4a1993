/**
 * What a classmate with tcpdump sees: the loopback interface captured while a tracker (127.0.0.1), Alice
 * (127.0.0.2) and Bob (127.0.0.3) log in to their web UIs, talk in a private channel, exchange direct messages
 * and post in #general. Each address is one simulated machine; a packet from an address to the same address
 * (Alice's browser to Alice's peer) never leaves that machine, so it is not on the classmate's wire. The rest is:
 * it must hold no password, cookie, channel key, private or direct text, yet the #general text, the channel name,
 * the peer ids and a key-less TestPeer's message (docs/security.md, "What a classmate on the same network sees").
 */

import { expect } from 'chai';
import { HttpClient } from '../../daemon/client';
import { Child, exact, freePort, passwordFile, Processes, STARTUP_MS } from './child';
import { readFlows, type Flow } from './pcap';
import { Capture } from './tcpdump';

const TRACKER_IP = '127.0.0.1';
const ALICE_IP = '127.0.0.2';
const BOB_IP = '127.0.0.3';
const tag = Math.random().toString(36).slice(2, 8); // so no other test's traffic can match by chance
const PASSWORDS = { Alice: `correct horse ${tag}`, Bob: `battery staple ${tag}` };
const KEY = `vault-key-${tag}-of-five-words`; // one word: the console takes `/join #vault KEY`
const TEXT = {
  general: `general-${tag} lunch at noon`,
  vaultFromAlice: `vault-a-${tag} the safe opens at 0417`,
  vaultFromBob: `vault-b-${tag} bring the blue folder`,
  directToBob: `direct-a-${tag} are you free tonight`,
  directToAlice: `direct-b-${tag} yes after eight`,
  testPeer: `clear-${tag} Direct via curl!`,
};

/** Every way a secret may be written on the wire: as is, form- and URL-encoded, and in base64. */
function spellings(secret: string): string[] {
  const url = encodeURIComponent(secret);
  return [secret, url, url.replace(/%20/g, '+'), Buffer.from(secret).toString('base64'), JSON.stringify(secret).slice(1, -1)];
}

describe('what a classmate can see: a capture between simulated hosts (tcpdump on lo)', function () {
  this.timeout(120_000);
  const processes = new Processes();
  const outside = new HttpClient({ timeoutMs: 5_000 }); // the key-less TestPeer, from the tracker's machine
  const browsers = {
    Alice: new HttpClient({ timeoutMs: 5_000, localAddress: ALICE_IP }),
    Bob: new HttpClient({ timeoutMs: 5_000, localAddress: BOB_IP }),
  };
  const ports = { tracker: 0, Alice: 0, Bob: 0 };
  const peers: Record<string, Child> = {};
  const cookies: Record<string, string> = {};
  let capture: Capture | undefined;
  let flows: Flow[] = [];

  const id = (name: 'Alice' | 'Bob') => `${name === 'Alice' ? ALICE_IP : BOB_IP}:${ports[name]}`;
  const base = (name: 'Alice' | 'Bob') => `http://${id(name)}`;
  /** A packet between two different simulated machines: what crosses the lab's network. */
  const onWire = (flow: Flow) => !(flow.src === flow.dst && (flow.src === ALICE_IP || flow.src === BOB_IP));
  const wire = () => flows.filter(onWire);
  const owners = () => flows.filter((flow) => !onWire(flow));
  const holding = (some: Flow[], text: string) =>
    some.filter((flow) => flow.bytes.includes(text)).map((f) => `${f.src}:${f.srcPort} > ${f.dst}:${f.dstPort}`);

  before(async function () {
    ports.tracker = await freePort();
    ports.Alice = await freePort();
    ports.Bob = await freePort();
    const started = await Capture.start(`tcp port ${ports.tracker} or tcp port ${ports.Alice} or tcp port ${ports.Bob}`);
    if (typeof started === 'string') {
      console.log(`      skipped: ${started}`);
      this.skip();
    }
    capture = started;
    await talk();
    await capture.waitFor(TEXT.testPeer);
    flows = readFlows(await capture.stop());
  });
  after(async () => {
    await capture?.stop();
    for (const client of [outside, browsers.Alice, browsers.Bob]) client.close();
    await processes.killAll();
  });

  /** Everything the two of them do, in the order a class would: start, post, log in, join, talk, DM. */
  async function talk(): Promise<void> {
    const tracker = processes.start('tracker', 'apps/tracker.ts', ['--server-ip', TRACKER_IP, '--server-port', String(ports.tracker)]);
    await tracker.waitFor(exact(`[Backend] Listening on IP ${TRACKER_IP} port ${ports.tracker}`), STARTUP_MS);
    for (const name of ['Alice', 'Bob'] as const) {
      const more = ['--ip', name === 'Alice' ? ALICE_IP : BOB_IP, '--password-file', passwordFile(PASSWORDS[name]), '--heartbeat', '2'];
      peers[name] = processes.startPeer(name, `http://${TRACKER_IP}:${ports.tracker}`, ports[name], more);
      await peers[name].waitFor(exact(`[${name}] > `), STARTUP_MS);
    }
    const { Alice: alice, Bob: bob } = peers;
    await alice.waitFor(exact(`[P2P] Peer connected: Bob (${id('Bob')})`), STARTUP_MS, 0);

    alice.type(TEXT.general);
    await bob.waitFor(exact(`[BROADCAST] Alice (${id('Alice')}): ${TEXT.general}`));
    cookies.Alice = await login('Alice');
    cookies.Bob = await login('Bob');

    expect((await api('Alice', '/api/join/', { channel: 'vault', key: KEY })).status).to.equal(200);
    bob.type(`/join #vault ${KEY}`);
    await bob.waitFor(/^\[Channel\] Joined #vault: you are in #vault \(2 members\)/);
    expect((await api('Alice', '/api/send/', { conversation: 'vault', text: TEXT.vaultFromAlice })).status).to.equal(200);
    await bob.waitFor(exact(`[#vault] Alice (${id('Alice')}): ${TEXT.vaultFromAlice}`));
    bob.type(TEXT.vaultFromBob);
    await alice.waitFor(exact(`[#vault] Bob (${id('Bob')}): ${TEXT.vaultFromBob}`));
    const page = await browsers.Alice.request(`${base('Alice')}/api/messages/?conversation=vault`, { headers: cookieHeader('Alice') });
    expect(page.text()).to.include(TEXT.vaultFromBob); // Alice's browser reads it, on her own machine

    alice.type(`/direct Bob ${TEXT.directToBob}`);
    await bob.waitFor(exact(`[DIRECT] Alice (${id('Alice')}): ${TEXT.directToBob}`));
    expect((await api('Bob', '/api/send/', { conversation: `@${id('Alice')}`, text: TEXT.directToAlice })).status).to.equal(200);
    await alice.waitFor(exact(`[DIRECT] Bob (${id('Bob')}): ${TEXT.directToAlice}`));

    // The reference document's key-less curl TestPeer: accepted, shown unverified, and sent in clear.
    const json = { from: '127.0.0.1:9001', name: 'TestPeer', msg: TEXT.testPeer, timestamp: 1699680000 };
    expect((await outside.request(`${base('Bob')}/send-peer/`, { json })).text()).to.equal('{"status":"received"}');
    await bob.waitFor(exact(`[DIRECT] TestPeer (127.0.0.1:9001): ${TEXT.testPeer}`));
  }

  /** The login form's POST from the owner's browser; answers the session cookie's value. */
  async function login(name: 'Alice' | 'Bob'): Promise<string> {
    const answer = await browsers[name].request(`${base(name)}/login/`, {
      method: 'POST',
      headers: { Origin: base(name), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `password=${encodeURIComponent(PASSWORDS[name])}`,
    });
    expect(answer.status, answer.text()).to.equal(303);
    const cookie = new RegExp(`weaprous_chat_${ports[name]}=([^;]+)`).exec(answer.headers.get('set-cookie') ?? '');
    expect(cookie, 'the session cookie').not.to.equal(null);
    return cookie![1];
  }

  function cookieHeader(name: 'Alice' | 'Bob'): Record<string, string> {
    return { Cookie: `weaprous_chat_${ports[name]}=${cookies[name]}` };
  }

  function api(name: 'Alice' | 'Bob', path: string, json: object) {
    return browsers[name].request(`${base(name)}${path}`, { json, headers: { Origin: base(name), ...cookieHeader(name) } });
  }

  it('the capture works: #general and the key-less TestPeer message cross the network in clear', () => {
    expect(holding(wire(), TEXT.general), '#general text').not.to.be.empty;
    expect(holding(wire(), TEXT.testPeer), 'TestPeer text').not.to.be.empty;
  });

  it('no password, cookie or channel key crosses the network, in any spelling', () => {
    const secrets = [...spellings(PASSWORDS.Alice), ...spellings(PASSWORDS.Bob), ...spellings(KEY), cookies.Alice, cookies.Bob];
    for (const secret of secrets) expect(holding(wire(), secret), secret).to.deep.equal([]);
  });

  it('no private-channel or direct text crosses the network: only sealed envelopes', () => {
    for (const text of [TEXT.vaultFromAlice, TEXT.vaultFromBob, TEXT.directToBob, TEXT.directToAlice])
      for (const words of spellings(text)) expect(holding(wire(), words), words).to.deep.equal([]);
    // Two #vault messages and one direct message each way, to each peer's port; catch-up answers may add more.
    for (const name of ['Alice', 'Bob'] as const) {
      const toPeer = Buffer.concat(
        wire()
          .filter((flow) => flow.dstPort === ports[name])
          .map((flow) => flow.bytes),
      ).toString('latin1');
      expect(toPeer.split('"msg":"(encrypted)"').length - 1, `sealed envelopes sent to ${name}`).to.be.at.least(2);
      expect(toPeer, `a sealed envelope to ${name}`).to.match(/"enc":\{"v":1,/);
    }
  });

  it('what still shows: the peer ids and names, the channel name, who sends to whom', () => {
    const all = Buffer.concat(wire().map((flow) => flow.bytes));
    for (const visible of [id('Alice'), id('Bob'), '"name":"Alice"', '"name":"Bob"', 'vault'])
      expect(all.includes(visible), visible).to.equal(true);
    const toBob = wire().filter((flow) => flow.dstPort === ports.Bob && flow.bytes.includes('/send-peer/'));
    expect(toBob, 'a direct message to Bob: its destination shows').not.to.be.empty;
    const toTracker = Buffer.concat(
      wire()
        .filter((flow) => flow.dstPort === ports.tracker)
        .map((flow) => flow.bytes),
    );
    expect(toTracker.includes('vault') && toTracker.includes('"proof":'), "the tracker's join: the name and a proof").to.equal(true);
  });

  it("the owner's browser traffic stays on the owner's machine (where the capture did see the login)", () => {
    expect(holding(owners(), `password=${encodeURIComponent(PASSWORDS.Alice)}`)).to.have.length(1);
    expect(holding(owners(), cookies.Alice)).not.to.be.empty;
    expect(holding(owners(), TEXT.vaultFromBob)).not.to.be.empty;
  });
});
