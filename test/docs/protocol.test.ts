/**
 * The protocol's curl examples, run: a tracker, Alice and Bob started as the walkthrough starts them (on free
 * ports), then each block marked `<!-- check: curl -->` run with bash and compared line by line, a `# 401 {...}`
 * line comparing the status code and the body. Tests for `docs/protocol.md`.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeBlocks } from './markdown';
import { Scene } from './scene';
import { explain, matches, outputLines, run, statusLine, steps, WITH_STATUS, withStatus } from './shell';

describe('docs/protocol.md, run', function () {
  this.timeout(120_000);
  const scene = new Scene();
  const cwd = mkdtempSync(join(tmpdir(), 'weaprous-docs-'));
  after(async () => {
    await scene.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('prints what its checked curl blocks show', async () => {
    const blocks = codeBlocks('protocol.md').filter((block) => block.check === 'curl');
    expect(blocks.length, 'checked blocks').to.be.greaterThan(1);
    await scene.ports();
    await scene.startTracker();
    await scene.startPeer('Alice', 5001);
    await scene.startPeer('Bob', 5002);
    for (const block of blocks) {
      for (const step of steps(block)) {
        const status = WITH_STATUS.test(step.expected[0] ?? '');
        const output = scene.toDoc(await run(scene.toReal(status ? withStatus(step.command) : step.command), cwd));
        const actual = status ? statusLine(output) : outputLines(output);
        if (step.expected.length > 0 && !matches(step.expected, actual)) {
          throw new Error(explain(`docs/protocol.md:${block.at}`, step.command, step.expected, actual));
        }
      }
    }
  });
});
