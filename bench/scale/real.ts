/**
 * What the scale bench measures on the real code rather than models: the CPU time of `MessageStore.arrivedAfter`
 * page reads (what catch-up asks) (apps/peer/storage/store.ts, a real history.jsonl in a temporary folder), and a real `Outbox`
 * (apps/peer/delivery/outbox.ts) filled for one peer: its size, its file, what it refuses. New.
 */

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChatMessage, directChannel } from '../../apps/peer/model/message';
import { MessageStore } from '../../apps/peer/storage/store';
import { nextDelay, Outbox, OUTBOX_LIMIT, outboxFileName } from '../../apps/peer/delivery/outbox';
import { makeMessage, peerId } from './scenarios';

/** Readers timed at most: every answering peer reads the same pages of an identical file. */
const READERS = 20;

/** CPU time of one page read: `readers` peers (20 at most) page through `sent`, stored in a real store; per page, in µs. */
export async function timePageReads(sent: ChatMessage[], readers: number): Promise<{ pagesPerReader: number; microsPerPage: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'scale-store-'));
  try {
    const store = await MessageStore.open(dir, { selfId: peerId(1) });
    for (let i = 0; i < sent.length; i += 1000) await Promise.all(sent.slice(i, i + 1000).map((message) => store.add(message)));
    let pages = 0;
    const timed = Math.max(1, Math.min(readers, READERS));
    const start = process.cpuUsage();
    for (let reader = 0; reader < timed; reader++) {
      let [position, more] = [0, true];
      while (more) {
        const page = await store.arrivedAfter('general', position);
        [position, more] = [page.position, page.more && page.messages.length > 0];
        pages += 1;
      }
    }
    const used = process.cpuUsage(start);
    await store.close();
    return { pagesPerReader: pages / timed, microsPerPage: (used.user + used.system) / pages };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One sender's real outbox for peer 0 after `d` direct messages: held, refused, bytes on disk. */
export async function fillOutbox(d: number): Promise<{ held: number; refused: number; fileBytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'scale-outbox-'));
  try {
    const outbox = await Outbox.open(dir, peerId(0));
    let refused = 0;
    for (let n = 0; n < d; n++)
      if ((await outbox.enqueue(makeMessage(peerId(1), directChannel(peerId(0)), n, n + 1))) === 'full') refused += 1;
    const held = outbox.size;
    await outbox.close();
    const { size } = await stat(join(dir, 'outbox', `${outboxFileName(peerId(0))}.jsonl`));
    return { held, refused, fileBytes: size };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Tries of an outbox's head while its peer is away `seconds`: the first send, then each wait of `nextDelay` (middle of its ±20%). */
export function retriesWhileAway(seconds: number): number {
  let [tries, at] = [1, 0];
  for (let failure = 0; ; failure++) {
    at += nextDelay(failure, 0.5) / 1000;
    if (at > seconds) return tries;
    tries += 1;
  }
}

export { OUTBOX_LIMIT };
