/**
 * Header field lines (RFC 9112 §5, RFC 9110 §5): `name: value` after the start line of a request or
 * a response, and in a chunked trailer. Pure. Shared by the request parser, the HTTP client and the proxy.
 * WeApRous `daemon/request.py` did this inline with `line.split(': ', 1)`.
 */

import { CaseInsensitiveDict } from './dictionary';

export interface FieldError {
  status: 400 | 431;
  code: string;
  reason: string;
}

export interface Fields {
  headers: CaseInsensitiveDict<string>;
  /** How many times each of these appeared: a repeat is an attack, not a list (RFC 9112 §6.3, §3.2). */
  contentLengthCount: number;
  hostCount: number;
}

// field-name = token (RFC 9110 §5.1); anything else, including a space before the colon, is refused.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// field-value may hold VCHAR, SP, HTAB and obs-text; every other control character is refused (§5.5).
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Parses `lines[from..]`, each one `name: value` with no line terminator.
 * A repeated field is joined with ", " (RFC 9110 §5.3); Cookie is joined with "; " (RFC 6265 §5.4).
 */
export function parseFieldLines(lines: string[], from: number, maxCount: number): Fields | FieldError {
  const headers = new CaseInsensitiveDict<string>();
  let contentLengthCount = 0;
  let hostCount = 0;
  if (lines.length - from > maxCount) {
    return { status: 431, code: 'TOO_MANY_HEADERS', reason: `More than ${maxCount} header fields.` };
  }
  for (let i = from; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) {
      return { status: 400, code: 'OBSOLETE_LINE_FOLDING', reason: 'Header values must not be folded onto a new line.' };
    }
    if (colon <= 0) return { status: 400, code: 'INVALID_HEADER', reason: 'Each header line must be "Name: value".' };
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) {
      return { status: 400, code: 'INVALID_HEADER_TOKEN', reason: 'A header name has a space or a character not allowed in a token.' };
    }
    const value = trimOws(line.slice(colon + 1));
    if (BAD_VALUE_CHAR.test(value)) {
      return { status: 400, code: 'INVALID_HEADER_VALUE', reason: `The value of "${name}" has a control character.` };
    }
    const key = name.toLowerCase();
    if (key === 'content-length') contentLengthCount++;
    else if (key === 'host') hostCount++;
    const previous = headers.get(key);
    if (previous === undefined) headers.set(name, value);
    else headers.set(name, previous + (key === 'cookie' ? '; ' : ', ') + value);
  }
  return { headers, contentLengthCount, hostCount };
}

/** Strips optional whitespace (SP and HTAB only, RFC 9110 §5.6.3) from both ends. */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}
