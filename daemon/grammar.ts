/**
 * The character classes of HTTP's grammar, one byte table each: token characters (RFC 9110 §5.6.2),
 * the characters of a field value (§5.5), hex digits for chunk sizes (RFC 9112 §7.1). The parser, the
 * field lines, the chunked decoder and the framing rules all read bytes through these tables, so a rule
 * lives in one place. New: WeApRous's Python original had no grammar beyond `split(' ')`.
 */

/** The two versions this framework speaks (RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT). */
export type HttpVersion = 'HTTP/1.0' | 'HTTP/1.1';

export const SP = 0x20;
export const HTAB = 0x09;
export const CR = 0x0d;
export const LF = 0x0a;
export const COLON = 0x3a;

/** A table of 256 bytes: 1 for every character in `members`, 0 for the rest. */
function table(members: string): Uint8Array {
  const out = new Uint8Array(256);
  for (let i = 0; i < members.length; i++) out[members.charCodeAt(i)] = 1;
  return out;
}

function range(from: number, to: number): string {
  let out = '';
  for (let c = from; c <= to; c++) out += String.fromCharCode(c);
  return out;
}

const DIGITS = '0123456789';
const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA (RFC 9110 §5.6.2). */
export const TOKEN = table("!#$%&'*+-.^_`|~" + DIGITS + ALPHA);

/** VCHAR (visible ASCII, 0x21-0x7E) and obs-text (0x80-0xFF): the characters of a field value besides SP and HTAB (RFC 9110 §5.5). */
export const FIELD_VCHAR = table(range(0x21, 0x7e) + range(0x80, 0xff));

/** Visible ASCII only: the characters of a request-target (RFC 9112 §3.2) and of a Host value (RFC 9110 §7.2). */
export const VISIBLE_ASCII = table(range(0x21, 0x7e));

/** qdtext = HTAB / SP / "!" / %x23-5B / %x5D-7E / obs-text: a quoted-string's characters besides `\` and `"` (RFC 9110 §5.6.4). */
export const QDTEXT = table('\t !' + range(0x23, 0x5b) + range(0x5d, 0x7e) + range(0x80, 0xff));

/** `isToken('Content-Type')` → true; `isToken('Bad Name')` → false. Empty is not a token. */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    if (TOKEN[text.charCodeAt(i)] !== 1) return false; // a code above 255 reads undefined: not a token either
  }
  return true;
}

/** Whether every character is VCHAR, obs-text, SP or HTAB: a field value with no control character (RFC 9110 §5.5). */
export function isFieldValue(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (FIELD_VCHAR[c] !== 1 && c !== SP && c !== HTAB) return false;
  }
  return true;
}

/** `'12'` → true, `'1a'` and `''` → false: 1*DIGIT, as Content-Length is written (RFC 9110 §8.6). */
export function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The value of a hex digit (`'a'` → 10), or -1 for any other byte (RFC 9112 §7.1: chunk-size = 1*HEXDIG). */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20; // 'A'-'F' → 'a'-'f'
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** Strips optional whitespace (SP and HTAB only, RFC 9110 §5.6.3) from both ends. */
export function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** OWS = *( SP / HTAB ) (RFC 9110 §5.6.3). */
export function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}
