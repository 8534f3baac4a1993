/**
 * The reverse proxy's configuration, `config/proxy.conf`: `host "name:port" { ... }` blocks with `proxy_pass`,
 * `proxy_set_header`, `dist_policy`, `max_fails`, `fail_timeout` and `proxy_ssl_trusted_certificate` lines, read from conftokens.ts's tokens into
 * plain values. Pure: it takes the text (the caller reads the file), and every mistake comes back as
 * "file:line: what is wrong". Ports the config reading of WeApRous `start_proxy.py` / `daemon/proxy.py`.
 */

import { ConfigSyntaxError, Cursor, describe, tokenize, type Token } from './conftokens';

export type PolicyName = 'round-robin' | 'least-conn' | 'random';
export const POLICIES: readonly PolicyName[] = ['round-robin', 'least-conn', 'random'];

/** One backend named by `proxy_pass http://127.0.0.1:9000;` (or `https://`). */
export interface Upstream {
  host: string;
  port: number;
  /** `127.0.0.1:9000` (`https://127.0.0.1:9443` for TLS): for messages, logs and the connection pool. */
  key: string;
  /** An `https://` backend: spoken to over TLS, its certificate checked (tls.ts), never not at all. */
  secure?: boolean;
  /** The CA its certificate must chain to: the PEM of the host's `proxy_ssl_trusted_certificate`, read by the caller. */
  ca?: Buffer;
}

/** A `proxy_set_header Name value;` line; the value may hold `$host` and `$remote_addr`. */
export interface SetHeader {
  name: string;
  value: string;
}

/** One `host "..." { }` block. */
export interface VirtualHost {
  /** As written in the config, lower-cased: `127.0.0.1:8080` or `localhost`. */
  name: string;
  backends: Upstream[];
  setHeaders: SetHeader[];
  policy: PolicyName;
  /** Failures within `failTimeoutMs` that mark a backend down (nginx `max_fails`); 0 never marks it down. */
  maxFails: number;
  /** How long a backend stays down, and the window its failures are counted in (nginx `fail_timeout`). */
  failTimeoutMs: number;
  /** Where the block starts, for messages. */
  line: number;
  /** `proxy_ssl_trusted_certificate FILE;` (nginx's name): the CA file its https:// backends are checked against. */
  trustedCertificate?: string;
}

export type ConfigResult = { kind: 'config'; hosts: VirtualHost[] } | { kind: 'error'; line: number; message: string };

export const VARIABLES = ['$host', '$remote_addr', '$scheme'];
export const DEFAULT_MAX_FAILS = 1;
export const DEFAULT_FAIL_TIMEOUT_MS = 10_000;
const DIRECTIVES = ['proxy_pass', 'proxy_set_header', 'dist_policy', 'max_fails', 'fail_timeout', 'proxy_ssl_trusted_certificate'];
// The proxy frames the body by these itself (RFC 9112 §6): a configured value would contradict the bytes sent.
const FRAMING_FIELDS = ['content-length', 'transfer-encoding'];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses the whole file. `parseProxyConfig('host "a:8080" { proxy_pass http://127.0.0.1:9000; }', 'proxy.conf')`
 * → `{ kind: 'config', hosts: [{ name: 'a:8080', backends: [...], policy: 'round-robin', ... }] }`.
 */
export function parseProxyConfig(text: string, file = 'proxy.conf'): ConfigResult {
  try {
    const cursor = new Cursor(tokenize(text));
    const hosts: VirtualHost[] = [];
    while (cursor.peek().kind !== 'end') {
      const host = parseHostBlock(cursor);
      const twin = hosts.find((h) => h.name === host.name);
      if (twin) throw new ConfigSyntaxError(host.line, `host "${host.name}" is already defined on line ${twin.line}`);
      hosts.push(host);
    }
    if (hosts.length === 0) {
      throw new ConfigSyntaxError(1, 'no host blocks; add one like: host "127.0.0.1:8080" { proxy_pass http://127.0.0.1:9000; }');
    }
    return { kind: 'config', hosts };
  } catch (error) {
    if (!(error instanceof ConfigSyntaxError)) throw error;
    return { kind: 'error', line: error.line, message: `${file}:${error.line}: ${error.detail}` };
  }
}

