/**
 * The peer's command line: `--tracker http://127.0.0.1:8000 --port 5001 --name Alice [--ip 127.0.0.1]
 * [--heartbeat 30]`. Pure: it returns the options or a sentence saying what is wrong; `apps/peer.ts`
 * prints and exits. Ports the argparse block of WeApRous `apps/peer.py`.
 */

import { parseArgs } from 'node:util';
import { isIP } from 'node:net';

export interface PeerArgs {
  trackerUrl: string;
  ip: string;
  port: number;
  name: string;
  heartbeatSeconds: number;
}

export const PEER_USAGE =
  'Usage: ts-node apps/peer.ts [--tracker http://127.0.0.1:8000] [--port 5001] [--name Alice | --name "Nguyễn Văn An"] [--ip 127.0.0.1] [--heartbeat 30]';

type Parsed = { ok: true; args: PeerArgs } | { ok: false; error: string } | { ok: 'help' };

/** `parsePeerArgs(['--port', '5002', '--name', 'Bob'])` → `{ ok: true, args: { port: 5002, name: 'Bob', ... } }` */
export function parsePeerArgs(argv: string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        tracker: { type: 'string', default: 'http://127.0.0.1:8000' },
        port: { type: 'string', default: '5001' },
        name: { type: 'string' },
        ip: { type: 'string', default: '127.0.0.1' },
        heartbeat: { type: 'string', default: '30' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  if (values.help) return { ok: 'help' };
  const raw = values as Record<string, string>;
  const port = Number(raw.port);
  if (!/^\d+$/.test(raw.port) || port < 1 || port > 65535)
    return { ok: false, error: `--port must be a port number from 1 to 65535, not "${raw.port}"` };
  // Spaces are welcome (`--name "Nguyễn Văn An"`); control characters and more than 64 characters are not,
  // because the other peers refuse them in `/connect-peer/`.
  const name = (raw.name ?? `Peer${port}`).trim();
  if (!/^[^\x00-\x1f\x7f-\x9f]{1,64}$/.test(name)) {
    return {
      ok: false,
      error: `--name must be 1 to 64 characters, spaces allowed (quote them: --name "Nguyễn Văn An"), with no control characters; not "${name}"`,
    };
  }
  if (isIP(raw.ip) === 0 && !/^[A-Za-z0-9.-]{1,253}$/.test(raw.ip))
    return { ok: false, error: `--ip must be the address other peers reach this peer at, such as 127.0.0.1, not "${raw.ip}"` };
  const heartbeatSeconds = Number(raw.heartbeat);
  if (!Number.isFinite(heartbeatSeconds) || heartbeatSeconds <= 0)
    return { ok: false, error: `--heartbeat must be a number of seconds above 0, not "${raw.heartbeat}"` };
  const trackerUrl = trackerBase(raw.tracker);
  if (!trackerUrl) return { ok: false, error: `--tracker must be an http:// URL such as http://127.0.0.1:8000, not "${raw.tracker}"` };
  return { ok: true, args: { trackerUrl, ip: raw.ip, port, name, heartbeatSeconds } };
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
