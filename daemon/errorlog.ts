/**
 * What the app prints when a handler fails (`WeApRous.onError`): each failure in one line, with the stack only
 * the first time its message is seen, and at most `PER_WINDOW` a window of 10 s; the rest are counted and
 * said in one line later. The client sees a generic 500 whatever happens here. Whoever can make a handler fail
 * again and again cannot flood the console with it (a chat peer's console is its chat window).
 * New: WeApRous `daemon/weaprous.py` printed each failure's traceback.
 */

export const PER_WINDOW = 10;
export const WINDOW_MS = 10_000;
/** Messages whose stack was printed, remembered so it is not printed again; the oldest forgotten first. */
const STACKS_KEPT = 100;

export class ErrorLog {
  private windowEnds = 0;
  private printed = 0;
  private unprinted = 0;
  private readonly stacked = new Set<string>();

  constructor(
    private readonly print: (...parts: unknown[]) => void = (...parts) => console.error(...parts),
    private readonly now: () => number = Date.now,
  ) {}

  /** One failure of `METHOD path`: printed, or counted while this window's lines are used up. */
  report(error: unknown, request: { method: string; path: string }): void {
    const now = this.now();
    if (now >= this.windowEnds) {
      if (this.unprinted > 0)
        this.print(`[WeApRous] ${this.unprinted} more failures were not printed (at most ${PER_WINDOW} every ${WINDOW_MS / 1000} s)`);
      this.windowEnds = now + WINDOW_MS;
      this.printed = 0;
      this.unprinted = 0;
    }
    if (this.printed >= PER_WINDOW) {
      this.unprinted += 1;
      return;
    }
    this.printed += 1;
    const head = `[WeApRous] ${request.method} ${printable(request.path)} failed:`;
    const message = error instanceof Error ? error.message : String(error);
    if (this.stacked.has(message)) return void this.print(head, printable(message), '(printed with its stack before)');
    if (this.stacked.size >= STACKS_KEPT) this.stacked.delete(this.stacked.values().next().value as string);
    this.stacked.add(message);
    this.print(head, error);
  }
}

/** A path or message as one line: control characters (a newline, an escape sequence) become `?`. */
function printable(text: string): string {
  return text.slice(0, 200).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
