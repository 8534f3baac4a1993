/**
 * What every attack script shares: one HTTP/1.1 request on a fresh connection from a chosen local address
 * (127.0.0.2 acts as another machine: Linux routes all of 127/8 to lo), the target's RSS from /proc, and the
 * command line's `--name value` options. Scripts only, not the project's client (it has no `localAddress`). New.
 */

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** `await send('http://127.0.0.1:8000', 'POST', '/add-list/', '{"peer_id":...}', '127.0.0.2')` */
export function send(base: string, method: string, path: string, body = '', from?: string, type = 'application/json'): Promise<Answer> {
  const url = new URL(base);
  const started = performance.now();
  return new Promise((done, fail) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), ...(from ? { localAddress: from } : {}) });
    const chunks: Buffer[] = [];
    socket.setTimeout(600_000, () => socket.destroy(new Error('no answer in 10 minutes')));
    socket.on('connect', () => {
      const head = `${method} ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n`;
      const length = body === '' ? '' : `Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
      socket.end(`${head}${length}\r\n${body}`);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', fail);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      done({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4), ms: Math.round(performance.now() - started) });
    });
  });
}

/** The resident memory of process `pid` in MiB, or undefined when /proc cannot tell (another machine). */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 102.4) / 10;
  } catch {
    return undefined;
  }
}

/** `--name value` from the command line, else `fallback`. */
export function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

/** Each of `defaults`' options, as `option` reads it; `--help` prints `usage` and exits. */
export function options(usage: string, defaults: Record<string, string>): Record<string, string> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  return Object.fromEntries(Object.entries(defaults).map(([name, fallback]) => [name, option(name, fallback)]));
}
