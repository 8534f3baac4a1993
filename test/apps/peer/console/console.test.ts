/**
 * The console's queue of typed lines (`apps/peer/console/console.ts`), with a stand-in for the chat: plain lines
 * typed at once are sent together, at most `MAX_RUN_LINES` to a run, in order, and a command between them ends
 * a run. The whole peer is tested with real processes elsewhere (`app.test.ts`, the e2e tests).
 * Tests for `apps/peer/console/console.ts` (the `PeerConsole` of WeApRous `apps/peer.py`'s input loop).
 */

import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { type ConsoleParts, MAX_RUN_LINES, PeerConsole } from '../../../../apps/peer/console/console';
import { Terminal } from '../../../../apps/peer/console/terminal';

describe('PeerConsole', () => {
  it(`sends a paste in runs of at most ${MAX_RUN_LINES} lines, in order; a command between lines ends a run`, async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString('utf8')));
    const runs: string[][] = [];
    const shownBefore: number[] = []; // how much the console had printed as each run was sent
    let allSent!: () => void;
    const sent = new Promise<void>((done) => (allSent = done));
    const lines = Array.from({ length: 1_200 }, (_, n) => `m${n + 1}`);
    const chat = {
      sendAll: async (conversation: string, texts: string[]) => {
        runs.push(texts);
        shownBefore.push(shown.length);
        if (runs.flat().length === lines.length + 1) allSent();
        return texts.map(() => ({ ok: true, value: { conversation } }));
      },
    };
    const terminal = new Terminal(input, output);
    const parts = { self: { name: 'Alice', peer_id: '127.0.0.1:5001' }, channels: { current: 'general' }, terminal, chat };
    const console = new PeerConsole(parts as unknown as ConsoleParts);
    console.open({ quit: async () => {}, interrupt: () => {} });
    input.write([...lines, '/help', 'after the help'].map((line) => `${line}\n`).join(''));
    await sent;
    expect(runs.map((run) => run.length)).to.deep.equal([500, 500, 200, 1]);
    expect(runs.flat()).to.deep.equal([...lines, 'after the help']);
    expect(shownBefore[3]).to.be.above(shownBefore[2]); // the help was printed between the third run and the last, as typed
    input.end();
  });
});
