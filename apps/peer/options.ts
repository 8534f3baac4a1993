/**
 * The peer's command line: `--tracker http://127.0.0.1:8000 --port 5001 --name Alice [--ip 127.0.0.1]
 * [--heartbeat 30] [--data-dir data/127.0.0.1-5001] [--password-file FILE] [--tls-cert FILE --tls-key FILE
 * [--web-from ADDRESS]] [--tls-ca FILE | --tls-pin SHA256] [--trace]`. Pure: it returns the options or a sentence saying
 * what is wrong (`apps/peer.ts` reads the files, prints and exits). Ports the argparse block of WeApRous `apps/peer.py`.
 */

import { CONTROL_CHARACTERS } from '../text';
import { MAX_NAME_CHARS } from './model/message';
import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { MAX_HOST_NAME_CHARS } from '../address';
import { parseArgsError, TRACE_HELP, TRACE_OPTION, TRACE_USAGE, type Env } from '../cli';

export interface PeerArgs {
  trackerUrl: string;
  ip: string;
  port: number;
  name: string;
  heartbeatSeconds: number;
  /** Where the key, the history and the outboxes are kept; `data/<ip>-<port>` unless given (`defaultDataDir`). */
  dataDir: string;
  /** The browser chat's password; without it, only the login links the console prints let a browser in. */
  password?: string;
  /** Where the password is (`--password-file`): `apps/peer.ts` reads its first line (`passwordFromFile`). */
  passwordFile?: string;
  /** Other machines the browser chat answers (`--web-from`), over HTTPS only; by default only this machine. */
  webFrom?: string[];
  /** The certificate and key this peer serves HTTPS with, PEM files (`--tls-cert`, `--tls-key`): both or neither. */
  tlsCert?: string;
  tlsKey?: string;
  /** How an https:// tracker and HTTPS peers are checked: a CA (or a self-signed certificate) PEM file (`--tls-ca`)... */
  trackerCa?: string;
  /** ...or the SHA-256 fingerprint of its certificate (`--tls-pin`). */
  trackerPin?: string;
  /** `--trace`: each request and response head printed on the console, above the prompt (daemon/trace.ts). */
  trace?: true;
}

/** The environment variable a password may come in, out of sight of `ps`. */
export const PASSWORD_VARIABLE = 'WEAPROUS_PASSWORD';

export const PASSWORD_WARNING = `[P2P] Warning: --password shows the password to every user of this machine (ps); use --password-file FILE or ${PASSWORD_VARIABLE} instead`;

export const PEER_TLS_NEEDS_TRUST =
  'A peer that serves HTTPS meets other peers that do, and must check their certificates: give --tls-ca FILE (the CA that signed them, ' +
  'or the one self-signed certificate they share, PEM: cert/cert.pem after npm run cert) or --tls-pin SHA256 (when they all share that certificate)';

export const TRACKER_NEEDS_TRUST =
  'An https:// tracker must be checked: give --tls-ca FILE (its CA, or its self-signed certificate, PEM: cert/cert.pem after npm run cert) ' +
  'or --tls-pin SHA256 (openssl x509 -in cert/cert.pem -noout -fingerprint -sha256)';

export const TLS_NEEDS_BOTH = 'HTTPS needs both --tls-cert FILE and --tls-key FILE (npm run cert writes a pair into cert/)';

export const WEB_FROM_NEEDS_TLS =
  '--web-from opens the browser chat to other machines, and its password and session cookie must not cross the network in clear: ' +
  'give --tls-cert FILE and --tls-key FILE too, so that it answers over HTTPS';

export const PEER_USAGE =
  'Usage: ts-node apps/peer.ts [--tracker http://127.0.0.1:8000] [--port 5001] [--name Alice | --name "Nguyễn Văn An"] [--ip 127.0.0.1] [--heartbeat 30] [--data-dir data/127.0.0.1-5001] [--password-file FILE] [--tls-cert FILE --tls-key FILE [--web-from ADDRESS[,ADDRESS]]] [--tls-ca FILE | --tls-pin SHA256] ' +
  `${TRACE_USAGE}\n` +
  `  --password-file: a file whose first line is what the browser chat at http://<ip>:<port>/ asks for (or set ${PASSWORD_VARIABLE}); without one the console prints a one-time login link (/web)\n` +
  '  --web-from: other machines the browser chat answers, over HTTPS; by default it answers only this machine\n' +
  '  --tls-cert FILE --tls-key FILE: serve the peer (its endpoints and the browser chat) over HTTPS; other peers then reach it at https://\n' +
  '  --tls-ca FILE | --tls-pin SHA256: how an https:// --tracker and peers that serve HTTPS are checked: a CA or a self-signed certificate (PEM), or its SHA-256 fingerprint\n' +
  `${TRACE_HELP}, on the console above the prompt`;

