/**
 * The public keys this peer has met, by peer id, like SSH's `known_hosts`: the first key seen for a peer
 * is the one it keeps (trust on first use), and a different key later is a warning sign, not an update. With
 * each key, the peer's box key claim once met (`envelope.ts`), so a direct message is sealed after a restart.
 * The class is plain state; `openKnownPeers` keeps it in a file of the data folder.
 * New: WeApRous `apps/peer.py` trusts whatever address a message claims.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPublicKeyText, parsePublicKey } from '../../signature';
import { boxKeySigned } from './envelope';
import { writeFileDurably } from './identity';

/** `{ "127.0.0.1:5002": "<public key>" | {"public_key", "box_key", "box_key_signature"} }`, one peer a line, sorted. */
export const KNOWN_PEERS_FILE = 'known-peers.json';

/** What a key is, for a peer id: `new` (never seen), `same` (the one remembered) or `different`. */
export type KeyCheck = 'new' | 'same' | 'different';

/** A peer's box key, signed by its identity key (`boxKeyBody`), as `/identity/` and `/connect-peer/` carry it. */
export interface SignedBoxKey {
  box_key: string;
  box_key_signature: string;
}

/** One line of the file: the key alone, or the key and the box key claim met with it. */
export type KnownEntry = string | ({ public_key: string } & SignedBoxKey);

export class KnownPeers {
  private readonly keys = new Map<string, string>();
  private readonly boxes = new Map<string, SignedBoxKey>();

  /**
   * `onChange` gets every entry after each change, to save them. A box key claim is checked again against its
   * identity key: one that does not check (a file edited by hand, or by someone else) is left out, asked for again.
   */
  constructor(
    entries: Record<string, KnownEntry> = {},
    private readonly onChange: (entries: Record<string, KnownEntry>) => void = () => {},
  ) {
    for (const [peerId, entry] of Object.entries(entries)) {
      const key = typeof entry === 'string' ? entry : entry.public_key;
      this.keys.set(peerId, key);
      if (typeof entry !== 'string' && boxKeySigned(entry.box_key, entry.box_key_signature, key)) this.boxes.set(peerId, boxOf(entry));
    }
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

  /** The box key remembered for a peer, its signature checked when it was remembered (`Trust.rememberBox`). */
  boxKeyOf(peerId: string): string | undefined {
    return this.boxes.get(peerId)?.box_key;
  }

  /** Keeps a known peer's box key claim, which the caller checked against its key; saved only when it changed. */
  rememberBox(peerId: string, claim: SignedBoxKey): void {
    const known = this.boxes.get(peerId);
    if (!this.keys.has(peerId) || (known?.box_key === claim.box_key && known.box_key_signature === claim.box_key_signature)) return;
    this.boxes.set(peerId, boxOf(claim));
    this.changed();
  }

  /** Forgets a peer's key (and box key), so that its next key is remembered: the user's decision after a key change. */
  forget(peerId: string): boolean {
    this.boxes.delete(peerId);
    if (!this.keys.delete(peerId)) return false;
    this.changed();
    return true;
  }

  /** Every peer id and its key (with its box key claim when one is known), sorted by peer id. */
  entries(): Record<string, KnownEntry> {
    return Object.fromEntries([...this.keys.keys()].sort().map((peerId) => [peerId, this.entryOf(peerId)]));
  }

  private entryOf(peerId: string): KnownEntry {
    const key = this.keys.get(peerId)!;
    const box = this.boxes.get(peerId);
    return box === undefined ? key : { public_key: key, ...box };
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

/** The two fields of a claim, nothing more. */
function boxOf(claim: SignedBoxKey): SignedBoxKey {
  return { box_key: claim.box_key, box_key_signature: claim.box_key_signature };
}

/** A damaged file is an error, never an empty list: starting over would accept any key for every peer. */
function readKnownPeers(file: string): Record<string, KnownEntry> {
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
  for (const [peerId, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const key = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).public_key : entry;
    if (!isPublicKeyText(key)) throw problem(`the key of "${peerId}" is not a public key`);
  }
  return parsed as Record<string, KnownEntry>;
}

/** The whole file written under a temporary name, then renamed over the old one: a crash leaves one or the other, never half. */
function saveKnownPeers(folder: string, file: string, entries: Record<string, KnownEntry>): void {
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true }); // a leftover from a crash would keep its old mode
  writeFileDurably(temp, onePeerALine(entries), { mode: 0o600, flag: 'w' });
  fs.renameSync(temp, file);
}

/** `JSON.stringify(entries, null, 2)`, but each peer on one line, its box key claim included: a line to delete by hand. */
function onePeerALine(entries: Record<string, KnownEntry>): string {
  const lines = Object.entries(entries).map(([peerId, entry]) => `  ${JSON.stringify(peerId)}: ${JSON.stringify(entry)}`);
  return lines.length === 0 ? '{}\n' : `{\n${lines.join(',\n')}\n}\n`;
}
