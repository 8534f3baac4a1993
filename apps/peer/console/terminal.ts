/**
 * The peer's screen and keyboard: on a terminal, a readline prompt kept at the bottom with each incoming line
 * printed above it (what was half typed is restored); on a pipe, plain lines. The peer's own lines go out whole
 * (a link stays one line); a line carrying another peer's text is cut into marked rows here.
 * Ports `raw_input("[Alice] > ")` and the `print` calls of WeApRous `apps/peer.py`.
 */

import { createInterface, type Interface } from 'node:readline';

export interface TerminalHandlers {
  /** A line the user entered. */
  onLine: (line: string) => void;
  /** Ctrl+D, or the end of piped input. */
  onEnd: () => void;
  /** Ctrl+C typed at the prompt. */
  onInterrupt: () => void;
}

export class Terminal {
  private rl: Interface | null = null;
  private closing = false;
  /** Inside `hold`: how deep, and the rows printed meanwhile. */
  private holding = 0;
  private held: string[] = [];
  /** The screen is gone (terminal window closed, pipe reader quit): nothing more is written. */
  private lost = false;
  /** Whether both ends are a terminal: only then is there a prompt to keep intact. */
  readonly interactive: boolean;

  constructor(
    private readonly input: NodeJS.ReadableStream & { isTTY?: boolean },
    private readonly output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  ) {
    this.interactive = Boolean(input.isTTY && output.isTTY);
    // Without a listener a failed write (EIO, EPIPE) would crash the peer before it could tell anyone it leaves.
    output.on('error', () => {
      this.lost = true;
    });
    if (this.interactive) tolerateLostTerminal(input);
  }

  /**
   * Prints the peer's own lines as they are, never cut: the terminal wraps a long one, so a link stays whole
   * for a click and for `tmux capture-pane -J`. Once the prompt is up, above it, the half-typed line restored.
   */
  print(...lines: string[]): void {
    this.write(lines);
  }

  /** Prints lines that carry text another peer wrote (a message): cut to the screen, each row after the first marked. */
  printQuoted(...lines: string[]): void {
    this.write(this.fit(lines));
  }

  /** The screen's width on a terminal; undefined on a pipe, whose reader has no width. */
  get columns(): number | undefined {
    return this.output.isTTY ? this.output.columns || undefined : undefined;
  }

  /**
   * Runs `work` with what it prints held, then writes it all in one go: `Inbox` shows a batch of 100 messages
   * this way in one system call (and on a terminal one redraw of the prompt), not 100. A print outside it is
   * written at once, as always: explicit, nothing waits for a later tick to go out before the process exits.
   */
  hold<T>(work: () => T): T {
    this.holding += 1;
    try {
      return work();
    } finally {
      this.holding -= 1;
      if (this.holding === 0) this.flush();
    }
  }

  /** Writes what `hold` kept back. */
  private flush(): void {
    if (this.held.length === 0) return;
    const rows = this.held;
    this.held = [];
    this.write(rows);
  }

  private write(rows: string[]): void {
    if (this.lost || rows.length === 0) return;
    if (this.holding > 0) {
      for (const row of rows) this.held.push(row);
      return;
    }
    const rl = this.rl;
    if (!rl || !this.interactive || this.closing) {
      if (rows.length > 0) this.output.write(rows.join('\n') + '\n'); // one write (a system call on a pipe) per print, not per row
      return;
    }
    // Take the typed text off the screen through readline's own keys (Ctrl+E, Ctrl+U), so readline's idea
    // of the screen stays right, print, then put the prompt back and type the text in again.
    const typed = rl.line;
    const fromEnd = typed.length - rl.cursor;
    rl.write(null, { ctrl: true, name: 'e' });
    // readline redraws from the row it last drew on (`prevRows`), which it does not update when pasted text
    // wraps; tell it the cursor's real row, so that Ctrl+U clears every row of a long line, not just the last.
    (rl as Interface & { prevRows?: number }).prevRows = rl.getCursorPos().rows;
    rl.write(null, { ctrl: true, name: 'u' });
    this.output.write('\r\x1b[K' + rows.join('\n') + '\n');
    rl.prompt();
    if (typed !== '') rl.write(typed);
    for (let i = 0; i < fromEnd; i++) rl.write(null, { name: 'left' });
  }

  /** On a screen of known width, each line as the rows `fitToWidth` cuts; elsewhere (a pipe) as it is. */
  private fit(lines: string[]): string[] {
    const columns = this.columns;
    if (columns === undefined) return lines;
    return lines.flatMap((line) => fitToWidth(line, columns));
  }

