/**
 * The walkthrough, run: a tracker and Alice, Bob and Jack started as its Tests 1 to 4 start them (on free
 * ports), then every block marked `<!-- check: ... -->` in document order: console steps typed into the peers
 * and their lines awaited, curl blocks run with bash and their output compared line by line. In English and
 * in Vietnamese. Tests for `docs/walkthrough.md` and `docs/walkthrough.vi.md`.
 */

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsolePlayer } from './console';
import { codeBlocks } from './markdown';
import { Scene } from './scene';
import { explain, matches, outputLines, run, steps } from './shell';

for (const doc of ['walkthrough.md', 'walkthrough.vi.md']) {
  describe(`docs/${doc}, run`, function () {
    this.timeout(180_000);
    const scene = new Scene();
    const cwd = mkdtempSync(join(tmpdir(), 'weaprous-docs-'));
    after(async () => {
      await scene.stop();
      rmSync(cwd, { recursive: true, force: true });
    });

    it('prints what its checked blocks show, console steps and curl alike', async () => {
      const blocks = codeBlocks(doc).filter((block) => block.check !== '');
      expect(blocks.length, 'checked blocks').to.be.greaterThan(10);
      await scene.ports();
      const processes = new Map([['tracker', await scene.startTracker()]]);
      for (const [name, port] of [
        ['Alice', 5001],
        ['Bob', 5002],
        ['Jack', 5003],
      ] as const) {
        processes.set(name, await scene.startPeer(name, port));
      }
      for (const child of processes.values()) child.cursor = 0; // each block is read from the first line on
      const player = new ConsolePlayer(
        processes,
        (text) => scene.toReal(text),
        (text) => scene.toDoc(text),
      );
      for (const block of blocks) {
        const where = `docs/${doc}:${block.at}`;
        if (block.check.startsWith('console')) await player.play(block, where);
        else if (block.check === 'curl') await runCurl(block, where);
        else throw new Error(`${where}: unknown check "${block.check}"`);
      }
      await player.settle();
    });

    async function runCurl(block: ReturnType<typeof codeBlocks>[number], where: string): Promise<void> {
      for (const step of steps(block)) {
        const actual = outputLines(scene.toDoc(await run(scene.toReal(step.command), cwd)));
        if (step.expected.length === 0) continue;
        if (!matches(step.expected, actual)) throw new Error(explain(where, step.command, step.expected, actual));
      }
    }
  });
}
