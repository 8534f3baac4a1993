/**
 * What the app prints when a handler fails (`WeApRous.onError`): each failure as one line, its message cleaned
 * of control characters, at most `PER_WINDOW` a window of 10 s, the rest counted and said in one line with the
 * next failure printed; and the stack's frames (code locations, never a client's words) under the first failure
 * of each message, one a window at most. The client sees a generic 500 whatever happens here. Whoever
 * can make a handler fail again and again cannot flood the console (a chat peer's console is its chat window),
 * nor write lines of its own in it. New: WeApRous `daemon/weaprous.py` printed each failure's traceback.
 */

export const PER_WINDOW = 10;
export const WINDOW_MS = 10_000;
/** Messages whose stack was printed, remembered so it is not printed again; the oldest forgotten first. */
const STACKS_KEPT = 100;

export class ErrorLog {
  private windowEnds = 0;
  private printed = 0;
  private unprinted = 0;
  private framesPrinted = false;
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
      this.framesPrinted = false;
    }
    if (this.printed >= PER_WINDOW) {
      this.unprinted += 1;
      return;
    }
    this.printed += 1;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const line = `[WeApRous] ${request.method} ${printable(request.path)} failed: ${printable(message)}`;
    const frames = error instanceof Error && !this.framesPrinted && !this.stacked.has(message) ? framesOf(error) : '';
    if (frames === '') return void this.print(line);
    if (this.stacked.size >= STACKS_KEPT) this.stacked.delete(this.stacked.values().next().value as string);
    this.stacked.add(message);
    this.framesPrinted = true;
    this.print(`${line}\n${frames}`);
  }
}

/** The stack's `at ...` lines, without the name and message that head it (those may hold a client's words). */
function framesOf(error: Error): string {
  const lines = (error.stack ?? '').split('\n');
  return lines
    .filter((text) => /^\s+at /.test(text))
    .map((text) => printable(text))
    .join('\n');
}

/** A path, message or frame as one line: control characters (a newline, an escape sequence) become `?`. */
function printable(text: string): string {
  return text.slice(0, 300).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
