/**
 * The tracker of the hybrid chat: `ts-node apps/tracker.ts --server-port 8000`. This file only wires:
 * command line (`tracker/options.ts`) → registry (`tracker/registry.ts` in memory, or `tracker/redis-*.ts` with
 * `--registry redis://host:port`, shared by several trackers) → routes (`tracker/routes.ts`) → socket.
 * Ports the Task 2 tracker of WeApRous `apps/sampleApp.py`.
 */

import type { Backend, BackendOptions } from '../daemon/backend';
import type { WeApRous } from '../daemon/weaprous';
import { PeerRegistry, type Registry } from './tracker/registry';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ChannelRegistry, type Channels } from './tracker/channels';
import { ChannelVault } from './tracker/vault';
import { connectRedis } from './tracker/redis';
import { RedisRegistry } from './tracker/redis-registry';
import { RedisChannels } from './tracker/redis-channels';
import { createTrackerApp, trackerBanner } from './tracker/routes';
import { parseTrackerArgs, TRACKER_USAGE, type TrackerArgs } from './tracker/options';
import { readTlsFiles, type TlsFiles } from '../daemon/tls';
import { tracerFor } from './cli';

/** The file in `--data-dir` that keeps the key of every channel name created private (`tracker/vault.ts`). */
const VAULT_FILE = 'private-channels.json';

async function main(): Promise<void> {
  const args = argsOrExit(process.argv.slice(2));
  if (args === null) return;
  const { ip, port, ttlSeconds } = args;
  // One write per line: console.log's formatting and color checks cost more than the write itself at 10,000 lines a
  // second. Like console.log, a log nobody reads any more (a closed pipe) must not stop the tracker.
  process.stdout.on('error', () => {});
  const log = (line: string) => void process.stdout.write(`${line}\n`);
  const { registry, channels } = await openRegistry(args, log);
  const peerTrust = args.tlsCa === undefined ? undefined : { ca: readOrExit(args.tlsCa) }; // checks peers that serve HTTPS
  const app = createTrackerApp({ registry, channels, log, now: Date.now, quiet: args.quiet, peerTrust });

  for (const line of trackerBanner(ip, port, ttlSeconds)) console.log(line);
  console.log(`Registry: ${args.registry === 'memory' ? 'in memory (this process only)' : args.registry}`);
  if (args.registry === 'memory') console.log(`Private channel names kept in: ${join(args.dataDir, VAULT_FILE)}`);
  const tls = tlsOrExit(args);
  if (tls) console.log(`HTTPS: certificate ${args.tlsCert}, key ${args.tlsKey}`);
  const backend = await listenOrExit(app, ip, port, { tls, trace: tracerFor(args.trace, log) });
  console.log(`[Backend] Listening on IP ${ip} port ${backend.address().port}`);
  stopOnSignals(backend, registry);
}

/** The parsed command line; null after printing the usage for `--help`; exits 2 with a sentence when it is wrong. */
function argsOrExit(argv: string[]): TrackerArgs | null {
  const parsed = parseTrackerArgs(argv, process.env);
  if (parsed.ok === 'help') {
    console.log(TRACKER_USAGE);
    return null;
  }
  if (!parsed.ok) {
    console.error(`${parsed.error}\n${TRACKER_USAGE}`);
    process.exit(2);
  }
  return parsed.args;
}

/** The tracker's socket, bound; exits 1 with a sentence when the port is taken or the address is wrong. */
async function listenOrExit(app: WeApRous, ip: string, port: number, options: Partial<BackendOptions>): Promise<Backend> {
  try {
    return await app.prepareAddress(ip, port).run(options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? `port ${port} is already in use (another tracker?); stop it or pick another --server-port`
        : (error as Error).message;
    console.error(`[Tracker] Cannot listen on ${ip}:${port}: ${why}`);
    process.exit(1);
  }
}

/** `--tls-ca`'s PEM; exits 1 with a sentence when it cannot be read. */
function readOrExit(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    console.error(`[Tracker] Cannot read --tls-ca ${file}: ${(error as Error).message}`);
    process.exit(1);
  }
}

/** The certificate and key of `--tls-cert`/`--tls-key` (undefined: plain HTTP); exits 1 when a file cannot be read. */
function tlsOrExit(args: TrackerArgs): TlsFiles | undefined {
  const tls = readTlsFiles(args.tlsCert, args.tlsKey);
  if (tls === undefined || !('error' in tls)) return tls;
  console.error(`[Tracker] ${tls.error}`);
  process.exit(1);
}

/** Ctrl+C or SIGTERM: stop accepting, let requests in flight finish, exit 0 (the Python original died with a traceback). */
function stopOnSignals(backend: Backend, registry: Registry): void {
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(0);
    stopping = true;
    console.log('[Tracker] Shutting down');
    backend
      .close()
      .then(() => registry.close?.())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The in-memory registry, or one in Redis that several trackers share; exits with a sentence when Redis or the data folder fails. */
async function openRegistry(args: TrackerArgs, log: (line: string) => void): Promise<{ registry: Registry; channels: Channels }> {
  const ttlMs = args.ttlSeconds * 1000;
  try {
    if (args.registry === 'memory') {
      const vault = new ChannelVault(join(args.dataDir, VAULT_FILE));
      return { registry: new PeerRegistry(ttlMs), channels: new ChannelRegistry(ttlMs, undefined, vault) };
    }
    const link = await connectRedis(args.registry, 'weaprous:tracker:', log);
    return { registry: new RedisRegistry(link, ttlMs), channels: new RedisChannels(link, ttlMs) };
  } catch (error) {
    console.error(`[Tracker] ${(error as Error).message}`);
    process.exit(1);
  }
}

main();
