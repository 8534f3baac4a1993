/**
 * Bundles each measured server (`bench/http/servers/<kind>.ts` and everything it imports, `daemon/` included)
 * into one JavaScript file with esbuild, so `bench/http/spawn.ts` can run all three with plain `node`: no
 * ts-node hooks, no per-module CommonJS getters, the same loader for every server. New: no WeApRous twin.
 */

import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ServerKind = 'raw' | 'node' | 'daemon';

/** Where the bundles go; kept after the run so a `--profile`'s line numbers can be looked up in them. */
export const BUNDLE_DIR = join(tmpdir(), 'weaprous-bench');

/**
 * Bundles each entry (`{ name: path of a .ts file }`) into `<outdir>/<name>.js`, for plain `node`, and
 * returns the paths by name. The one esbuild setting every bundle uses: the benchmarks' servers, tracker and
 * chat peers, and `npm run build` (`scripts/build.ts`, into `dist/`).
 */
export async function bundle<Name extends string>(entries: Record<Name, string>, outdir = BUNDLE_DIR): Promise<Record<Name, string>> {
  await build({
    entryPoints: entries,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Not minified: a CPU profile of the bundle then shows the daemon's own function names.
    minify: false,
    logLevel: 'warning',
  });
  const names = Object.keys(entries) as Name[];
  return Object.fromEntries(names.map((name) => [name, join(outdir, `${name}.js`)])) as Record<Name, string>;
}

/** Builds one `<kind>.js` per server into `BUNDLE_DIR` and returns their paths. */
export function bundleServers(kinds: ServerKind[]): Promise<Record<ServerKind, string>> {
  const entries = Object.fromEntries(kinds.map((kind) => [kind, join(__dirname, 'http', 'servers', `${kind}.ts`)]));
  return bundle(entries as Record<ServerKind, string>);
}
