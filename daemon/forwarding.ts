/**
 * The pure half of the reverse proxy: how a message is rewritten when it passes through (hop-by-hop
 * fields removed, X-Forwarded-* and Via added, `proxy_set_header` applied), and where a body ends while
 * its bytes stream past without being kept. No sockets. WeApRous `daemon/proxy.py` forwarded the first
 * 1024 bytes unchanged; `proxy.ts` and `upstream.ts` use this file to do it properly.
 */

import type { Framing } from './framing';
import type { RequestHead } from './parser';
import type { ParseError } from './status';
import type { ResponseFraming } from './client';
import type { VirtualHost } from './proxyconf';
import type { CaseInsensitiveDict } from './dictionary';
import { newChunkedState, readChunkedBody, type ChunkedState } from './chunked';
import { statusText } from './status';

/** How this proxy names itself in `Via` (RFC 9110 §7.6.3: a proxy MUST add Via to what it forwards). */
export const VIA = '1.1 weaprous';

// RFC 9110 §7.6.1: these describe one connection, not the message; Proxy-Connection and Keep-Alive are
// old non-standard ones that must not travel either.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/**
 * Fields that say where the message ends (RFC 9112 §6.1, §6.2) or which host it is for (§3.2). The proxy
 * frames the body by them, so the next hop must read the same ones: listing them in `Connection` must not
 * remove them, or the body would be read as the start of another request (request smuggling).
 */
export const NEVER_HOP_BY_HOP: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'host']);

/** The field names a proxy must not forward: the fixed set plus every name listed in `Connection`. */
export function hopByHopNames(connection: string | undefined): Set<string> {
  const names = new Set(HOP_BY_HOP);
  for (const option of (connection ?? '').split(',')) {
    const name = option.trim().toLowerCase();
    if (name && !NEVER_HOP_BY_HOP.has(name)) names.add(name);
  }
  return names;
}

/** The header lines of a raw head (start line and blank lines removed), exactly as received. */
function fieldLines(rawHead: string): string[] {
  const lines = rawHead.replace(/^(\r\n)+/, '').split('\r\n');
  return lines.slice(1).filter((line) => line !== '');
}

function keep(lines: string[], drop: Set<string>): string {
  let out = '';
  for (const line of lines) {
    if (!drop.has(line.slice(0, line.indexOf(':')).toLowerCase())) out += line + '\r\n';
  }
  return out;
}

/** `http://host/a?b` (absolute-form, sent to forward proxies) → `/a?b`: backends expect origin-form. */
function originForm(target: string): string {
  if (target.startsWith('/') || target === '*') return target;
  const path = target.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/, '');
  return path.startsWith('/') ? path : '/' + path;
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) → `127.0.0.1`. */
export function clientIp(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * The request head sent to the backend: same method, target and end-to-end fields; hop-by-hop fields
 * removed; `X-Forwarded-For` extended with the client's address; `X-Forwarded-Host`, `X-Forwarded-Proto`
 * and `Via` added; then the virtual host's `proxy_set_header` lines (an empty value removes the field).
 */
export function upstreamRequestHead(
  rawHead: string,
  head: RequestHead,
  vhost: VirtualHost,
  clientAddress: string,
  scheme: 'http' | 'https' = 'http',
): Buffer {
  const ip = clientIp(clientAddress);
  const host = head.headers.get('host') ?? '';
  const variables: Record<string, string> = { $host: host, $remote_addr: ip, $scheme: scheme };
  const drop = hopByHopNames(head.headers.get('connection'));
  const listed = new Set(drop);
  for (const name of ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'via']) drop.add(name);
  // The fields proxy_set_header sets are ours alone: every client line of that name goes, in any case.
  for (const { name } of vhost.setHeaders) drop.add(name.toLowerCase());
  // An absolute-form target names the host itself (RFC 9112 §3.2.2); the parser put it in `host`, and the
  // backend, which gets the origin form, must see that host and not the Host line the client sent.
  const target = originForm(head.target);
  const hostFromTarget = target !== head.target && !drop.has('host'); // proxy_set_header Host would set it anyway
  if (hostFromTarget) drop.add('host');

  let out = `${head.method} ${target} HTTP/1.1\r\n` + keep(fieldLines(rawHead), drop);
  if (hostFromTarget) out += `Host: ${host}\r\n`;
  out += forwardedLines(head, listed, ip, new Set(vhost.setHeaders.map((h) => h.name.toLowerCase())), scheme);
  for (const { name, value } of vhost.setHeaders) {
    const expanded = value.replace(/\$[A-Za-z_]+/g, (variable) => variables[variable] ?? variable);
    if (expanded !== '') out += `${name}: ${expanded}\r\n`;
  }
  return Buffer.from(out + '\r\n', 'latin1');
}

