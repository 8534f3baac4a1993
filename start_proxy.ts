/**
 * Starts the reverse proxy: reads `--server-ip`, `--server-port` and `--config`, parses the config file
 * (a mistake prints "file:line: what is wrong" and exits 1), listens, and logs one line per request.
 * Ports WeApRous `start_proxy.py` (argparse flags, then `create_proxy(ip, port, routes)`).
 * Run: `npx ts-node start_proxy.ts --server-port 8080`   (the backends: see config/proxy.conf)
 */

import { readFileSync } from 'node:fs';
import { parseProxyConfig, type VirtualHost } from './daemon/proxyconf';
import { createProxy } from './daemon/proxy';
import {
  listenFailure,
  parseServerFlags,
  stopOnSignals,
  TLS_FLAGS,
  TLS_USAGE,
  tlsOrExit,
  TRACE_HELP,
  TRACE_USAGE,
  tracerFor,
} from './apps/cli';

/** The defaults live here, not in package.json, so `npm run proxy -- --server-port 8081` passes one port, the user's. */
export const PROXY_DEFAULTS = { ip: '0.0.0.0', port: 8080 };
const USAGE = `Usage: ts-node start_proxy.ts [--server-ip ${PROXY_DEFAULTS.ip}] [--server-port ${PROXY_DEFAULTS.port}] [--config config/proxy.conf] ${TLS_USAGE} ${TRACE_USAGE}\n${TRACE_HELP} and the backend that answered`;

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

/** Reads each host's `proxy_ssl_trusted_certificate` into its https:// backends; exits 1 naming a file it cannot read. */
function loadTrustedCertificates(hosts: VirtualHost[], file: string): void {
  for (const host of hosts) {
    if (host.trustedCertificate === undefined) continue;
    let ca: Buffer;
    try {
      ca = readFileSync(host.trustedCertificate);
    } catch (error) {
      console.error(
        `[Proxy] ${file}:${host.line}: cannot read proxy_ssl_trusted_certificate ${host.trustedCertificate}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      );
      process.exit(1);
    }
    for (const backend of host.backends) if (backend.secure) backend.ca = ca;
  }
}

async function main(argv: string[]): Promise<void> {
  const flags = parseServerFlags(argv, PROXY_DEFAULTS, ['--config', ...TLS_FLAGS], process.env);
  if ('help' in flags) return console.log(USAGE);
  if ('error' in flags) {
    console.error(`[Proxy] ${flags.error}\n${USAGE}`);
    process.exit(2);
  }
  const tls = tlsOrExit(flags.extra, 'Proxy');
  const file = flags.extra['--config'] ?? 'config/proxy.conf';
  const config = parseProxyConfig(readConfig(file), file);
  if (config.kind === 'error') {
    console.error(`[Proxy] ${config.message}`);
    process.exit(1);
  }
  loadTrustedCertificates(config.hosts, file);
  try {
    const proxy = await createProxy(flags.ip, flags.port, config.hosts, {
      onLog: (line) => console.log(`[Proxy] ${line}`),
      tls,
      trace: tracerFor(flags.trace),
    });
    // With TLS the proxy terminates it: clients speak HTTPS to it, it speaks plain HTTP to the backends.
    console.log(`[Proxy] Listening on ${flags.ip}:${proxy.address().port}${tls ? ' (HTTPS)' : ''}`);
    for (const host of config.hosts) {
      console.log(`[Proxy] host "${host.name}" -> ${host.backends.map((b) => b.key).join(', ')} (${host.policy})`);
    }
    stopOnSignals(proxy);
  } catch (error) {
    console.error(`[Proxy] ${listenFailure(error as NodeJS.ErrnoException, flags.ip, flags.port)}`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
