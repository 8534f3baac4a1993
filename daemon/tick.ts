/**
 * A timer that runs only while there is work: `wake` starts it (when a connection opens, a message is queued),
 * `sleep` stops it (when none is left), so an idle process arms no timer and the kernel never wakes it.
 * Unref'd: a tick never keeps a process alive. New: WeApRous had no timers.
 */

export class Tick {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly fn: () => void,
    readonly everyMs: number,
  ) {}

  get running(): boolean {
    return this.timer !== null;
  }

  /** Starts the tick if it sleeps; the first run is `everyMs` from now. */
  wake(): void {
    if (this.timer) return;
    this.timer = setInterval(this.fn, this.everyMs);
    this.timer.unref();
  }

  sleep(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
