/**
 * Small pure helpers for the pieces of a request that are URL-ish: the request target, query strings,
 * form bodies and the Cookie header; and `printable`, how any text is quoted in a log line or error sentence.
 * Ports WeApRous `daemon/utils.py`, which held the URL helpers of the original. No I/O.
 */

/** Splits an origin-form or absolute-form target into a decoded path and query (RFC 9112 §3.2). */
export function splitTarget(
  target: string,
): { path: string; query: Record<string, string>; authority: string | null } | { invalid: string } {
  let rest = target;
  let authority: string | null = null;
  if (target === '*') return { path: '*', query: {}, authority };
  if (!target.startsWith('/')) {
    // absolute-form (`http://host/path`), sent to proxies: keep the path part, and the host for the Host header.
    const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(target);
    if (!scheme) return { invalid: 'The request target must start with "/" (or be an absolute http:// URL).' };
    authority = scheme[1];
    // RFC 9110 §4.2.4: user information in an http URI is an error; an empty host names nothing.
    if (authority === '' || authority.includes('@'))
      return { invalid: 'The host of an absolute-form target is empty or has user information.' };
    rest = target.slice(scheme[0].length) || '/';
    if (!rest.startsWith('/')) rest = '/' + rest;
  }
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const rawPath = q === -1 ? rest : rest.slice(0, q);
  const path = safeDecode(rawPath);
  const query = q === -1 ? {} : parseQueryString(rest.slice(q + 1));
  if (path === null || query === null) {
    // decodeURIComponent fails on `%zz` and on escapes that are not UTF-8 (`%E9` is "é" in Latin-1 only).
    return { invalid: 'The request target has a malformed percent-escape, or one that does not decode as UTF-8 (send "é" as %C3%A9).' };
  }
  return { path, query, authority };
}

/**
 * Decodes `a=1&b=two+words` into `{ a: '1', b: 'two words' }`. Also used for form bodies.
 * Returns null when a percent-escape is malformed.
 */
export function parseQueryString(text: string): Record<string, string> | null {
  const out: Record<string, string> = Object.create(null);
  if (text === '') return out;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = formDecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = formDecode(eq === -1 ? '' : pair.slice(eq + 1));
    if (name === null || value === null) return null;
    out[name] = value;
  }
  return out;
}

/** One name or value of a query string or form: `+` is a space, then percent-escapes (WHATWG URL, form-urlencoded). */
function formDecode(text: string): string | null {
  return safeDecode(text.indexOf('+') === -1 ? text : text.replace(PLUS, ' ')); // most have no "+": skip the regex
}

const PLUS = /\+/g;

/** `decodeURIComponent`, or null instead of an exception for a malformed escape. */
export function safeDecode(text: string): string | null {
  if (text.indexOf('%') === -1) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** `a=1; b="two"` → `{ a: '1', b: 'two' }` (RFC 6265 §5.4). Malformed pairs are skipped, never fatal. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!header) return out;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !(name in out)) out[name] = safeDecode(value) ?? value;
  }
  return out;
}

/** C0 controls, DEL and C1 controls: what must not reach a terminal or a log line as it is. */
export const CONTROL_CHARACTERS = /[\x00-\x1f\x7f-\x9f]/;

const EVERY_CONTROL_CHARACTER = new RegExp(CONTROL_CHARACTERS.source, 'g');

/**
 * `text` fit for one log line or error sentence: cut to `max` characters first (so the work is linear however long
 * the text), control characters written as escapes, and the full length said when cut:
 * `printable('GET\r\n')` → `GET\x0d\x0a`; `printable('x'.repeat(50))` → `xxx…x... (50 characters)`.
 */
export function printable(text: string, max = 40): string {
  const head = text.slice(0, max).replace(EVERY_CONTROL_CHARACTER, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (text.length <= max && head.length <= max) return head;
  return `${head.slice(0, max)}... (${text.length} characters)`;
}
