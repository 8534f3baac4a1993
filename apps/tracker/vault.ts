/**
 * Private channels belong to their key: the verifier (`channel-secret.ts`, never the key) of every name created
 * private, kept after its members leave and, with a file, across restarts, so nobody without the key can take
 * the name again. The file is JSON, written whole to a temporary file and renamed over the old one (a crash
 * leaves the old or the new, never half). Used by `channels.ts`. New: WeApRous's tracker had no channels.
 */

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Verifier } from './keys';
import { shareOf } from '../../daemon/admission';

/** Names one source address holds; its next private creation lets its oldest name go (`shares.ts`). */
export const HELD_PER_ADDRESS = 64;

interface Held {
  secret: Verifier;
  /** The address whose share the name counts against; null when exempt (127.0.0.1) or unknown. */
  owner: string | null;
}

/** `new ChannelVault('data/tracker-8000/channels.json')`; without a file, the names are held until the process ends. */
export class ChannelVault {
  // Oldest first, so an address over its share lets its oldest name go.
  private readonly held = new Map<string, Held>();

  /** Reads `file` if it exists; throws a sentence when it is not a vault. */
  constructor(readonly file?: string) {
    if (file !== undefined) this.load(file);
  }

  get(name: string): Verifier | undefined {
    return this.held.get(name)?.secret;
  }

  /** Holds `name` to `secret` for good (a name held already keeps its first secret), and saves the file. */
  hold(name: string, secret: Verifier, source?: string): void {
    if (this.held.has(name)) return;
    const owner = source === undefined ? null : shareOf(source);
    if (owner !== null) {
      const mine = [...this.held].filter(([, held]) => held.owner === owner);
      if (mine.length >= HELD_PER_ADDRESS) this.held.delete(mine[0][0]);
    }
    this.held.set(name, { secret, owner });
    this.save();
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    let saved: Record<string, { verifier?: string; owner: string | null }>;
    try {
      saved = (JSON.parse(text) as { channels: typeof saved }).channels;
      if (typeof saved !== 'object' || saved === null) throw new Error('no channels');
    } catch {
      throw new Error(`${file} is not the tracker's private channel file; move it away or pick another --data-dir`);
    }
    // An entry without a verifier was written before keys stopped travelling (a scrypt hash): its members claim it again.
    for (const [name, { verifier, owner }] of Object.entries(saved))
      if (typeof verifier === 'string') this.held.set(name, { secret: verifier, owner: owner ?? null });
  }

  private save(): void {
    if (this.file === undefined) return;
    const channels: Record<string, { verifier: string; owner: string | null }> = {};
    for (const [name, { secret, owner }] of this.held) channels[name] = { verifier: secret, owner };
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ channels }, null, 1)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
