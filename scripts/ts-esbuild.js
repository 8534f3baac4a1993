/**
 * A ts-node transpiler that uses esbuild instead of the TypeScript compiler, so that `ts-node apps/peer.ts`
 * shows its prompt in a fraction of a second. Like ts-node's own transpile-only mode it only strips types;
 * type checking is `npm run typecheck` (tsc --noEmit), which CI runs. esbuild also lowers the TC39
 * decorators that `@app.route(...)` uses. Wired up in tsconfig.json under "ts-node".
 */
'use strict';
const { stop, transformSync } = require('esbuild');
const { setTimeout } = require('node:timers');

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

exports.create = function create() {
  return {
    transpile(input, { fileName }) {
      const result = transformSync(input, {
        loader: fileName.endsWith('x') ? 'tsx' : 'ts',
        format: 'cjs',
        target: 'node20',
        sourcemap: 'external',
        sourcefile: fileName,
        // TypeScript's own CommonJS output keeps `this` undefined at top level and marks ES modules; match it.
        supported: { decorators: false },
      });
      stopSoon();
      return { outputText: result.code, sourceMapText: result.map };
    },
  };
};
