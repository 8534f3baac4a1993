/**
 * A small JSON file in the data folder, read whole and written whole: under a temporary name, then renamed, so a
 * crash leaves the old file or the new one, never half of one. Readable by the owner only (0600): the channels
 * file holds private channels' keys. New; WeApRous `apps/peer.py` kept no files.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

/** The object in `folder/name`; undefined when there is none, or it is damaged (the caller starts afresh). */
export function readJsonFile(folder: string, name: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `value` to `folder/name`, mode 0600; false when it could not (a full disk): the caller keeps going. */
export function writeJsonFile(folder: string, name: string, value: unknown): boolean {
  const file = path.join(folder, name);
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(temp, file);
    return true;
  } catch {
    return false;
  }
}
