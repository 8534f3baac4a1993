/**
 * The tracker benchmark (`npm run bench:tracker -- --peers 10000,100000 --seconds 10 [--registry redis://...]`):
 * for each size N, a fresh tracker process gets N peers registered and put in channels, then holds their
 * heartbeats while clients ask for lists; prints latency, rates, the tracker's CPU and memory, and the command
 * that reproduces it. New: no WeApRous twin.
 */

import { loadavg } from 'node:os';
import { Pool } from './client';
import { burst, Heartbeats, peer } from './load';
import { measure, queries, type Row } from './measure';
import { bundleTracker, TrackerProcess } from './process';
import { cleanRedis, redisMemory } from './redis';
import { perSecond, rowLine, table, verdicts, type SizeResult } from './report';
import { commandLine, exit, readSettings, type Settings } from './settings';

async function runSize(bundle: string, size: number, settings: Settings): Promise<SizeResult> {
  if (settings.registry !== 'memory') await cleanRedis(settings.registry);
  const flags = [...(settings.registry === 'memory' ? [] : ['--registry', settings.registry]), ...(settings.quiet ? ['--quiet'] : [])];
  const tracker = await TrackerProcess.start(bundle, flags);
  const pool = await Pool.open(tracker.port, settings.connections);
  try {
    const registerSeconds = await burst(pool, size, (i) => ['/submit-info/', peer(i).register], 'registering');
    console.log(`  ${size.toLocaleString('en-US')} peers registered in ${registerSeconds.toFixed(1)} s`);
    const join = (i: number): [string, string] => ['/add-list/', `{"peer_id":"${peer(i).id}","channel":"bench-${i % settings.channels}"}`];
    const joinSeconds = await burst(pool, size, join, 'joining channels');
    console.log(`  each joined one of ${settings.channels} channels in ${joinSeconds.toFixed(1)} s`);
    const rssAfterSetup = tracker.memory().rss;
    // The real rate: N every 30 s by default, 3,333/s at 100,000 peers.
    const beats = new Heartbeats(pool, size, size / settings.period);
    const rows: Row[] = [];
    try {
      for (const query of queries('bench-0')) {
        const row = await measure(tracker, beats, query, settings, size);
        console.log(`  ${rowLine(row)}`);
        rows.push(row);
      }
    } finally {
      beats.stop();
      await pool.drain();
    }
    const redisRss = settings.registry === 'memory' ? undefined : await redisMemory(settings.registry);
    return { rows, peers: size, registerSeconds, joinSeconds, rssAfterSetup, peakRss: tracker.memory().peak, redisRss };
  } finally {
    pool.close();
    await tracker.stop();
  }
}

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));
  const command = commandLine(settings);
  console.log(`Command: ${command}`);
  const load = loadavg().map((l) => l.toFixed(2));
  console.log(
    `Node ${process.version}; load average ${load.join(', ')} at the start (2 cores: the tracker on one, this generator on the other)`,
  );
  const bundle = await bundleTracker();
  console.log(
    `Tracker bundled into ${bundle}; it runs as: node ${bundle} --server-ip 127.0.0.1 --server-port 0${settings.quiet ? ' --quiet' : ''}, its log to a file`,
  );
  console.log('Fake peers register without a key (the document way): the tracker does not call them back.\n');
  const results: SizeResult[] = [];
  for (const size of settings.peers) {
    console.log(
      `${size.toLocaleString('en-US')} peers, heartbeats every ${settings.period} s (${perSecond(size / settings.period)}), registry ${settings.registry}:`,
    );
    results.push(await runSize(bundle, size, settings));
  }
  console.log(`\n${table(results)}\n`);
  for (const line of verdicts(results)) console.log(line);
  console.log(
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
  );
  console.log(`Reproduce with: ${command}`);
}

main().catch((error: Error) => exit(1, `Benchmark failed: ${error.message}`));
