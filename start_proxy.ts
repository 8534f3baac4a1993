/**
 * Starts the reverse proxy: reads `--server-ip`, `--server-port` and `--config`, parses the config file
 * (a mistake prints "file:line: what is wrong" and exits 1), listens, and logs one line per request.
 * Ports WeApRous `start_proxy.py` (argparse flags, then `create_proxy(ip, port, routes)`).
 * Run: `npx ts-node start_proxy.ts --server-port 8080`   (the backends: see config/proxy.conf)
 */

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseProxyConfig } from './daemon/proxyconf';
import { createProxy } from './daemon/proxy';

const USAGE = 'Usage: ts-node start_proxy.ts [--server-ip 0.0.0.0] [--server-port 8080] [--config config/proxy.conf]';

export interface ServerFlags {
  ip: string;
  port: number;
  /** Values of the extra flags a script accepts, e.g. `{ '--config': 'my.conf' }`. */
  extra: Record<string, string>;
}

/**
 * Reads `--server-ip` and `--server-port` (and the `extra` flag names given), as `--name value` or `--name=value`.
 * `parseServerFlags(['--server-port', '8081'], { ip: '0.0.0.0', port: 8080 })` → `{ ip: '0.0.0.0', port: 8081, extra: {} }`.
 */
export function parseServerFlags(
  argv: string[],
  defaults: { ip: string; port: number },
  extraNames: string[] = [],
): ServerFlags | { error: string } | { help: true } {
  const flags: ServerFlags = { ...defaults, extra: {} };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    if (name === '--help' || name === '-h') return { help: true };
    if (name !== '--server-ip' && name !== '--server-port' && !extraNames.includes(name)) return { error: `Unknown option "${argv[i]}".` };
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') return { error: `${name} needs a value.` };
    if (name === '--server-ip') {
      if (isIP(value) === 0 && value !== 'localhost') return { error: `--server-ip "${value}" is not an IP address (try 0.0.0.0 or 127.0.0.1).` };
      flags.ip = value;
    } else if (name === '--server-port') {
      const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
      if (!(port >= 0 && port <= 65535)) return { error: `--server-port "${value}" is not a port number (0-65535).` };
      flags.port = port;
    } else {
      flags.extra[name] = value;
    }
  }
  return flags;
}

/** A sentence for the errors `listen` can give, instead of a stack trace. */
export function listenFailure(error: NodeJS.ErrnoException, ip: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `Port ${port} on ${ip} is already in use; stop the other server or choose another port with --server-port.`;
    case 'EACCES':
      return `Not allowed to listen on port ${port}; ports below 1024 need administrator rights, so choose one above 1024.`;
    case 'EADDRNOTAVAIL':
      return `${ip} is not an address of this machine; use 0.0.0.0 (all interfaces) or 127.0.0.1.`;
    default:
      return `Could not listen on ${ip}:${port}: ${error.message}`;
  }
}

function readConfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    console.error(`[Proxy] Cannot read ${file}: ${why}. Give the config file with --config path/to/proxy.conf.`);
    process.exit(1);
  }
}

async function main(argv: string[]): Promise<void> {
  const flags = parseServerFlags(argv, { ip: '0.0.0.0', port: 8080 }, ['--config']);
  if ('help' in flags) return console.log(USAGE);
  if ('error' in flags) {
    console.error(`[Proxy] ${flags.error}\n${USAGE}`);
    process.exit(2);
  }
  const file = flags.extra['--config'] ?? 'config/proxy.conf';
  const config = parseProxyConfig(readConfig(file), file);
  if (config.kind === 'error') {
    console.error(`[Proxy] ${config.message}`);
    process.exit(1);
  }
  try {
    const proxy = await createProxy(flags.ip, flags.port, config.hosts, { onLog: (line) => console.log(`[Proxy] ${line}`) });
    console.log(`[Proxy] Listening on ${flags.ip}:${proxy.address().port}`);
    for (const host of config.hosts) {
      console.log(`[Proxy] host "${host.name}" -> ${host.backends.map((b) => b.key).join(', ')} (${host.policy})`);
    }
    const stop = () => void proxy.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(`[Proxy] ${listenFailure(error as NodeJS.ErrnoException, flags.ip, flags.port)}`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
