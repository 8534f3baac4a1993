/**
 * Header field lines (RFC 9112 §5, RFC 9110 §5): `name: value CRLF` after the start line of a request or
 * a response, and in a chunked trailer section. A line is read left to right, may stop anywhere when the
 * bytes run out and resumes where it stopped, so a bad byte is refused where it stands. Pure.
 * WeApRous `daemon/request.py` did this inline with `line.split(': ', 1)`.
 */

import type { CaseInsensitiveDict } from './dictionary';
import { COLON, CR, FIELD_VCHAR, HTAB, LF, SP, TOKEN } from './grammar';
import { refuse, type Refusal } from './status';

/** How far one field line has been read. Every index is into the text being scanned. */
export interface FieldScan {
  /** The first byte of the line. */
  lineStart: number;
  /** The next byte to read. */
  pos: number;
  /** The colon that ends the name, or -1 while the name is still being read. */
  colon: number;
  /** Where the value starts and ends without the whitespace around it (RFC 9110 §5.5); -1 while it is empty. */
  valueStart: number;
  valueEnd: number;
}

export function newFieldScan(): FieldScan {
  return { lineStart: 0, pos: 0, colon: -1, valueStart: -1, valueEnd: -1 };
}

/** Points `f` at a new line starting at `at`. */
export function startFieldLine(f: FieldScan, at: number): void {
  f.lineStart = at;
  f.pos = at;
  f.colon = -1;
  f.valueStart = -1;
  f.valueEnd = -1;
}

/**
 * Reads the field line at `f.lineStart` as far as `text` goes: `'line'` once its CRLF is in (`f.pos` is then
 * the start of the next line), `'incomplete'` if the text ends first, or the refusal at the first byte that
 * cannot belong to a field line. An empty line (the end of the section) is the caller's to recognise.
 * `scanFieldLine('Host: a\r\n', f)` → `'line'`, with `fieldName` `'Host'` and `fieldValue` `'a'`.
 */
export function scanFieldLine(text: string, f: FieldScan): 'line' | 'incomplete' | Refusal {
  if (f.colon === -1) {
    const name = scanName(text, f);
    if (name !== null) return name;
  }
  return scanValue(text, f);
}

/** field-name = token (RFC 9110 §5.1), then ":". Null once the colon is read. */
function scanName(text: string, f: FieldScan): 'incomplete' | Refusal | null {
  for (let i = f.pos; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (TOKEN[c] === 1) continue;
    if (c === COLON && i > f.lineStart) {
      f.colon = i;
      f.pos = i + 1;
      return null;
    }
    return nameError(c, i === f.lineStart);
  }
  f.pos = text.length;
  return 'incomplete';
}

function nameError(c: number, first: boolean): Refusal {
  if (c === LF) return bareLf();
  // RFC 9112 §5.2: obs-fold (a line continued by leading whitespace) is refused, not unfolded.
  if (first && (c === SP || c === HTAB)) return refuse(400, 'OBSOLETE_LINE_FOLDING', 'Header values must not be folded onto a new line.');
  if (c === COLON || c === CR) return refuse(400, 'INVALID_HEADER', 'Each header line must be "Name: value".');
  // RFC 9112 §5.1: no whitespace between the name and the colon; a request smuggler's favourite.
  return refuse(400, 'INVALID_HEADER_TOKEN', 'A header name has a space or a character not allowed in a token.');
}

/** field-value = *field-content, between optional whitespace, then CRLF (RFC 9110 §5.5, RFC 9112 §5). */
function scanValue(text: string, f: FieldScan): 'line' | 'incomplete' | Refusal {
  // A CR is only ever read as the end of the value: if the last call stopped right after one, the LF is due.
  if (f.pos > f.colon + 1 && text.charCodeAt(f.pos - 1) === CR) return lineFeed(text, f, f.pos);
  // Kept in locals while the loop runs, which is where a head spends most of its time.
  let start = f.valueStart;
  let end = f.valueEnd;
  let i = f.pos;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (FIELD_VCHAR[c] === 1) {
      if (start === -1) start = i;
      end = i + 1;
    } else if (c === CR) {
      break;
    } else if (c !== SP && c !== HTAB) {
      if (c === LF) return bareLf();
      return refuse(400, 'INVALID_HEADER_VALUE', `The value of "${fieldName(text, f)}" has a control character.`);
    }
  }
  f.valueStart = start;
  f.valueEnd = end;
  if (i < text.length) return lineFeed(text, f, i + 1); // the CR
  f.pos = i;
  return 'incomplete';
}

function lineFeed(text: string, f: FieldScan, at: number): 'line' | 'incomplete' | Refusal {
  f.pos = at;
  if (at >= text.length) return 'incomplete';
  if (text.charCodeAt(at) !== LF) return bareCr();
  f.pos = at + 1;
  return 'line';
}

/** The name of the line `f` has read, as sent. */
export function fieldName(text: string, f: FieldScan): string {
  return text.slice(f.lineStart, f.colon);
}

/** The value of the line `f` has read, without the whitespace around it. */
export function fieldValue(text: string, f: FieldScan): string {
  return f.valueStart === -1 ? '' : text.slice(f.valueStart, f.valueEnd);
}

/**
 * Stores a field; `key` is `name` in lower case. A repeated field is joined with ", " (RFC 9110 §5.3),
 * Cookie with "; " (RFC 6265 §5.4).
 */
export function addField(headers: CaseInsensitiveDict<string>, key: string, name: string, value: string): void {
  const previous = headers.get(key);
  if (previous === undefined) headers.set(name, value);
  else headers.set(key, previous + (key === 'cookie' ? '; ' : ', ') + value);
}

/** RFC 9112 §2.2: lines end with CRLF. A bare LF is refused rather than guessed at. */
export function bareLf(): Refusal {
  return refuse(400, 'LF_EXPECTED', 'Lines must end with CRLF, not a bare LF.');
}

/** RFC 9112 §2.2: a CR that is not followed by LF. */
export function bareCr(): Refusal {
  return refuse(400, 'CR_EXPECTED', 'A CR must be followed by LF.');
}
