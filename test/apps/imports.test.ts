/**
 * Rules about the apps' imports, checked on the source text (as `test/daemon/imports.test.ts` does for the
 * framework): no import cycle in `apps/` (type-only imports included); the peer's layers import only the
 * layers below them (apps/peer/README.md); and the peer and the tracker never import each other, since they
 * meet only over HTTP (docs/protocol.md). New; no WeApRous twin.
 */

import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { findCycle, importSpecifiers } from '../helpers/imports';
const ROOT = resolve(__dirname, '..', '..');
const APPS = join(ROOT, 'apps');

/**
 * The peer's layers, bottom first: a file may import files of its own layer and of the layers before it.
 * `console` and `web` are two screens side by side: neither imports the other.
 */
const PEER_LAYERS: string[][] = [
  ['model'],
  ['storage'],
  ['identity'],
  ['delivery'],
  ['network'],
  ['chat.ts'],
  ['console', 'web'],
  ['app.ts', 'build.ts', 'options.ts'],
];
const SCREENS = new Set(['console', 'web']);

/** Every `.ts` file under `dir`, as paths relative to the repository. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

/** The files each file imports (or re-exports from), type-only imports included, as repository paths. */
export function importGraph(files: string[], read: (file: string) => string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const specifiers = importSpecifiers(read(file));
    const targets = specifiers
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => relative(ROOT, resolve(ROOT, dirname(file), spec)))
      .map((path) => (existsSync(join(ROOT, `${path}.ts`)) || !existsSync(join(ROOT, path)) ? `${path}.ts` : path));
    graph.set(file, targets);
  }
  return graph;
}

/** The layer of a file under `apps/peer/` (its index in `PEER_LAYERS`), or undefined for a file outside it. */
export function peerLayer(file: string): { index: number; name: string } | undefined {
  const inside = file.startsWith('apps/peer/') ? file.slice('apps/peer/'.length) : undefined;
  if (inside === undefined) return undefined;
  const name = inside.includes('/') ? inside.slice(0, inside.indexOf('/')) : inside;
  const index = PEER_LAYERS.findIndex((layer) => layer.includes(name));
  if (index === -1) throw new Error(`${file} is in no layer of PEER_LAYERS; add its folder there and to apps/peer/README.md`);
  return { index, name };
}

/** Each import of a peer file that reaches up, or sideways to the other screen: `'a.ts -> b.ts'`. */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = peerLayer(file);
    if (!from) continue;
    for (const target of targets) {
      const to = peerLayer(target);
      if (!to) continue;
      const otherScreen = SCREENS.has(from.name) && SCREENS.has(to.name) && from.name !== to.name;
      if (to.index > from.index || otherScreen) out.push(`${file} -> ${target}`);
    }
  }
  return out;
}

/** Imports from one app into the other: the peer and the tracker share only the files at `apps/`'s top. */
export function crossAppImports(graph: Map<string, string[]>): string[] {
  const app = (file: string) => (file.startsWith('apps/peer') ? 'peer' : file.startsWith('apps/tracker') ? 'tracker' : 'shared');
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const [a, b] = [app(file), app(target)];
      if (a !== b && b !== 'shared' && target.startsWith('apps/')) out.push(`${file} -> ${target}`);
    }
  }
  return out;
}

describe('apps/ imports', () => {
  const files = sourceFiles(APPS);
  const graph = importGraph(files, (file) => readFileSync(join(ROOT, file), 'utf8'));

  it('finds the apps and their imports (the checks below are not vacuous)', () => {
    expect(graph.size).to.be.at.least(50);
    expect(graph.get('apps/peer/app.ts')).to.include('apps/peer/chat.ts');
  });

  it('places every file of the peer in a layer', () => {
    const unplaced = files.filter((file) => {
      try {
        peerLayer(file);
        return false;
      } catch {
        return true;
      }
    });
    expect(unplaced).to.deep.equal([]);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(findCycle(graph)).to.equal(null);
  });

  it("has no peer layer importing one above it, and no screen importing the other's files", () => {
    expect(layerViolations(graph)).to.deep.equal([]);
  });

  it('has the peer and the tracker meet only over HTTP: neither imports the other', () => {
    expect(crossAppImports(graph)).to.deep.equal([]);
  });

  it('would see each kind of fault if there were one', () => {
    const bad = new Map([
      ['apps/peer/model/a.ts', ['apps/peer/network/b.ts']], // up a layer
      ['apps/peer/network/b.ts', ['apps/peer/model/a.ts']], // with the line above: a cycle
      ['apps/peer/console/c.ts', ['apps/peer/web/d.ts']], // one screen into the other
      ['apps/peer/web/d.ts', ['apps/tracker/e.ts']], // into the tracker
      ['apps/tracker/e.ts', ['apps/protocol.ts']], // shared: fine
    ]);
    expect(findCycle(bad)).to.deep.equal(['apps/peer/model/a.ts', 'apps/peer/network/b.ts', 'apps/peer/model/a.ts']);
    expect(layerViolations(bad)).to.deep.equal([
      'apps/peer/model/a.ts -> apps/peer/network/b.ts',
      'apps/peer/console/c.ts -> apps/peer/web/d.ts',
    ]);
    expect(crossAppImports(bad)).to.deep.equal(['apps/peer/web/d.ts -> apps/tracker/e.ts']);
  });
});
