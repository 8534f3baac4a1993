/**
 * The tracker's command line: `--server-ip 0.0.0.0 --server-port 8000 --ttl 300`.
 * Pure: it returns the options or a sentence saying what is wrong; `apps/tracker.ts` prints and exits.
 * Ports the argparse block of WeApRous `apps/sampleApp.py`.
 */

import { parseArgs } from 'node:util';
import { isIP } from 'node:net';

export interface TrackerArgs {
  ip: string;
  port: number;
  ttlSeconds: number;
}

export const TRACKER_USAGE = 'Usage: ts-node apps/tracker.ts [--server-ip 0.0.0.0] [--server-port 8000] [--ttl 300]';

/** `parseTrackerArgs(['--server-port', '8000'])` → `{ ok: true, args: { ip: '0.0.0.0', port: 8000, ttlSeconds: 300 } }` */
export function parseTrackerArgs(argv: string[]): { ok: true; args: TrackerArgs } | { ok: false; error: string } | { ok: 'help' } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'server-ip': { type: 'string', default: '0.0.0.0' },
        'server-port': { type: 'string', default: '8000' },
        ttl: { type: 'string', default: '300' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  if (values.help) return { ok: 'help' };
  const ip = String(values['server-ip']);
  const port = Number(values['server-port']);
  const ttlSeconds = Number(values.ttl);
  // Port 0 is allowed here: the system picks a free port and the banner line says which.
  if (isIP(ip) === 0 && ip !== 'localhost') return { ok: false, error: `--server-ip must be an IP address such as 0.0.0.0, not "${ip}"` };
  if (!/^\d+$/.test(String(values['server-port'])) || port > 65535)
    return { ok: false, error: `--server-port must be a port number from 0 to 65535, not "${values['server-port']}"` };
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0)
    return { ok: false, error: `--ttl must be a number of seconds above 0, not "${values.ttl}"` };
  return { ok: true, args: { ip, port, ttlSeconds } };
}
