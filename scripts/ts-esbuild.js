/**
 * A ts-node transpiler that uses esbuild instead of the TypeScript compiler, so that `ts-node apps/peer.ts`
 * shows its prompt in a fraction of a second. Like ts-node's own transpile-only mode it only strips types;
 * type checking is `npm run typecheck` (tsc --noEmit), which CI runs. esbuild also lowers the TC39
 * decorators that `@app.route(...)` uses. Wired up in tsconfig.json under "ts-node".
 */
'use strict';
const { transformSync } = require('esbuild');

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
      return { outputText: result.code, sourceMapText: result.map };
    },
  };
};