  /** Shows the prompt and starts reading lines. */
  start(promptText: string, handlers: TerminalHandlers): void {
    const rl = createInterface({ input: this.input, output: this.interactive ? this.output : undefined, terminal: this.interactive });
    this.rl = rl;
    rl.setPrompt(promptText);
    rl.on('line', (line) => {
      if (this.interactive && !this.closing) rl.prompt();
      handlers.onLine(line);
    });
    rl.on('close', () => {
      if (!this.closing) handlers.onEnd();
    });
    rl.on('SIGINT', handlers.onInterrupt);
    if (this.interactive) {
      rl.prompt();
    } else {
      // A pipe gets the prompt once, on a line of its own, so a script can tell that the console is ready.
      this.output.write(promptText + '\n');
    }
  }

  /** Changes the prompt (`[Alice #team] > `); a pipe gets it on a line of its own, as at the start. */
  setPrompt(promptText: string): void {
    const rl = this.rl;
    if (!rl || this.closing || this.lost) return;
    if (promptText === rl.getPrompt()) return;
    rl.setPrompt(promptText);
    // Inside `hold`, after the rows held: on a terminal their write ends by drawing this prompt; on a pipe it is a row.
    if (this.holding > 0) return void (this.interactive || this.held.push(promptText));
    if (this.interactive) rl.prompt(true);
    else this.output.write(promptText + '\n');
  }

  /** Rings the terminal bell; only on a terminal. */
  bell(): void {
    if (this.output.isTTY && !this.lost) this.output.write('\x07');
  }

  /** Stops reading; later `print` calls write plain lines. */
  close(): void {
    this.closing = true;
    // Wipe the fresh prompt readline drew after the last line, so "Leaving..." does not follow an empty prompt.
    if (this.interactive) this.output.write('\r\x1b[K');
    this.rl?.close();
  }
}

/** What starts every row after the first of a line too long for the screen. */
export const CONTINUATION = '  ↳ ';

/**
 * A line cut into rows for a screen `columns` wide, every row after the first starting with CONTINUATION.
 * The terminal then never wraps a message itself, so a long one cannot put text of its choosing at
 * column 0, where it would pass for a line of its own (`[BROADCAST] Bob ...`). Rows are cut between
 * characters as the reader sees them (a letter with its tone marks, a whole emoji) and keep one cell
 * free, for terminals that draw a character wider than `cellWidth` guesses.
 * `fitToWidth('x'.repeat(25), 11)` → `['xxxxxxxxxx', '  ↳ xxxxxx', '  ↳ xxxxxx', '  ↳ xxx']`
 */
export function fitToWidth(line: string, columns: number): string[] {
  const room = columns - 1;
  // Too narrow for a continuation row to hold anything: leave the line to the terminal.
  if (room <= CONTINUATION.length + 1) return [line];
  const rows: string[] = [];
  let row = '';
  let used = 0;
  for (const { segment } of graphemes.segment(line)) {
    const width = cellWidth(segment);
    if (used + width > room) {
      rows.push(row);
      row = CONTINUATION;
      used = CONTINUATION.length;
    }
    row += segment;
    used += width;
  }
  rows.push(row);
  return rows;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

// East Asian wide and fullwidth letters (Hangul, CJK, kana, fullwidth forms) and emoji take two cells.
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]|\p{Emoji_Presentation}|\u{fe0f}/u;

/** The cells one grapheme takes on a terminal: 2 for wide letters and emoji, else 1 (`e` + tone marks: 1). */
function cellWidth(grapheme: string): number {
  return WIDE.test(grapheme) ? 2 : 1;
}

/**
 * When the terminal goes away, the input ends and readline's clean-up calls `setRawMode(false)`, which then
 * throws EIO from inside an event handler: an uncaught exception, so the peer would die without telling
 * the other peers or the tracker. A terminal that is gone has no mode to restore, so that failure is ignored.
 */
function tolerateLostTerminal(input: NodeJS.ReadableStream): void {
  const tty = input as NodeJS.ReadableStream & { setRawMode?: (mode: boolean) => unknown };
  const setRawMode = tty.setRawMode;
  if (typeof setRawMode !== 'function') return;
  tty.setRawMode = (mode: boolean) => {
    try {
      return setRawMode.call(input, mode);
    } catch {
      return input;
    }
  };
}
