/**
 * Tasks: work started without waiting for it (a message's delivery, a catch-up), followed so that leaving can
 * wait for all of it. A task that fails is reported, never thrown into the void. New; no WeApRous twin.
 */

import { reasonOf } from '../../text';
import type { Notify } from './notices';

export class Tasks {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly notify: Notify) {}

  /** Starts `task`; its failure becomes a `failed` notice. */
  run(task: () => Promise<void>): void {
    const running = task().catch((error: unknown) => this.notify({ kind: 'failed', reason: reasonOf(error) }));
    this.running.add(running);
    void running.finally(() => this.running.delete(running));
  }

  /** Settles once every task started so far has ended. */
  async settled(): Promise<void> {
    await Promise.all(this.running);
  }
}