/** host "name" { directive* } */
function parseHostBlock(cursor: Cursor): VirtualHost {
  const keyword = cursor.next();
  if (keyword.kind !== 'word' || keyword.text !== 'host') {
    throw new ConfigSyntaxError(keyword.line, `expected 'host "name:port" {', found ${describe(keyword)}`);
  }
  const name = cursor.next();
  if (name.kind !== 'string' || !/^[\x21-\x7e]+$/.test(name.text)) {
    throw new ConfigSyntaxError(name.line, 'expected a quoted host name after \'host\', like "127.0.0.1:8080"');
  }
  if (cursor.next().kind !== '{') throw new ConfigSyntaxError(name.line, `expected '{' after host "${name.text}"`);

  const host: VirtualHost = {
    name: name.text.toLowerCase(),
    backends: [],
    setHeaders: [],
    policy: 'round-robin',
    maxFails: DEFAULT_MAX_FAILS,
    failTimeoutMs: DEFAULT_FAIL_TIMEOUT_MS,
    line: keyword.line,
  };
  const seenOnLine = new Map<string, number>(); // directives allowed once per block
  for (;;) {
    const token = cursor.next();
    if (token.kind === '}') break;
    if (token.kind === 'end') throw new ConfigSyntaxError(token.line, `missing '}' for host "${name.text}" opened on line ${keyword.line}`);
    if (token.kind !== 'word') throw new ConfigSyntaxError(token.line, `expected a directive, found ${describe(token)}`);
    if (['dist_policy', 'max_fails', 'fail_timeout', 'proxy_ssl_trusted_certificate'].includes(token.text)) {
      const previous = seenOnLine.get(token.text);
      if (previous) throw new ConfigSyntaxError(token.line, `${token.text} is already set on line ${previous}`);
      seenOnLine.set(token.text, token.line);
    }
    parseDirective(cursor, token, host);
  }
  if (host.backends.length === 0) throw new ConfigSyntaxError(keyword.line, `host "${name.text}" has no proxy_pass line`);
  if (host.trustedCertificate !== undefined && !host.backends.some((b) => b.secure))
    throw new ConfigSyntaxError(
      seenOnLine.get('proxy_ssl_trusted_certificate')!,
      'proxy_ssl_trusted_certificate is for https:// backends; this host has none',
    );
  return host;
}

/** proxy_pass URL; | proxy_set_header Name value; | dist_policy name; | max_fails N; | fail_timeout 10s; */
function parseDirective(cursor: Cursor, directive: Token, host: VirtualHost): void {
  switch (directive.text) {
    case 'proxy_pass': {
      const url = cursor.value('a backend URL after proxy_pass, like http://127.0.0.1:9000');
      host.backends.push(parseUpstream(url));
      cursor.semicolon('proxy_pass URL');
      return;
    }
    case 'proxy_set_header': {
      host.setHeaders.push(parseSetHeader(cursor));
      cursor.semicolon('proxy_set_header value');
      return;
    }
    case 'dist_policy': {
      const policy = cursor.value('a policy after dist_policy');
      if (!POLICIES.includes(policy.text as PolicyName)) {
        throw new ConfigSyntaxError(policy.line, `unknown dist_policy '${policy.text}'; use ${POLICIES.join(', ')}`);
      }
      host.policy = policy.text as PolicyName;
      cursor.semicolon('dist_policy');
      return;
    }
    case 'max_fails': {
      const count = cursor.value('a number after max_fails');
      if (!/^\d{1,6}$/.test(count.text))
        throw new ConfigSyntaxError(count.line, `max_fails must be a whole number (0 turns it off), not '${count.text}'`);
      host.maxFails = Number(count.text);
      cursor.semicolon('max_fails');
      return;
    }
    case 'fail_timeout': {
      host.failTimeoutMs = parseDuration(cursor.value('a time after fail_timeout, like 10s'));
      cursor.semicolon('fail_timeout');
      return;
    }
    case 'proxy_ssl_trusted_certificate': {
      host.trustedCertificate = cursor.value('a CA file after proxy_ssl_trusted_certificate, like cert/cert.pem').text;
      cursor.semicolon('proxy_ssl_trusted_certificate');
      return;
    }
    default:
      throw new ConfigSyntaxError(directive.line, `unknown directive '${directive.text}'; use ${DIRECTIVES.join(', ')}`);
  }
}

