/**
 * `npm run build`: each program bundled with esbuild into one plain JavaScript file in `dist/`, to run with
 * `node dist/peer.js ...` (the same flags): no TypeScript to compile at start-up, for a class starting thirty
 * peers at once. `ts-node` stays the documented way to run the sources. New: WeApRous ran Python as it was.
 */

import { join } from 'node:path';
import { bundle } from '../bench/bundle';

const ROOT = join(__dirname, '..');

/** The programs a student runs, by the name of their bundle. */
export const PROGRAMS = {
  tracker: 'apps/tracker.ts',
  peer: 'apps/peer.ts',
  sampleapp: 'apps/sampleapp.ts',
  start_proxy: 'start_proxy.ts',
  start_backend: 'start_backend.ts',
};

/** Bundles every program into `dist/`; resolves with their paths by name. */
export function buildAll(): Promise<Record<keyof typeof PROGRAMS, string>> {
  const entries = Object.fromEntries(Object.entries(PROGRAMS).map(([name, file]) => [name, join(ROOT, file)]));
  return bundle(entries as Record<keyof typeof PROGRAMS, string>, join(ROOT, 'dist'));
}

async function main(): Promise<void> {
  const built = await buildAll();
  for (const [name, file] of Object.entries(built)) console.log(`build: ${PROGRAMS[name as keyof typeof PROGRAMS]} -> ${file}`);
  console.log('build: run them with node, e.g. node dist/peer.js --tracker http://127.0.0.1:8000 --port 5001 --name Alice');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
