/**
 * A ts-node transpiler that uses esbuild instead of the TypeScript compiler, so that `ts-node apps/peer.ts`
 * shows its prompt in a fraction of a second. Like ts-node's own transpile-only mode it only strips types;
 * type checking is `npm run typecheck` (tsc --noEmit), which CI runs. esbuild also lowers the TC39
 * decorators that `@app.route(...)` uses. Each file's output is kept in `node_modules/.cache/weaprous-ts/`
 * by a hash of its text, so a second start transpiles only what changed. Wired up in tsconfig.json under "ts-node".
 */
'use strict';
const { stop, transformSync, version } = require('esbuild');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { setTimeout } = require('node:timers');

/** Where transpiled files are kept; `rm -rf node_modules/.cache/weaprous-ts` empties it (it is only a cache). */
const CACHE_DIR = path.join(__dirname, '..', 'node_modules', '.cache', 'weaprous-ts');

/**
 * transformSync runs esbuild in a worker thread and a child process that ping each other every second, for as
 * long as the program runs: an idle peer would wake for them alone. Once no file has been loaded for this long
 * they are stopped; a module required later starts them again (esbuild's `stop()`, https://esbuild.github.io/api/#stop).
 */
const STOP_AFTER_MS = 2000;
let stopTimer = null;
/**
 * Not in a test runner (mocha), which loads files all along its run: there a transformSync after a stop() was seen
 * to wait for good for the worker it restarts (the whole suite hung on it), and a runner's idle cost is nobody's.
 */
const STOPS = !/[\\/]mocha[\\/]/.test((require.main && require.main.filename) || '');

function stopSoon() {
  if (!STOPS) return;
  if (stopTimer) return void stopTimer.refresh();
  stopTimer = setTimeout(() => {
    stopTimer = null;
    void stop();
  }, STOP_AFTER_MS);
  stopTimer.unref();
}

/** esbuild's options for one file: TypeScript in, CommonJS for node 20 out, with its source map. */
function optionsFor(fileName) {
  return {
    loader: fileName.endsWith('x') ? 'tsx' : 'ts',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'external',
    sourcefile: fileName,
    // TypeScript's own CommonJS output keeps `this` undefined at top level and marks ES modules; match it.
    supported: { decorators: false },
  };
}

/** The cache entry of a file: a hash of esbuild's version, the options and the text, so any change is a miss. */
function cacheFile(input, options) {
  const hash = createHash('sha256')
    .update(`${version}\0${JSON.stringify(options)}\0${input}`)
    .digest('hex');
  return path.join(CACHE_DIR, `${hash}.json`);
}

/** A cached result, or null. An unreadable entry is a miss: it is written again. */
function readCache(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Keeps a result, written aside then renamed, so a reader never sees half of it; a read-only disk only misses. */
function writeCache(file, result) {
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const aside = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(aside, JSON.stringify(result));
    fs.renameSync(aside, file);
  } catch {
    // no cache this time
  }
}

exports.create = function create() {
  return {
    transpile(input, { fileName }) {
      const options = optionsFor(fileName);
      const file = cacheFile(input, options);
      const cached = readCache(file);
      if (cached && typeof cached.outputText === 'string') return cached;
      const result = transformSync(input, options);
      stopSoon();
      const output = { outputText: result.code, sourceMapText: result.map };
      writeCache(file, output);
      return output;
    },
  };
};
