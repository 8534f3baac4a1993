/**
 * The tracker of the hybrid chat: `ts-node apps/tracker.ts --server-port 8000`. This file only wires:
 * command line (`tracker/options.ts`) → registry (`tracker/registry.ts`) → routes (`tracker/routes.ts`) → socket.
 * Ports the Task 2 tracker of WeApRous `apps/sampleApp.py`.
 */

import { PeerRegistry } from './tracker/registry';
import { createTrackerApp, trackerBanner } from './tracker/routes';
import { parseTrackerArgs, TRACKER_USAGE } from './tracker/options';

async function main(): Promise<void> {
  const parsed = parseTrackerArgs(process.argv.slice(2));
  if (parsed.ok === 'help') {
    console.log(TRACKER_USAGE);
    return;
  }
  if (!parsed.ok) {
    console.error(`${parsed.error}\n${TRACKER_USAGE}`);
    process.exit(2);
  }
  const { ip, port, ttlSeconds } = parsed.args;
  const registry = new PeerRegistry(ttlSeconds * 1000);
  const app = createTrackerApp({ registry, log: (line) => console.log(line), now: Date.now });

  for (const line of trackerBanner(ip, port, ttlSeconds)) console.log(line);
  let backend;
  try {
    backend = await app.prepareAddress(ip, port).run();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? `port ${port} is already in use (another tracker?); stop it or pick another --server-port`
        : (error as Error).message;
    console.error(`[Tracker] Cannot listen on ${ip}:${port}: ${why}`);
    process.exit(1);
  }
  console.log(`[Backend] Listening on IP ${ip} port ${backend.address().port}`);

  // Ctrl+C or SIGTERM: stop accepting, let requests in flight finish, exit 0 (the Python original died with a traceback).
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(0);
    stopping = true;
    console.log('[Tracker] Shutting down');
    backend.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
