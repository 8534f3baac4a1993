/**
 * Static files: map a URL path to a file under one folder, refuse every path that would leave that folder,
 * and answer with the right Content-Type, validators (ETag, Last-Modified) and 304 Not Modified.
 * Ports the file half of WeApRous `daemon/response.py`, which picked `www/` for HTML and `static/` for
 * css/js/images by MIME type; here the app names the folder (`serveFile(wwwRoot, ...)`, `serveStatic`).
 */

import { createReadStream, type Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { contentType } from './mime';
import { response, text, type Response } from './response';
import type { CaseInsensitiveDict } from './dictionary';
import type { Request } from './request';
import type { WeApRous } from './weaprous';

export interface ServeOptions {
  /** The `Cache-Control` value; default `no-cache` (keep a copy, but ask each time: a cheap 304). */
  cacheControl?: string;
  /** Status of a successful answer, e.g. 401 for an error page; validators and 304 apply to 200 only. */
  status?: number;
  /** Served when the path names a folder; `''` turns folders into 404s. */
  index?: string;
  /** Files at least this large are streamed (chunked) instead of read into memory; default 8 MiB. */
  streamFromBytes?: number;
}

export interface StaticOptions extends ServeOptions {
  /** URL prefix the folder is mounted at: `/static/`. */
  prefix: string;
  /** The folder on disk. */
  root: string;
}

export type Lookup = { kind: 'file'; path: string; stat: Stats } | { kind: 'refused'; status: 403 | 404; reason: string };

/**
 * Answers `request` with the file `relativePath` under `root`:
 * `await serveFile('www', 'index.html', request)` → 200, 304, 403 or 404.
 */
export async function serveFile(root: string, relativePath: string, request: Request, options: ServeOptions = {}): Promise<Response> {
  const found = await findFile(root, relativePath, options.index ?? 'index.html');
  if (found.kind === 'refused') return withNoSniff(text(found.reason + '\n', found.status));

  const status = options.status ?? 200;
  const headers: Record<string, string> = {
    'Content-Type': contentType(found.path),
    'Cache-Control': options.cacheControl ?? 'no-cache',
  };
  // Validators describe the file as the representation of what was asked for: a GET or HEAD of it answered 200
  // (RFC 9110 §8.8). A POST answered with a page (a login's welcome) is the result of an action, not that file, so it
  // gets the page without them, and without preconditions (§13.2.1).
  if (status === 200 && (request.method === 'GET' || request.method === 'HEAD')) {
    headers.ETag = entityTag(found.stat);
    headers['Last-Modified'] = new Date(found.stat.mtimeMs).toUTCString();
    if (isNotModified(request.headers, headers.ETag, found.stat.mtimeMs)) {
      // RFC 9110 §15.4.5: a 304 repeats the validators and Cache-Control a 200 would carry, and no body.
      return response(304, null, {
        ETag: headers.ETag,
        'Last-Modified': headers['Last-Modified'],
        'Cache-Control': headers['Cache-Control'],
      });
    }
  }
  const body = found.stat.size >= (options.streamFromBytes ?? 8 * 1024 * 1024) ? readInPieces(found.path) : await readFile(found.path);
  return withNoSniff(response(status, body, headers));
}

/** A generator opens the file only when the adapter starts sending, so a HEAD never holds a descriptor. */
async function* readInPieces(filePath: string): AsyncIterable<Buffer> {
  yield* createReadStream(filePath);
}

/**
 * Serves the folder `root` under the URL prefix `prefix`: with `{ prefix: '/static/', root: 'static' }`,
 * `GET /static/css/styles.css` answers the file `static/css/styles.css`.
 */
export function serveStatic(request: Request, options: StaticOptions): Promise<Response> {
  const prefix = options.prefix.endsWith('/') ? options.prefix : options.prefix + '/';
  if (!request.path.startsWith(prefix)) return Promise.resolve(text(`Not found: ${request.path}\n`, 404));
  return serveFile(options.root, request.path.slice(prefix.length), request, options);
}

/** Registers one GET (and so HEAD) route, `prefix/*file`, answered by `serveStatic`. */
export function staticRoutes(app: WeApRous, options: StaticOptions): WeApRous {
  const base = options.prefix.endsWith('/') ? options.prefix : options.prefix + '/';
  app.addRoute('GET', base + '*file', (request) => serveStatic(request, options));
  return app;
}

/**
 * Finds the file a relative URL path names, refusing anything outside `root`: `..`, absolute paths,
 * backslashes, control characters, leftover percent-escapes, and symlinks that point out of the folder.
 */
export async function findFile(root: string, relativePath: string, index = 'index.html'): Promise<Lookup> {
  const checked = checkRelativePath(relativePath);
  if (!Array.isArray(checked)) return checked;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return { kind: 'refused', status: 404, reason: `Not found: ${relativePath}` };
  }
  // Belt and braces: the segment checks already exclude "..", but the containment check is what guarantees it.
  const candidate = resolve(realRoot, ...checked);
  if (!isInside(realRoot, candidate)) return outside();

  let found = await locate(realRoot, candidate, relativePath);
  if (found.kind === 'file' && found.stat.isDirectory()) {
    found = index ? await locate(realRoot, join(found.path, index), relativePath) : notFound(relativePath);
  } else if (found.kind === 'file' && namesFolder(relativePath)) {
    return notFound(relativePath); // `styles.css/` asks for a folder; a file is not one (as `stat` says: ENOTDIR)
  }
  // Only regular files: reading a FIFO or a device could block or never end.
  if (found.kind === 'file' && !found.stat.isFile()) return notFound(relativePath);
  return found;
}

