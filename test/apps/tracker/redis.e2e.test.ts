/**
 * Two trackers on one Redis behind the project's own reverse proxy (round-robin), run for real as processes:
 * three real peers register through the proxy and heartbeat every second; one tracker is killed (SIGKILL);
 * the other serves the same peers, their heartbeats and channels, and the peers never notice.
 * End-to-end test for `--registry redis://` (`apps/tracker/redis-*.ts`) with `start_proxy.ts` (issue 9, item 6).
 */

import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpClient } from '../../../daemon/client';
import { Child, dataDir, exact, freePort, Processes, STARTUP_MS } from '../child';
import { startRedis, type RedisServer } from './redis-server';

interface Listed {
  peers: Array<{ peer_id: string }>;
}

describe('two trackers sharing one Redis behind the proxy (end to end)', function () {
  this.timeout(90_000);
  const processes = new Processes();
  const client = new HttpClient({ timeoutMs: 5_000 });
  let redis: RedisServer;
  let proxyUrl = '';
  const trackers: Child[] = [];
  const trackerPorts: number[] = [];
  const peers: Child[] = [];
  const ids: string[] = [];

  after(async () => {
    client.close();
    await processes.killAll();
    await redis?.stop();
  });

  const list = async (query = '') => (await client.request(`${proxyUrl}/get-list/${query}`)).json<Listed>().peers.map((p) => p.peer_id);

  it('starts redis-server, two trackers with --registry, and the proxy round-robin over them', async () => {
    redis = await startRedis();
    for (const label of ['tracker-1', 'tracker-2']) {
      const port = await freePort();
      const args = ['--server-ip', '127.0.0.1', '--server-port', String(port), '--registry', redis.url];
      const tracker = processes.start(label, 'apps/tracker.ts', args);
      await tracker.waitFor(exact(`[Backend] Listening on IP 127.0.0.1 port ${port}`), STARTUP_MS);
      await tracker.waitForLines([exact(`Registry: ${redis.url}`)]);
      trackers.push(tracker);
      trackerPorts.push(port);
    }
    const proxyPort = await freePort();
    proxyUrl = `http://127.0.0.1:${proxyPort}`;
    const config = join(dataDir('proxy'), 'proxy.conf');
    const backends = trackerPorts.map((port) => `    proxy_pass http://127.0.0.1:${port};`).join('\n');
    writeFileSync(config, `host "127.0.0.1:${proxyPort}" {\n${backends}\n    dist_policy round-robin;\n}\n`);
    const proxy = processes.start('proxy', 'start_proxy.ts', [
      '--server-ip',
      '127.0.0.1',
      '--server-port',
      String(proxyPort),
      '--config',
      config,
    ]);
    await proxy.waitFor(exact(`[Proxy] Listening on 127.0.0.1:${proxyPort}`), STARTUP_MS);
  });

  it('three real peers register through the proxy (with their keys) and one creates #team', async () => {
    for (const name of ['Alice', 'Bob', 'Jack']) {
      const port = await freePort();
      const args = ['--tracker', proxyUrl, '--port', String(port), '--name', name, '--heartbeat', '1'];
      const peer = processes.start(name, 'apps/peer.ts', args);
      await peer.waitFor(exact('[Tracker] Registration successful: OK'), STARTUP_MS);
      await peer.waitFor(exact(`[${name}] > `), STARTUP_MS); // its start-up discovery has said all it says
      peers.push(peer);
      ids.push(`127.0.0.1:${port}`);
    }
    peers[0].type('/join #team');
    await peers[0].waitFor(/^\[Channel\] Created #team/);
    expect(await list()).to.deep.equal(ids);
    // Both trackers have served this peer set: each logged some of the registrations or heartbeats.
    for (const tracker of trackers) await tracker.waitFor(/^\[Tracker\] (Registered|Heartbeat): 127\.0\.0\.1:/);
  });

  it('after one tracker is killed, the other answers for every peer; none is lost and no peer notices', async () => {
    const [killed, survivor] = trackers;
    const marks = peers.map((peer) => peer.lines.length);
    const from = survivor.lines.length;
    await killed.kill();
    // Two rounds of heartbeats from every peer, all taken by the survivor.
    for (const id of ids) {
      await survivor.waitFor(exact(`[Tracker] Heartbeat: ${id}`), 10_000, from);
      const first = survivor.lines.findIndex((line, i) => i >= from && line === `[Tracker] Heartbeat: ${id}`);
      await survivor.waitFor(exact(`[Tracker] Heartbeat: ${id}`), 10_000, first + 1);
    }
    expect(await list()).to.deep.equal(ids);
    expect(await list('?channel=team')).to.deep.equal([ids[0]]);
    expect(await list('?limit=2')).to.deep.equal([...ids].sort().slice(0, 2));
    // The status page reads the same registry: every peer, and Alice in #team.
    const status = (await client.request(`${proxyUrl}/status/`)).json<{ peers: Array<{ peer_id: string; channels: string[] }> }>();
    expect(status.peers.map((p) => [p.peer_id, p.channels])).to.deep.equal(
      ids.map((id, i) => [id, i === 0 ? ['general', 'team'] : ['general']]),
    );
    // The survivor never saw a heartbeat it did not know (404) nor a registration again: nothing was lost.
    const since = survivor.since(from);
    expect(since.filter((line) => /unknown peer|Registered:|Expired:/.test(line))).to.deep.equal([]);
    peers.forEach((peer, i) => {
      const said = peer.since(marks[i]).filter((line) => line.startsWith('[Tracker]'));
      expect(said, peer.label).to.deep.equal([]);
    });
  });

  it('a peer that quits is removed for every tracker: the survivor lists the other two', async () => {
    peers[2].type('/quit');
    await peers[2].waitFor(/^\[Tracker\] Unregister successful/);
    expect(await list()).to.deep.equal(ids.slice(0, 2));
  });
});
