/**
 * Rules about the daemon's imports, checked on the source text: it is built from scratch on `node:*`
 * modules only, and its files form a tree, with no import cycles (type-only imports included), so each
 * file can be read before the ones that use it. New; no WeApRous twin.
 */

import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DAEMON = join(__dirname, '..', '..', 'daemon');

/** Every module each daemon file imports or re-exports from: `{ 'request.ts': ['./chunked', 'node:net'] }`. */
function importsByFile(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of readdirSync(DAEMON).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(join(DAEMON, file), 'utf8');
    const specifiers = [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => m[1]);
    out.set(file, specifiers);
  }
  return out;
}

/** A cycle among the daemon's own files, as a list of file names, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null;
    if (state.get(file) === 'visiting') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'visiting');
    path.push(file);
    for (const spec of graph.get(file) ?? []) {
      if (!spec.startsWith('./')) continue;
      const cycle = visit(`${spec.slice(2)}.ts`);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
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
    expect(findCycle(graph)).to.equal(null);
  });

  it('would see a cycle if there were one', () => {
    const cyclic = new Map([
      ['a.ts', ['./b']],
      ['b.ts', ['./c']],
      ['c.ts', ['./a']],
    ]);
    expect(findCycle(cyclic)).to.deep.equal(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  });
});
