/**
 * The public keys this peer has met, by peer id, like SSH's `known_hosts`: the first key seen for a peer
 * is the one it keeps (trust on first use), and a different key later is a warning sign, not an update.
 * The class is plain state; `openKnownPeers` keeps it in a file of the data folder.
 * New: WeApRous `apps/peer.py` trusts whatever address a message claims.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPublicKeyText, parsePublicKey } from '../../signature';
import { writeFileDurably } from './identity';

/** `{ "127.0.0.1:5002": "<public key>" }`, one peer a line, sorted, so a person can read and edit it. */
export const KNOWN_PEERS_FILE = 'known-peers.json';

/** What a key is, for a peer id: `new` (never seen), `same` (the one remembered) or `different`. */
export type KeyCheck = 'new' | 'same' | 'different';

export class KnownPeers {
  private readonly keys: Map<string, string>;

  /** `onChange` gets every peer id and key after each change, to save them. */
  constructor(
    entries: Record<string, string> = {},
    private readonly onChange: (entries: Record<string, string>) => void = () => {},
  ) {
    this.keys = new Map(Object.entries(entries));
  }

  /** `check('127.0.0.1:5002', key)` → `'new'` the first time, then `'same'` for that key, `'different'` for any other. */
  check(peerId: string, key: string): KeyCheck {
    const known = this.keys.get(peerId);
    if (known === undefined) return 'new';
    return known === key ? 'same' : 'different';
  }

  /** The key remembered for a peer, to verify its messages with. */
  keyOf(peerId: string): string | undefined {
    return this.keys.get(peerId);
  }

  /** Keeps the key of a peer seen for the first time; a known peer keeps its first key whatever `key` is. */
  remember(peerId: string, key: string): KeyCheck {
    const verdict = this.check(peerId, key);
    if (verdict !== 'new') return verdict;
    if (peerId === '') throw new Error('A peer id is needed to remember a key');
    parsePublicKey(key);
    this.keys.set(peerId, key);
    this.changed();
    return 'new';
  }

  /** Forgets a peer's key, so that its next key is remembered: the user's decision after a key change. */
  forget(peerId: string): boolean {
    if (!this.keys.delete(peerId)) return false;
    this.changed();
    return true;
  }

  /** Every peer id and its key, sorted by peer id. */
  entries(): Record<string, string> {
    return Object.fromEntries([...this.keys.keys()].sort().map((peerId) => [peerId, this.keys.get(peerId)!]));
  }

  private changed(): void {
    this.onChange(this.entries());
  }
}

/** The known peers kept in `folder`, saved again after every change. `openKnownPeers('.peer-5001')` */
export function openKnownPeers(folder: string): KnownPeers {
  const file = path.join(folder, KNOWN_PEERS_FILE);
  const entries = fs.existsSync(file) ? readKnownPeers(file) : {};
  return new KnownPeers(entries, (changed) => saveKnownPeers(folder, file, changed));
}

/** A damaged file is an error, never an empty list: starting over would accept any key for every peer. */
function readKnownPeers(file: string): Record<string, string> {
  const problem = (why: string) =>
    new Error(`${file} is not a list of known peers (${why}). It was left as it is: mend or delete the bad entry, then start again.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).syscall) throw error;
    throw problem('it is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw problem('expected a JSON object of peer id to key');
  for (const [peerId, key] of Object.entries(parsed)) {
    if (!isPublicKeyText(key)) throw problem(`the key of "${peerId}" is not a public key`);
  }
  return parsed as Record<string, string>;
}

/** The whole file written under a temporary name, then renamed over the old one: a crash leaves one or the other, never half. */
function saveKnownPeers(folder: string, file: string, entries: Record<string, string>): void {
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true }); // a leftover from a crash would keep its old mode
  writeFileDurably(temp, JSON.stringify(entries, null, 2) + '\n', { mode: 0o600, flag: 'w' });
  fs.renameSync(temp, file);
}
