/**
 * `npm run chaos -- [--seed N] [--seconds N] [--peers N] [--quiet N] [--keep DIR] [--baseline] [--clean]`: a tracker and N peers in network
 * namespaces on an impaired network, a seeded workload and fault schedule, then the checker's verdict
 * (docs/history.md, "The chaos run"). Exits 0 with no violation, 1 with the counterexample, 2 when it cannot run. New.
 */

import { cpSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { unavailable } from './namespaces';
import { NAMES } from './plan';
import { counterexample, summary } from './report';
import { runChaos } from './run';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      seconds: { type: 'string', default: '60' },
      peers: { type: 'string', default: '5' },
      quiet: { type: 'string', default: '120' },
      keep: { type: 'string' },
      baseline: { type: 'boolean' },
      clean: { type: 'boolean' },
    },
  });
  const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(values.seed);
  const seconds = Number(values.seconds);
  const peers = Number(values.peers);
  const quiet = Number(values.quiet);
  if (
    ![seed, seconds, quiet].every((n) => Number.isInteger(n) && n >= 0) ||
    !Number.isInteger(peers) ||
    peers < 2 ||
    peers > NAMES.length
  ) {
    throw new Error(`--seed, --seconds and --quiet take whole numbers, --peers 2 to ${NAMES.length}`);
  }
  const reason = unavailable();
  if (reason) {
    console.error(`chaos: cannot make network namespaces: ${reason}`);
    process.exit(2);
  }
  const result = await runChaos({
    seed,
    seconds,
    peers,
    quietMs: quiet * 1000,
    faults: !values.baseline,
    clean: values.clean,
    log: (line) => console.log(line),
  });
  console.log(summary(result));
  for (const line of result.figures) console.log(line);
  if (values.keep) {
    for (const folder of result.folders) cpSync(folder, join(values.keep, basename(folder)), { recursive: true });
    for (const { name, text } of result.consoles) writeFileSync(join(values.keep, `${name}.console.txt`), text);
    console.log(`Data folders and each peer's console (<name>.console.txt) copied to ${values.keep}`);
  }
  const found = counterexample(result);
  if (found) {
    console.log(found);
    process.exitCode = 1;
  }
}

main().catch((error: Error) => {
  console.error(`chaos: ${error.message}`);
  process.exit(2);
});
