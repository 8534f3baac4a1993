/**
 * A peer of the hybrid chat: `ts-node apps/peer.ts --tracker http://127.0.0.1:8000 --port 5001 --name Alice`.
 * This file only wires: command line (`peer/options.ts`) → `PeerApp` (`peer/app.ts`) → signals.
 * Ports the `__main__` block of WeApRous `apps/peer.py`.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import type { PeerApp, PeerOptions } from './peer/app';
import { parsePeerArgs, passwordFromFile, type PeerArgs, PEER_USAGE } from './peer/options';
import { peerId } from './address';
import { readTlsFiles, type TlsFiles } from '../daemon/tls';

/** `--tls-ca`'s PEM, or `--tls-pin`, for the https:// tracker and HTTPS peers; exits with the reason when the file cannot be read. */
function trackerTrust(ca: string | undefined, pin: string | undefined): PeerOptions['trackerTrust'] {
  if (pin !== undefined) return { fingerprint: pin };
  if (ca === undefined) return undefined;
  try {
    return { ca: readFileSync(ca) };
  } catch (error) {
    console.error(`[P2P] Cannot read --tls-ca ${ca}: ${(error as Error).message}`);
    process.exit(2);
  }
}

/** `--tls-cert` and `--tls-key`, read (undefined: plain HTTP); exits with the reason when a file cannot be read. */
function tlsFiles(cert: string | undefined, key: string | undefined): TlsFiles | undefined {
  const tls = readTlsFiles(cert, key);
  if (tls === undefined || !('error' in tls)) return tls;
  console.error(`[P2P] ${tls.error}`);
  process.exit(2);
}

/** The password in `--password-file`, its warnings printed; exits with the reason when it cannot be read. */
function readPasswordFile(path: string): string {
  try {
    const read = passwordFromFile(path, readFileSync(path, 'utf8'), statSync(path).mode);
    if ('reason' in read) throw new Error(read.reason);
    for (const warning of read.warnings) console.error(warning);
    return read.password;
  } catch (error) {
    console.error(`[P2P] Cannot read --password-file: ${(error as Error).message}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const parsed = parsePeerArgs(process.argv.slice(2), process.env, existsSync);
  if (parsed.ok === 'help') {
    console.log(PEER_USAGE);
    return;
  }
  if (!parsed.ok) {
    console.error(`${parsed.reason}\n${PEER_USAGE}`);
    process.exit(2);
  }
  for (const warning of parsed.warnings ?? []) console.error(warning);
  const options = peerOptions(parsed.args);
  const { port } = parsed.args;
  // Ctrl+C when stdin is not a terminal, SIGTERM (kill) and SIGHUP (the terminal window closed, tmux
  // kill-session): leave like /quit, so the other peers and the tracker hear of it. Before the peer is built
  // nobody has heard of it yet: it just ends.
  let app: PeerApp | null = null;
  process.on('SIGINT', () => (app ? app.interrupt() : process.exit(130)));
  process.on('SIGTERM', () => (app ? void app.quit() : process.exit(0)));
  process.on('SIGHUP', () => (app ? void app.quit() : process.exit(0)));
  try {
    // Loaded only now, so `--help` and a mistyped flag answer without loading the whole peer. `require`, as
    // the CommonJS this runs as: `import()` of a .ts file would go to Node's ES module loader, which has no ts-node.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PeerApp: App } = require('./peer/app') as typeof import('./peer/app');
    app = await App.start(options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `port ${port} is already in use (another peer?); pick another --port` : (error as Error).message;
    console.error(`[P2P] Cannot listen on port ${port}: ${why}`);
    process.exit(1);
  }
  await app?.open();
}

/** What the command line says, as `PeerApp.start` takes it; the password read from its file. */
function peerOptions(args: PeerArgs): PeerOptions {
  const { trackerUrl, ip, port, name, heartbeatSeconds, dataDir, passwordFile, webFrom, trackerCa, trackerPin } = args;
  const tls = tlsFiles(args.tlsCert, args.tlsKey);
  const self: PeerOptions['self'] = { peer_id: peerId(ip, port), ip, port, name };
  return {
    self: tls ? { ...self, scheme: 'https' } : self, // other peers reach an HTTPS one at https://
    tls,
    trackerUrl,
    trackerTrust: trackerTrust(trackerCa, trackerPin), // checks an https:// tracker and peers that serve HTTPS
    heartbeatMs: heartbeatSeconds * 1000,
    dataDir,
    password: passwordFile === undefined ? args.password : readPasswordFile(passwordFile), // the browser chat's
    trace: args.trace, // each request and response head on the console
    webFrom, // other machines the browser chat answers; by default only this one
    listenIp: '0.0.0.0', // as the Python peer did, so peers on other machines can reach it at --ip
    input: process.stdin,
    output: process.stdout,
    exit: (code) => process.exit(code),
  };
}

main();