/** The options, and warnings to print before starting (`PASSWORD_WARNING`). */
type Parsed = { ok: true; args: PeerArgs; warnings?: string[] } | { ok: false; reason: string } | { ok: 'help' };

/**
 * `parsePeerArgs(['--port', '5002', '--name', 'Bob'])` → `{ ok: true, args: { port: 5002, name: 'Bob', ... } }`;
 * `env` is where `WEAPROUS_PASSWORD` is looked for (`process.env`).
 */
export function parsePeerArgs(
  argv: string[],
  env: Record<string, string | undefined> = {},
  exists: (folder: string) => boolean = () => false,
): Parsed {
  const flags = readFlags(argv, env);
  if (typeof flags === 'string') return { ok: false, reason: flags };
  if (flags.help) return { ok: 'help' };
  const checked = checkFlags(flags as Record<string, string>, exists);
  if (checked.ok !== true) return checked;
  const trusted = withTrackerTrust(checked.args, flags as Record<string, string>);
  if (trusted.ok !== true) return trusted;
  const parsed = withWeb(trusted.args, flags as Record<string, string>, env);
  if (parsed.ok === true && flags.trace === true) parsed.args.trace = true;
  return parsed;
}

/** The flags as given, with the defaults filled in (node:util `parseArgs`); a sentence for an unknown one. */
function readFlags(argv: string[], env: Env): Record<string, string | boolean | undefined> | string {
  try {
    return parseArgs({ args: argv, options: OPTIONS }).values;
  } catch (error) {
    return parseArgsError(error, Object.keys(OPTIONS), env);
  }
}

const OPTIONS = {
  tracker: { type: 'string', default: 'http://127.0.0.1:8000' },
  port: { type: 'string', default: '5001' },
  name: { type: 'string' },
  ip: { type: 'string', default: '127.0.0.1' },
  heartbeat: { type: 'string', default: '30' },
  'data-dir': { type: 'string' },
  password: { type: 'string' },
  'password-file': { type: 'string' },
  'web-from': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-pin': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...TRACE_OPTION,
} as const;

/** Each flag's value checked; the first one wrong gives the sentence. */
function checkFlags(raw: Record<string, string>, exists: (folder: string) => boolean): Parsed {
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
  if (!trackerUrl)
    return { ok: false, reason: `--tracker must be an http:// or https:// URL such as http://127.0.0.1:8000, not "${raw.tracker}"` };
  const dataDir = raw['data-dir'] ?? defaultDataDir(raw.ip, port, name, exists);
  if (dataDir.trim() === '') return { ok: false, reason: '--data-dir must be a folder, such as data/127.0.0.1-5001' };
  return { ok: true, args: { trackerUrl, ip: raw.ip, port, name, heartbeatSeconds, dataDir } };
}

/**
 * The browser chat's flags: where the password comes from (`--password-file`, else the old `--password`, with
 * a warning, else `WEAPROUS_PASSWORD`), and which other machines it answers (`--web-from`, HTTPS only).
 */
function withWeb(base: PeerArgs, raw: Record<string, string>, env: Record<string, string | undefined>): Parsed {
  if (raw.password !== undefined && raw['password-file'] !== undefined)
    return { ok: false, reason: 'Give --password-file or --password, not both' };
  const password = raw.password ?? (raw['password-file'] === undefined ? env[PASSWORD_VARIABLE] : undefined);
  const source = raw.password !== undefined ? '--password' : PASSWORD_VARIABLE;
  const wrongPassword = password === undefined ? null : passwordProblem(password, source);
  if (wrongPassword) return { ok: false, reason: wrongPassword };
  const args: PeerArgs = { ...base };
  if (password !== undefined) args.password = password;
  if (raw['password-file'] !== undefined) args.passwordFile = raw['password-file'];
  if (raw['web-from'] !== undefined) {
    const webFrom = raw['web-from'].split(',').map((address) => address.trim());
    if (webFrom.some((address) => isIP(address) === 0))
      return {
        ok: false,
        reason: `--web-from must be IP addresses separated by commas, such as 192.168.1.20,192.168.1.21, not "${raw['web-from']}"`,
      };
    if (args.tlsCert === undefined || args.tlsKey === undefined) return { ok: false, reason: WEB_FROM_NEEDS_TLS };
    args.webFrom = webFrom;
  }
  return raw.password === undefined ? { ok: true, args } : { ok: true, args, warnings: [PASSWORD_WARNING] };
}

