/**
 * The Task 1 doc, run: the sampleapp started on a free port, and each curl block marked `<!-- check: curl -->`
 * run with bash, its output compared line by line with the doc's once masked. An `ETag` or `Last-Modified`
 * the doc shows stands, in a later command, for the one the real run printed, as a reader would copy theirs.
 * Tests for `docs/task1-cookie-login.md`.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeBlocks } from './markdown';
import { Scene } from './scene';
import { explain, matches, outputLines, run, steps } from './shell';

/** The validators a response carries, by header: what a reader copies into the next request. */
const VALIDATORS = /^(ETag|Last-Modified): (.+)$/i;

/** Each validator the doc shows, mapped to the one the real run printed in the same place. */
function learn(expected: string[], actual: string[], into: Map<string, string>): void {
  const values = (lines: string[]) => {
    const found = new Map<string, string>();
    for (const match of lines.map((line) => VALIDATORS.exec(line))) if (match) found.set(match[1].toLowerCase(), match[2]);
    return found;
  };
  const real = values(actual);
  for (const [name, value] of values(expected)) if (real.has(name)) into.set(value, real.get(name)!);
}

describe('docs/task1-cookie-login.md, run', function () {
  this.timeout(120_000);
  const scene = new Scene();
  const cwd = mkdtempSync(join(tmpdir(), 'weaprous-docs-'));
  after(async () => {
    await scene.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('prints what its curl blocks show', async () => {
    const blocks = codeBlocks('task1-cookie-login.md').filter((block) => block.check === 'curl');
    expect(blocks.length, 'checked blocks').to.be.greaterThan(5);
    await scene.ports();
    await scene.startSampleApp();
    const copied = new Map<string, string>();
    for (const block of blocks) {
      for (const step of steps(block)) {
        let command = scene.toReal(step.command);
        for (const [doc, real] of copied) command = command.split(doc).join(real);
        const actual = outputLines(scene.toDoc(await run(command, cwd)));
        if (!matches(step.expected, actual))
          throw new Error(explain(`docs/task1-cookie-login.md:${block.at}`, step.command, step.expected, actual));
        learn(step.expected, actual, copied);
      }
    }
  });
});
