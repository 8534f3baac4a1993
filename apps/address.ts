/**
 * A peer's address on the wire: the `ip:port` peer id, and the checks on `"ip"` and `"port"` that keep out
 * look-alikes and addresses no peer can be reached at. Not the body shapes (`protocol.ts`).
 * New: WeApRous's `apps/sampleApp.py` and `apps/peer.py` built `"ip:port"` and trusted it.
 */

import { BlockList, isIP } from 'node:net';
import { HttpError } from '../daemon/status';
import type { JsonObject } from './json-fields';

/** `peerId('127.0.0.1', 5001)` → `'127.0.0.1:5001'`, the id the reference document uses everywhere. */
export function peerId(ip: string, port: number): string {
  return `${ip}:${port}`;
}

/**
 * The longest host name taken as an address: DNS allows 253 characters, but a peer id names a file (its
 * outbox, `peer/outbox.ts`), and a name over 255 bytes cannot be one. No lab machine needs more than 100.
 */
export const MAX_HOST_NAME_CHARS = 100;
// A host name made of RFC 1123 labels (letters, digits, hyphens), for `--ip my-laptop.local`.
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Whether `id` is a peer id, `ip:port` as `peerId` writes it, with `ip` as `requireIp` takes it: plain ASCII,
 * so a look-alike (`127.0.0.1：5002` with a fullwidth colon) is not an id and cannot pass for one.
 */
export function isPeerId(id: string): boolean {
  const colon = id.lastIndexOf(':');
  const port = id.slice(colon + 1);
  if (colon <= 0 || !/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return false;
  try {
    requireIp({ ip: id.slice(0, colon) });
    return true;
  } catch {
    return false;
  }
}

/** `"ip": "127.0.0.1"`: an IPv4 or IPv6 address or a host name. */
export function requireIp(body: JsonObject, field = 'ip'): string {
  const value = body[field];
  if (value === undefined || value === null || value === '')
    throw new HttpError(400, `Missing "${field}": send the peer's address, e.g. "${field}":"127.0.0.1"`);
  // An IPv6 zone ("fe80::1%eth0") names an interface of the sender's own machine: no address for others.
  if (typeof value === 'string' && value.includes('%'))
    throw new HttpError(400, `"${field}" must be an IP address or host name without a "%" zone, e.g. "${field}":"127.0.0.1"`);
  if (typeof value === 'string' && value.length > MAX_HOST_NAME_CHARS)
    throw new HttpError(400, `"${field}" is longer than ${MAX_HOST_NAME_CHARS} characters; use the peer's IP address instead`);
  if (typeof value !== 'string' || (isIP(value) === 0 && !HOST_NAME.test(value))) {
    throw new HttpError(400, `"${field}" must be an IP address or host name, e.g. "${field}":"127.0.0.1"`);
  }
  return value;
}

// Addresses no peer can be reached at: where a server listens, groups, the whole link, or nowhere.
// BlockList also matches an IPv4-mapped IPv6 address (::ffff:0.0.0.0) and one with a zone (fe80::1%eth0).
const UNREACHABLE: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'is the "any address" a server listens on'],
  ['169.254.0.0', 16, 'ipv4', 'is link-local (it works on one network link only)'],
  ['224.0.0.0', 4, 'ipv4', 'is a multicast group, not one peer'],
  ['240.0.0.0', 4, 'ipv4', 'is reserved or the broadcast address'],
  ['::', 128, 'ipv6', 'is the "any address" a server listens on'],
  ['fe80::', 10, 'ipv6', 'is link-local (it works on one network link only)'],
  ['ff00::', 8, 'ipv6', 'is a multicast group, not one peer'],
];
const UNREACHABLE_LISTS = UNREACHABLE.map(([address, prefix, family, why]) => {
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return { list, why };
});

/** Why no peer can be reached at `ip`, or null when it can: `unreachableReason('0.0.0.0')` → `'is the "any address" ...'`. */
export function unreachableReason(ip: string): string | null {
  const family = isIP(ip);
  if (family === 0) {
    // A "host name" of digits such as 0 or 127.1 is an IPv4 shorthand that resolvers read as 0.0.0.0 or 127.0.0.1.
    return /(^|\.)(\d+|0x[0-9a-f]*)$/i.test(ip) ? 'looks like an IPv4 address but is not one of four numbers' : null;
  }
  const hit = UNREACHABLE_LISTS.find(({ list }) => list.check(ip, family === 4 ? 'ipv4' : 'ipv6'));
  return hit ? hit.why : null;
}

/**
 * `"ip"` as `requireIp`, and an address other peers can really connect to: not 0.0.0.0 or ::, multicast,
 * broadcast or link-local. Loopback and private ranges stay accepted: the demo runs on 127.0.0.1 and LANs.
 */
export function requireReachableIp(body: JsonObject, field = 'ip'): string {
  const ip = requireIp(body, field);
  const why = unreachableReason(ip);
  if (why !== null) {
    throw new HttpError(
      400,
      `"${field}" ${ip} ${why}; send the address other peers reach this peer at, e.g. "${field}":"127.0.0.1" or its LAN address`,
    );
  }
  return ip;
}

/** `"port": 5001`: an integer from 1 to 65535 (a string of digits is accepted too, as Python's `int()` did). */
export function requirePort(body: JsonObject, field = 'port'): number {
  const value = body[field];
  if (value === undefined || value === null || value === '')
    throw new HttpError(400, `Missing "${field}": send the peer's port, e.g. "${field}":5001`);
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new HttpError(400, `"${field}" must be an integer from 1 to 65535, e.g. "${field}":5001`);
  }
  return port;
}
