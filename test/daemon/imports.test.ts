/**
 * Rules about the daemon's imports, checked on the source text: it is built from scratch on `node:*`
 * modules only, and its files form a tree, with no import cycles (type-only imports included), so each
 * file can be read before the ones that use it. New; no WeApRous twin.
 */

import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { findCycle, importSpecifiers } from '../helpers/imports';
const DAEMON = join(__dirname, '..', '..', 'daemon');

/** Every module each daemon file imports or re-exports from: `{ 'request.ts': ['./chunked', 'node:net'] }`. */
function importsByFile(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of readdirSync(DAEMON).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(join(DAEMON, file), 'utf8');
    const specifiers = importSpecifiers(source);
    out.set(file, specifiers);
  }
  return out;
}

/** The graph with only the daemon's own files, by file name: `'./request'` → `'request.ts'`. */
function ownFiles(graph: Map<string, string[]>): Map<string, string[]> {
  return new Map([...graph].map(([file, specs]) => [file, specs.filter((s) => s.startsWith('./')).map((s) => `${s.slice(2)}.ts`)]));
}

describe('daemon/ imports', () => {
  const graph = importsByFile();

  it('finds the daemon files and their imports (the check below is not vacuous)', () => {
    expect(graph.size).to.be.at.least(20);
    expect(graph.get('httpadapter.ts')).to.include('./request');
  });

  it('imports only node:* modules and its own files', () => {
    const foreign = [...graph].flatMap(([file, specs]) =>
      specs.filter((s) => !s.startsWith('node:') && !s.startsWith('./')).map((s) => `${file}: ${s}`),
    );
    expect(foreign).to.deep.equal([]);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(findCycle(ownFiles(graph))).to.equal(null);
  });

  it('would see a cycle if there were one', () => {
    const cyclic = new Map([
      ['a.ts', ['./b']],
      ['b.ts', ['./c']],
      ['c.ts', ['./a']],
    ]);
    expect(findCycle(ownFiles(cyclic))).to.deep.equal(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  });
});
