/**
 * The Vietnamese walkthrough shows the same commands and outputs as the English one (only the prose is
 * translated): their code blocks, checks and all, are identical once masked, except the annotations at a
 * line's end and the words inside a diagram. Tests for `docs/walkthrough.md` and `docs/walkthrough.vi.md`.
 */

import { expect } from 'chai';
import { docLine } from './console';
import { codeBlocks, type Block } from './markdown';

/** What a block shows, comparable across languages; a diagram (box-drawing characters) keeps only its shape. */
function shown(block: Block): string {
  const diagram = block.lines.some((line) => /[┌┬└]/.test(line));
  const lines = diagram ? block.lines.map((line) => line.replace(/[^\s─│┌┐└┘├┤┬┴┼]/g, '')) : block.lines.map(docLine);
  return [`${block.lang} ${block.check}`, ...lines].join('\n');
}

describe('docs/walkthrough.vi.md', () => {
  it('has the code blocks of docs/walkthrough.md, in the same order, each the same once masked', () => {
    const en = codeBlocks('walkthrough.md');
    const vi = codeBlocks('walkthrough.vi.md');
    for (let i = 0; i < Math.max(en.length, vi.length); i++) {
      const where = `block ${i + 1}: walkthrough.md:${en[i]?.at ?? 'none'}, walkthrough.vi.md:${vi[i]?.at ?? 'none'}`;
      expect(vi[i] && shown(vi[i]), where).to.equal(en[i] && shown(en[i]));
    }
  });
});
