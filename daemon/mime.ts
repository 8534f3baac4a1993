/**
 * File extension → media type, for the `Content-Type` of static files (RFC 9110 §8.3).
 * A short fixed table instead of a MIME database: these are the types a small web app serves.
 * Ports the `mimetypes.guess_type` call in WeApRous `daemon/response.py` (`get_mime_type`).
 */

import { extname } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  // RFC 9239 §6: text/javascript is the one registered type for JavaScript.
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
};

/** Anything we cannot name is sent as opaque bytes, so a browser downloads it instead of guessing. */
export const DEFAULT_TYPE = 'application/octet-stream';

/** Text formats whose bytes mean nothing without a charset; our files are all UTF-8. */
function isText(type: string): boolean {
  return type.startsWith('text/') || type === 'application/json' || type === 'application/xml' || type === 'image/svg+xml';
}

/** The media type alone: `mimeType('logo.SVG')` → `'image/svg+xml'`. */
export function mimeType(filePath: string): string {
  return TYPES[extname(filePath).toLowerCase()] ?? DEFAULT_TYPE;
}

/** The full header value: `contentType('styles.css')` → `'text/css; charset=utf-8'`. */
export function contentType(filePath: string): string {
  const type = mimeType(filePath);
  return isText(type) ? `${type}; charset=utf-8` : type;
}
