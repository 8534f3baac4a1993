/**
 * Test helper: a doc's console block played on real processes. A line `[Alice] > /peers` (or `[Alice #team] >`)
 * is typed into Alice's standard input; every other line is one the block's process (`<!-- check: console Bob -->`)
 * must print, in the order shown, other lines between them allowed. What another peer sent (`[DIRECT] ...`,
 * `[BROADCAST] ...`, `[P2P] Peer connected: ...`) arrives when that peer acts, perhaps in a later block, so such
 * a line is only required somewhere after the block began. New.
 */

import { expect } from 'chai';
import type { Child } from '../apps/child';
import { mask, type Block } from './markdown';

/** A line that reports what another process did, printed whenever that happens. */
const INCOMING = /^\[(DIRECT|BROADCAST|#[\w-]+)\] |^\[P2P\] Peer (connected|disconnected): /;

/** `[Alice] > /peers` → Alice types `/peers`; `[Alice] >` alone is the prompt, a line like any other. */
const TYPED = /^\[([^\]\s,]+)[^\]]*\] > (.+)$/;

interface Late {
  child: Child;
  from: number;
  line: string;
  at: string;
}

/** The lines a doc shows with what varies masked and the annotations `   (Bob's pane)` at their end removed. */
export function docLine(line: string): string {
  return mask(line.replace(/\s{3,}\([^)]*\)$/, ''));
}

export class ConsolePlayer {
  private readonly late: Late[] = [];

  /** `processes` by the name a block's marker and prompts use; `toDoc` rewrites real ports as the doc's. */
  constructor(
    private readonly processes: Map<string, Child>,
    private readonly toReal: (text: string) => string,
    private readonly toDoc: (text: string) => string,
  ) {}

  /** Types the block's commands and waits for each line it shows, in order (except incoming ones). */
  async play(block: Block, where: string): Promise<void> {
    const child = this.child(block.check.replace(/^console\s+/, ''), where);
    const from = child.cursor;
    for (const line of block.lines) {
      const typed = TYPED.exec(line);
      if (typed) {
        this.child(typed[1], where).type(this.toReal(typed[2]));
        continue;
      }
      if (line.trim() === '...' || line.trim() === '') continue;
      if (INCOMING.test(line)) this.late.push({ child, from, line, at: where });
      else await child.waitFor(this.pattern(line), 10_000).catch((error: Error) => this.fail(where, line, error));
    }
  }

  /** Checks that each incoming line appeared after its block began. */
  async settle(): Promise<void> {
    for (const { child, from, line, at } of this.late.splice(0)) {
      await child.waitForLines([this.pattern(line)], 10_000, from).catch((error: Error) => this.fail(at, line, error));
    }
  }

  private child(name: string, where: string): Child {
    const child = this.processes.get(name);
    expect(child, `${where}: no process called ${name} in this walkthrough`).to.not.equal(undefined);
    return child!;
  }

  /** A RegExp testing a real line, after rewriting its ports and masking it, against the doc's. */
  private pattern(line: string): RegExp {
    const want = docLine(line);
    const toDoc = this.toDoc;
    return { test: (real: string) => mask(toDoc(real)) === want, toString: () => want } as unknown as RegExp;
  }

  private fail(where: string, line: string, error: Error): never {
    throw new Error(`${where}: the doc shows\n    ${line}\nbut the process did not print it:\n${error.message}`);
  }
}
