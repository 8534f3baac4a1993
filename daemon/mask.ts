/**
 * What `--trace` (trace.ts) hides before it prints: the values of cookies, `Authorization`, and of fields
 * named like secrets (`password`, `signature`, `token`, `key`, ...) in a query string, a form body or JSON.
 * Names stay, so a student still sees which cookie or field went by. Pure text in, text out. New; no WeApRous twin.
 */

/** Field names whose values are secrets wherever they appear: `?token=`, `password=` in a form, `"signature":` in JSON. */
const SECRET_NAMES = 'password|passwd|signature|token|secret|key|session';

export const HIDDEN = '***';

const QUERY_SECRET = new RegExp(`((?:^|[?&;])(?:${SECRET_NAMES})=)[^&;#\\s"]*`, 'gi');
// The closing quote is optional: a body cut in the middle of a secret is still masked.
const JSON_SECRET = new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*("?)`, 'gi');

/** `/login/?token=abc&x=1` → `/login/?token=***&x=1`: a URL or query string with its secret parameters hidden. */
export function maskQuery(text: string): string {
  return text.includes('=') ? text.replace(QUERY_SECRET, `$1${HIDDEN}`) : text;
}

/** A body's text (form or JSON) with its secret fields hidden: `{"password":"s3"}` → `{"password":"***"}`. */
export function maskBody(text: string): string {
  return maskQuery(text.replace(JSON_SECRET, `$1${HIDDEN}$2`));
}

/** A head's lines as they are printed: the start line, then each field, with their secrets hidden. */
export function maskHead(head: string): string[] {
  const lines = head.split('\r\n').filter((line) => line !== '');
  // A status line holds no secret; a request line's target may (`?token=`).
  return lines.map((line, i) => (i === 0 ? (line.startsWith('HTTP/') ? line : maskQuery(line)) : maskField(line)));
}

/**
 * One header field with its secret value hidden. `Cookie: sid=abc; theme=dark` → `Cookie: sid=***; theme=***`
 * (RFC 6265 §5.4); `Set-Cookie: sid=abc; Path=/` → `Set-Cookie: sid=***; Path=/` (§4.1: only the pair before
 * the first `;`); `Authorization: Basic QWxp` → `Authorization: Basic ***` (the scheme stays, RFC 9110 §11.6.2).
 */
export function maskField(line: string): string {
  const colon = line.indexOf(':');
  if (colon <= 0) return line;
  const name = line.slice(0, colon + 1);
  const value = line.slice(colon + 1);
  switch (name.toLowerCase()) {
    case 'cookie:':
      return name + value.replace(/=[^;]*/g, `=${HIDDEN}`);
    case 'set-cookie:':
      return name + value.replace(/^([^=;]*=)[^;]*/, `$1${HIDDEN}`);
    case 'authorization:':
    case 'proxy-authorization:':
      return name + (/^\s*\S+\s+\S/.test(value) ? value.replace(/^(\s*\S+\s+).*$/, `$1${HIDDEN}`) : ` ${HIDDEN}`);
    case 'location:':
    case 'referer:':
      return maskQuery(line);
    default:
      return line;
  }
}