/** X-Forwarded-For/-Host/-Proto and Via, except those a proxy_set_header line (`owned`) replaces. */
function forwardedLines(head: RequestHead, listed: Set<string>, ip: string, owned: Set<string>, scheme: string): string {
  // A list the client marked hop-by-hop (`Connection: X-Forwarded-For`) was for us only: start a new one.
  const previousFor = listed.has('x-forwarded-for') ? undefined : head.headers.get('x-forwarded-for');
  const previousVia = listed.has('via') ? undefined : head.headers.get('via');
  const host = head.headers.get('host');
  let out = '';
  if (!owned.has('x-forwarded-for')) out += `X-Forwarded-For: ${previousFor ? `${previousFor}, ${ip}` : ip}\r\n`;
  if (host && !owned.has('x-forwarded-host')) out += `X-Forwarded-Host: ${host}\r\n`;
  // What the client spoke to us: https when this proxy terminates TLS, though the backend hears plain HTTP.
  if (!owned.has('x-forwarded-proto')) out += `X-Forwarded-Proto: ${scheme}\r\n`;
  if (!owned.has('via')) out += `Via: ${previousVia ? `${previousVia}, ${VIA}` : VIA}\r\n`;
  return out;
}

export interface ResponseHeadInfo {
  status: number;
  reason: string;
  headers: CaseInsensitiveDict<string>;
}

/**
 * The response head sent to the client: the backend's status and end-to-end fields (every `Set-Cookie`
 * line kept as its own line), hop-by-hop fields removed, `Via` added, and our own `Connection`.
 * `connection` is omitted for a 1xx interim response; `dechunk` drops `Transfer-Encoding` for an
 * HTTP/1.0 client, which gets the decoded body and then the connection closing.
 */
export function clientResponseHead(
  rawHead: string,
  info: ResponseHeadInfo,
  options: { connection?: 'close' | 'keep-alive'; dechunk?: boolean },
): Buffer {
  const drop = hopByHopNames(info.headers.get('connection'));
  drop.add('via');
  // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, and a proxy MUST remove the latter.
  if (info.headers.has('transfer-encoding')) drop.add('content-length');
  // 1xx, 204 and 304 never have a body (RFC 9110 §15.2, §15.3.5, §15.4.5; RFC 9112 §6.3 rule 1), so a length
  // or coding on them would only make the client wait for bytes that will not come (RFC 9110 §8.6, RFC 9112 §6.1).
  if (info.status < 200 || info.status === 204 || info.status === 304) {
    drop.add('content-length');
    drop.add('transfer-encoding');
  }
  if (options.dechunk) drop.add('transfer-encoding');
  const previousVia = info.headers.get('via');
  let out = `HTTP/1.1 ${info.status} ${info.reason || statusText(info.status)}\r\n` + keep(fieldLines(rawHead), drop);
  out += `Via: ${previousVia ? `${previousVia}, ${VIA}` : VIA}\r\n`;
  if (options.connection) out += `Connection: ${options.connection}\r\n`;
  return Buffer.from(out + '\r\n', 'latin1');
}

export type TrackResult = { kind: 'progress'; used: number; done: boolean; data: Buffer[] | null } | { kind: 'error'; error: ParseError };

const EMPTY = Buffer.alloc(0);

/**
 * Follows a body as its bytes stream past, to tell where it ends without keeping it (RFC 9112 §6.3).
 * `push(chunk)` says how many bytes of `chunk` belong to the body (`used`; the rest is the next message)
 * and whether the body is complete. With `decode`, a chunked body's data comes back in `data` without
 * its chunk framing (for HTTP/1.0 clients, which cannot read chunked).
 */
export class BodyTracker {
  private remaining: number;
  private readonly chunked: ChunkedState | null;
  /** The start of a chunk-size or trailer line whose end has not arrived: scanned again with the next bytes. */
  private tail: Buffer = EMPTY;
  private finished: boolean;

  constructor(
    private readonly framing: Framing | ResponseFraming,
    private readonly maxBodyBytes = Number.MAX_SAFE_INTEGER,
    private readonly decode = false,
  ) {
    this.remaining = framing.kind === 'length' ? framing.length : 0;
    this.chunked = framing.kind === 'chunked' ? newChunkedState(0, decode) : null;
    this.finished = framing.kind === 'none';
  }

  get done(): boolean {
    return this.finished;
  }

  push(chunk: Buffer): TrackResult {
    if (this.finished) return { kind: 'progress', used: 0, done: true, data: null };
    if (this.framing.kind === 'close') return { kind: 'progress', used: chunk.length, done: false, data: null };
    if (this.framing.kind === 'length') {
      const used = Math.min(this.remaining, chunk.length);
      this.remaining -= used;
      this.finished = this.remaining === 0;
      return { kind: 'progress', used, done: this.finished, data: null };
    }
    return this.pushChunked(chunk);
  }

  private pushChunked(chunk: Buffer): TrackResult {
    const state = this.chunked!;
    const scan = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    const result = readChunkedBody(scan, state, this.maxBodyBytes);
    if (result.kind === 'error') return result;
    let data: Buffer[] | null = null;
    if (this.decode) {
      data = [];
      for (let i = 0; i < state.pieces.length; i += 2) data.push(scan.subarray(state.pieces[i], state.pieces[i + 1]));
    }
    state.pieces = [];
    if (result.kind === 'body') {
      this.finished = true;
      return { kind: 'progress', used: result.end - this.tail.length, done: true, data };
    }
    // Everything before state.pos has been scanned; keep the unfinished line (at most a few KiB).
    this.tail = Buffer.from(scan.subarray(state.pos));
    state.pos = 0;
    return { kind: 'progress', used: chunk.length, done: false, data };
  }
}
