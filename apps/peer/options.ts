/**
 * The peer's command line: `--tracker http://127.0.0.1:8000 --port 5001 --name Alice [--ip 127.0.0.1]
 * [--heartbeat 30] [--data-dir data/Alice-5001] [--password s3cret]`. Pure: it returns the options or a sentence saying what is wrong; `apps/peer.ts`
 * prints and exits. Ports the argparse block of WeApRous `apps/peer.py`.
 */

import { CONTROL_CHARACTERS } from '../text';
import { MAX_NAME_CHARS } from './model/message';
import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { MAX_HOST_NAME_CHARS } from '../address';

export interface PeerArgs {
  trackerUrl: string;
  ip: string;
  port: number;
  name: string;
  heartbeatSeconds: number;
  /** Where the history (and later the outbox) is kept; `data/<name>-<port>` unless given. */
  dataDir: string;
  /** The browser chat's password; without it, only the login links the console prints let a browser in. */
  password?: string;
}

export const PEER_USAGE =
  'Usage: ts-node apps/peer.ts [--tracker http://127.0.0.1:8000] [--port 5001] [--name Alice | --name "Nguyễn Văn An"] [--ip 127.0.0.1] [--heartbeat 30] [--data-dir data/Alice-5001] [--password s3cret]\n' +
  '  --password: what the browser chat at http://<ip>:<port>/ asks for; without it the console prints a one-time login link (/web)';

type Parsed = { ok: true; args: PeerArgs } | { ok: false; reason: string } | { ok: 'help' };

/** `parsePeerArgs(['--port', '5002', '--name', 'Bob'])` → `{ ok: true, args: { port: 5002, name: 'Bob', ... } }` */
export function parsePeerArgs(argv: string[]): Parsed {
  const flags = readFlags(argv);
  if (typeof flags === 'string') return { ok: false, reason: flags };
  if (flags.help) return { ok: 'help' };
  return checkFlags(flags as Record<string, string>);
}

/** The flags as given, with the defaults filled in (node:util `parseArgs`); a sentence for an unknown one. */
function readFlags(argv: string[]): Record<string, string | boolean | undefined> | string {
  try {
    return parseArgs({
      args: argv,
      options: {
        tracker: { type: 'string', default: 'http://127.0.0.1:8000' },
        port: { type: 'string', default: '5001' },
        name: { type: 'string' },
        ip: { type: 'string', default: '127.0.0.1' },
        heartbeat: { type: 'string', default: '30' },
        'data-dir': { type: 'string' },
        password: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Each flag's value checked; the first one wrong gives the sentence. */
function checkFlags(raw: Record<string, string>): Parsed {
  const port = Number(raw.port);
  if (!/^\d+$/.test(raw.port) || port < 1 || port > 65535)
    return { ok: false, reason: `--port must be a port number from 1 to 65535, not "${raw.port}"` };
  // Spaces are welcome (`--name "Nguyễn Văn An"`); control characters and more than 64 characters are not,
  // because the other peers refuse them in `/connect-peer/`.
  const name = (raw.name ?? `Peer${port}`).trim();
  if (name.length < 1 || name.length > MAX_NAME_CHARS || CONTROL_CHARACTERS.test(name)) {
    return {
      ok: false,
      reason: `--name must be 1 to 64 characters, spaces allowed (quote them: --name "Nguyễn Văn An"), with no control characters; not "${name}"`,
    };
  }
  if (isIP(raw.ip) === 0 && !(raw.ip.length <= MAX_HOST_NAME_CHARS && /^[A-Za-z0-9.-]+$/.test(raw.ip)))
    return { ok: false, reason: `--ip must be the address other peers reach this peer at, such as 127.0.0.1, not "${raw.ip}"` };
  const heartbeatSeconds = Number(raw.heartbeat);
  if (!Number.isFinite(heartbeatSeconds) || heartbeatSeconds <= 0)
    return { ok: false, reason: `--heartbeat must be a number of seconds above 0, not "${raw.heartbeat}"` };
  const trackerUrl = trackerBase(raw.tracker);
  if (!trackerUrl) return { ok: false, reason: `--tracker must be an http:// URL such as http://127.0.0.1:8000, not "${raw.tracker}"` };
  const dataDir = raw['data-dir'] ?? defaultDataDir(name, port);
  if (dataDir.trim() === '') return { ok: false, reason: '--data-dir must be a folder, such as data/Alice-5001' };
  const password = raw.password;
  if (password !== undefined && (password === '' || password.length > 1024 || CONTROL_CHARACTERS.test(password)))
    return { ok: false, reason: '--password must be 1 to 1024 characters without control characters (quote it for the shell)' };
  const args: PeerArgs = { trackerUrl, ip: raw.ip, port, name, heartbeatSeconds, dataDir };
  return { ok: true, args: password === undefined ? args : { ...args, password } };
}

/**
 * `data/Alice-5001`: one folder per name and port, so two peers on one machine never share a history. A
 * character a file name cannot hold (`/`, `\`, `:` ...) becomes `_`.
 */
export function defaultDataDir(name: string, port: number): string {
  return `data/${name.replace(/[/\\:*?"<>|]/g, '_').replace(/^\.+/, '_')}-${port}`;
}

/** `http://127.0.0.1:8000/` → `http://127.0.0.1:8000`; null when it is not an http:// URL. */
function trackerBase(text: string): string | null {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' || url.search || url.hash) return null;
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}