/** Splits a decoded path into segments, or says why it must not be served. */
export function checkRelativePath(relativePath: string): string[] | Extract<Lookup, { kind: 'refused' }> {
  const refuse = (reason: string) => ({ kind: 'refused' as const, status: 403 as const, reason });
  // The adapter decoded the path once; a "%" still here means %252e%252e-style double encoding.
  if (relativePath.includes('%')) return refuse('The path is still percent-encoded after decoding; double encoding is not accepted.');
  if (/[\x00-\x1f\x7f]/.test(relativePath)) return refuse('The path contains a control character.');
  if (relativePath.includes('\\')) return refuse('The path contains a backslash; use "/" between folders.');
  if (isAbsolute(relativePath) || /^[a-zA-Z]:/.test(relativePath)) {
    return refuse('The path is absolute; static paths are relative to the served folder.');
  }
  const segments = relativePath.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return refuse('The path contains "..", which would leave the served folder.');
  // Dotfiles (.env, .git) are never part of a site: answer as if they were not there.
  if (segments.some((s) => s.startsWith('.'))) return notFound(relativePath);
  return segments;
}

/** `css/` and `css/.` name a folder whatever is on disk, as the empty path (the root itself) does. */
function namesFolder(relativePath: string): boolean {
  return relativePath === '' || relativePath.endsWith('/') || relativePath === '.' || relativePath.endsWith('/.');
}

/** Follows symlinks and checks the real location is still inside the root. */
async function locate(realRoot: string, candidate: string, relativePath: string): Promise<Lookup> {
  try {
    const real = await realpath(candidate);
    if (!isInside(realRoot, real)) return outside();
    return { kind: 'file', path: real, stat: await stat(real) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return { kind: 'refused', status: 403, reason: `Permission denied: ${relativePath}` };
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP') return notFound(relativePath);
    throw error;
  }
}

/** `resolve` plus a prefix check with the separator, so `/srv/www-secret` is not "inside" `/srv/www`. */
function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(sep) ? root : root + sep);
}

function notFound(relativePath: string): Extract<Lookup, { kind: 'refused' }> {
  return { kind: 'refused', status: 404, reason: `Not found: ${relativePath}` };
}

function outside(): Extract<Lookup, { kind: 'refused' }> {
  return { kind: 'refused', status: 403, reason: 'The file is outside the served folder.' };
}

/**
 * A weak validator from size and modification time (RFC 9110 §8.8.3): two versions written within the
 * clock's resolution could share it, so it does not promise byte-for-byte equality.
 */
export function entityTag(fileStat: Pick<Stats, 'size' | 'mtimeMs'>): string {
  return `W/"${fileStat.size.toString(16)}-${Math.floor(fileStat.mtimeMs).toString(16)}"`;
}

/**
 * Whether a GET may be answered 304 (RFC 9110 §13.2.2): If-None-Match decides when present
 * (weak comparison, §13.1.2); only without it is If-Modified-Since consulted (§13.1.3).
 */
export function isNotModified(headers: CaseInsensitiveDict<string>, etag: string, mtimeMs: number): boolean {
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== undefined) return etagListMatches(ifNoneMatch, etag);
  const ifModifiedSince = headers.get('if-modified-since');
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  if (Number.isNaN(since)) return false; // an invalid date is ignored, not an error
  // Last-Modified has one-second resolution, so compare whole seconds.
  return Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** `"a", W/"b"` against `W/"b"` → true: weak comparison ignores the `W/` marks. `*` matches any file. */
function etagListMatches(list: string, etag: string): boolean {
  if (list.trim() === '*') return true;
  const opaque = (tag: string) => tag.replace(/^W\//, '');
  return (list.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => opaque(tag) === opaque(etag));
}

function withNoSniff(res: Response): Response {
  // Browsers must trust our Content-Type, not guess one from the bytes (a text file sniffed as HTML runs scripts).
  res.headers.set('X-Content-Type-Options', 'nosniff');
  return res;
}