/** `proxy_set_header Name value`: any field but the framing ones, and Host only with a value. */
function parseSetHeader(cursor: Cursor): SetHeader {
  const name = cursor.value('a header name after proxy_set_header');
  if (!TOKEN.test(name.text)) throw new ConfigSyntaxError(name.line, `"${name.text}" is not a valid header name`);
  const lower = name.text.toLowerCase();
  if (FRAMING_FIELDS.includes(lower)) {
    throw new ConfigSyntaxError(name.line, `proxy_set_header cannot set ${name.text}: the proxy frames the body itself (RFC 9112 §6)`);
  }
  const value = cursor.value(`a value after proxy_set_header ${name.text}`);
  checkVariables(value);
  if (lower === 'host' && value.text === '') {
    throw new ConfigSyntaxError(value.line, 'proxy_set_header Host cannot be empty: HTTP/1.1 requests must carry a Host (RFC 9112 §3.2)');
  }
  return { name: name.text, value: value.text };
}

/** nginx times: `10s`, `500ms`, `1m`, or a bare number of seconds. */
function parseDuration(token: Token): number {
  const match = /^(\d{1,6})(ms|s|m)?$/.exec(token.text);
  if (!match) throw new ConfigSyntaxError(token.line, `invalid time '${token.text}'; write it like 10s, 500ms or 1m`);
  const scale = match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1_000;
  return Number(match[1]) * scale;
}

/** `http://127.0.0.1:9000` or `https://...` (a trailing `/` is allowed; any other path is not: the request's path is kept). */
function parseUpstream(token: Token): Upstream {
  const bad = (why: string) => new ConfigSyntaxError(token.line, `invalid proxy_pass URL '${token.text}': ${why}`);
  let url: URL;
  try {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(token.text)) throw new TypeError('no scheme');
    url = new URL(token.text);
  } catch {
    throw bad('expected http://host:port');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('only http:// and https:// backends are supported');
  if (url.pathname !== '/' || url.search || url.hash || url.username) throw bad('give only http://host:port, without a path');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'https:') {
    const port = Number(url.port || 443);
    return { host, port, key: `https://${url.hostname}:${port}`, secure: true };
  }
  const port = Number(url.port || 80);
  return { host, port, key: `${url.hostname}:${port}` };
}

function checkVariables(token: Token): void {
  for (const variable of token.text.match(/\$[A-Za-z_]+/g) ?? []) {
    if (!VARIABLES.includes(variable)) {
      throw new ConfigSyntaxError(
        token.line,
        `unknown variable ${variable}; use ${VARIABLES.slice(0, -1).join(', ')} or ${VARIABLES.at(-1)}`,
      );
    }
  }
}

/**
 * Picks the host block for a `Host` header: the exact `name:port` first, then the name alone, so
 * `Host: localhost` and `Host: localhost:8081` both find `host "localhost:8080"`. Null when none matches.
 */
export function findVirtualHost(hosts: readonly VirtualHost[], hostHeader: string | undefined): VirtualHost | null {
  if (!hostHeader) return null;
  const wanted = hostHeader.toLowerCase();
  const exact = hosts.find((h) => h.name === wanted);
  if (exact) return exact;
  const name = hostName(wanted);
  return hosts.find((h) => hostName(h.name) === name) ?? null;
}

/** `127.0.0.1:8080` → `127.0.0.1`; `[::1]:8080` → `[::1]`; `localhost` → `localhost`. */
function hostName(host: string): string {
  const match = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(host);
  return match ? match[1] : host;
}
