/**
 * Bundles each measured server (`bench/servers/<kind>.ts` and everything it imports, `daemon/` included)
 * into one JavaScript file with esbuild, so `bench/spawn.ts` can run all three with plain `node`: no
 * ts-node hooks, no per-module CommonJS getters, the same loader for every server. New: no WeApRous twin.
 */

import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ServerKind = 'raw' | 'node' | 'daemon';

/** Where the bundles go; kept after the run so a `--profile`'s line numbers can be looked up in them. */
export const BUNDLE_DIR = join(tmpdir(), 'weaprous-bench');

/** Builds one `<kind>.js` per server into `BUNDLE_DIR` and returns their paths. */
export async function bundleServers(kinds: ServerKind[]): Promise<Record<ServerKind, string>> {
  const entryPoints = Object.fromEntries(kinds.map((kind) => [kind, join(__dirname, 'servers', `${kind}.ts`)]));
  await build({
    entryPoints,
    outdir: BUNDLE_DIR,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Not minified: a CPU profile of the bundle then shows the daemon's own function names.
    minify: false,
    logLevel: 'warning',
  });
  const paths = Object.fromEntries(kinds.map((kind) => [kind, join(BUNDLE_DIR, `${kind}.js`)]));
  return paths as Record<ServerKind, string>;
}
