/**
 * The contacts file (`contacts.json` in the data folder): the user's contacts (`model/contacts.ts`) survive a
 * restart. A damaged file counts as no contacts (they only give priority, never trust). Written whole under a
 * temporary name, then renamed. New; WeApRous `apps/peer.py` had no contacts.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Contacts, type ContactsJson } from '../model/contacts';

export const CONTACTS_FILE = 'contacts.json';

/** The contacts saved in `folder`, saved again at each change. */
export function openContacts(folder: string): Contacts {
  const file = path.join(folder, CONTACTS_FILE);
  return new Contacts(readContacts(file), (contacts) => saveContacts(folder, file, contacts.toJSON()));
}

function readContacts(file: string): Partial<ContactsJson> {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { chosen, heard } = parsed as Record<string, unknown>;
    return { chosen: Array.isArray(chosen) ? chosen : [], heard: Array.isArray(heard) ? heard : [] };
  } catch {
    return {};
  }
}

function saveContacts(folder: string, file: string, contacts: ContactsJson): void {
  try {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(contacts, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(temp, file);
  } catch {
    // not saved: the contacts still count for this run
  }
}