/**
 * HTTPS both ways: `--tls-cert`/`--tls-key` serve this peer over TLS; `--tls-ca` or `--tls-pin` check an https://
 * tracker and the peers that serve HTTPS, never not at all. A peer that serves HTTPS meets such peers, so it
 * needs one of them too; a plain peer may give one to reach HTTPS peers.
 */
function withTrackerTrust(base: PeerArgs, raw: Record<string, string>): Parsed {
  const ca = raw['tls-ca'];
  const pin = raw['tls-pin'];
  if (ca !== undefined && pin !== undefined) return { ok: false, reason: 'Give --tls-ca or --tls-pin, not both' };
  if ((raw['tls-cert'] === undefined) !== (raw['tls-key'] === undefined)) return { ok: false, reason: TLS_NEEDS_BOTH };
  const serves = raw['tls-cert'] !== undefined;
  if (base.trackerUrl.startsWith('https://') && ca === undefined && pin === undefined) return { ok: false, reason: TRACKER_NEEDS_TRUST };
  if (serves && ca === undefined && pin === undefined) return { ok: false, reason: PEER_TLS_NEEDS_TRUST };
  if (pin !== undefined && !/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/.test(pin))
    return { ok: false, reason: `--tls-pin must be a SHA-256 fingerprint, 64 hex digits with or without colons, not "${pin}"` };
  if (ca !== undefined && ca.trim() === '') return { ok: false, reason: '--tls-ca must be a PEM file, such as cert/cert.pem' };
  const args: PeerArgs = { ...base };
  if (ca !== undefined) args.trackerCa = ca;
  if (pin !== undefined) args.trackerPin = pin;
  if (serves) Object.assign(args, { tlsCert: raw['tls-cert'], tlsKey: raw['tls-key'] });
  return { ok: true, args };
}

/** Why a password cannot be one, or null. */
function passwordProblem(password: string, source: string): string | null {
  if (password !== '' && password.length <= 1024 && !CONTROL_CHARACTERS.test(password)) return null;
  return `${source} must be 1 to 1024 characters without control characters (quote it for the shell)`;
}

/**
 * The password in a `--password-file`: its first line, trimmed. `mode` is the file's (`fs.stat`): one that other
 * users may read is used, with a warning saying how to close it.
 */
export function passwordFromFile(path: string, text: string, mode: number): { password: string; warnings: string[] } | { reason: string } {
  const password = text.split(/\r?\n/, 1)[0].trim();
  const wrong = passwordProblem(password, `The first line of --password-file ${path}`);
  if (wrong) return { reason: wrong };
  const open = (mode & 0o077) !== 0;
  const warning = `[P2P] Warning: ${path} can be read by other users of this machine (mode ${(mode & 0o777).toString(8)}); chmod 600 ${path}`;
  return { password, warnings: open ? [warning] : [] };
}

/**
 * `data/127.0.0.1-5001`: one folder per peer id (`ip:port`), so the key, the history and the outboxes belong
 * to the id, whatever the name: restarted as Alicia on the same port, Alice is the same peer to everyone (the
 * others show the new name). A folder of the layout before, `data/<name>-<port>`, is used while it is there
 * (`exists`), so nobody loses a key or a history. A character a file name cannot hold (`:` of IPv6) becomes `_`.
 */
export function defaultDataDir(ip: string, port: number, name: string, exists: (folder: string) => boolean = () => false): string {
  const safe = (text: string) => text.replace(/[/\\:*?"<>|]/g, '_').replace(/^\.+/, '_');
  const before = `data/${safe(name)}-${port}`;
  return exists(before) ? before : `data/${safe(ip)}-${port}`;
}

/** `http://127.0.0.1:8000/` → `http://127.0.0.1:8000`; null when it is not an http:// or https:// URL. */
function trackerBase(text: string): string | null {
  try {
    const url = new URL(text);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) return null;
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}
