/**
 * Many chat peers in one process, for the chat benchmark's `--hosted` runs: real `PeerApp`s, each on its own
 * port and data folder, every console line written to standard output as `<name>|<line>`. New: no WeApRous twin.
 *   node host.js --tracker http://127.0.0.1:8000 --data-root /tmp/x --peer R1:5001 --peer R2:5002 ...
 */

import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { PeerApp } from '../../apps/peer/app';

/** Peers started at once: each connects to every peer registered before it. */
const STARTING_AT_ONCE = 4;

function parse(argv: string[]): { tracker: string; dataRoot: string; peers: Array<{ name: string; port: number }> } {
  let tracker = '';
  let dataRoot = '';
  const peers: Array<{ name: string; port: number }> = [];
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1] ?? '';
    if (argv[i] === '--tracker') tracker = value;
    else if (argv[i] === '--data-root') dataRoot = value;
    else if (argv[i] === '--peer') {
      const [name, port] = value.split(':');
      peers.push({ name, port: Number(port) });
    } else throw new Error(`bench/chat/host: unknown option ${argv[i]}`);
  }
  if (!tracker || !dataRoot || peers.length === 0)
    throw new Error('bench/chat/host: --tracker, --data-root and --peer name:port are needed');
  return { tracker, dataRoot, peers };
}

/** A console that writes each of its lines as `<name>|<line>` to this process's output. */
function prefixed(name: string): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      if (lines.length > 0) process.stdout.write(lines.map((line) => `${name}|${line}\n`).join(''));
      done();
    },
  });
}

// On two cores, a hundred peer processes spend their time being scheduled and running cold code; one process
// of peers shows what the protocol costs, the way a class of a hundred machines would run it.
async function main(): Promise<void> {
  const { tracker, dataRoot, peers } = parse(process.argv.slice(2));
  const apps: PeerApp[] = [];
  for (let i = 0; i < peers.length; i += STARTING_AT_ONCE) {
    await Promise.all(
      peers.slice(i, i + STARTING_AT_ONCE).map(async ({ name, port }) => {
        const app = (await PeerApp.start({
          self: { peer_id: `127.0.0.1:${port}`, ip: '127.0.0.1', port, name },
          trackerUrl: tracker,
          heartbeatMs: 30_000,
          dataDir: join(dataRoot, name),
          listenIp: '127.0.0.1',
          input: new PassThrough(), // nobody types: the console stays open
          output: prefixed(name),
          exit: (code) => process.stdout.write(`${name}|[host] exited with code ${code}\n`),
        }))!;
        apps.push(app);
        await app.open();
      }),
    );
  }
  const stop = () => void Promise.allSettled(apps.map((app) => app.quit())).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
});
