/**
 * Contacts: the peers the user exchanged messages with. `chosen` ones the user sent to (`/direct`, or the members
 * of a private channel, who proved its key); `heard` ones sent this peer a direct message signed by their key.
 * Contacts come first (their requests go first, their outboxes keep room); only chosen ones are spared the
 * history's shares. Plain state; `storage/contacts-file.ts` keeps it. New; WeApRous `apps/peer.py` had none.
 */

/** At most this many contacts the user chose, and this many heard from (a stranger can make itself heard). */
export const MAX_CHOSEN = 256;
export const MAX_HEARD = 16;

export type ContactsJson = { chosen: string[]; heard: string[] };

export class Contacts {
  /** Oldest first: the first to go when full. */
  private readonly chosen = new Set<string>();
  private readonly heard = new Set<string>();

  /** `onChange` hears each change (the data folder saves it). */
  constructor(
    saved: Partial<ContactsJson> = {},
    private readonly onChange: (contacts: Contacts) => void = () => {},
  ) {
    for (const id of saved.chosen ?? []) if (typeof id === 'string') remember(this.chosen, id, MAX_CHOSEN);
    for (const id of saved.heard ?? []) if (typeof id === 'string' && !this.chosen.has(id)) remember(this.heard, id, MAX_HEARD);
  }

  /** The user sent to `peerId`. */
  choose(peerId: string): void {
    const fresh = !this.chosen.has(peerId);
    this.heard.delete(peerId);
    remember(this.chosen, peerId, MAX_CHOSEN);
    if (fresh) this.onChange(this);
  }

  /** `peerId` sent the user a direct message, signed by its key. */
  hear(peerId: string): void {
    if (this.chosen.has(peerId) || this.heard.has(peerId)) return;
    remember(this.heard, peerId, MAX_HEARD);
    this.onChange(this);
  }

  has(peerId: string): boolean {
    return this.chosen.has(peerId) || this.heard.has(peerId);
  }

  /** Whether the user chose `peerId` (sent to it): only then is it trusted with room (the history's shares). */
  chose(peerId: string): boolean {
    return this.chosen.has(peerId);
  }

  toJSON(): ContactsJson {
    return { chosen: [...this.chosen], heard: [...this.heard] };
  }
}

/** Adds `id` last (the newest), dropping the oldest past `max`. */
function remember(set: Set<string>, id: string, max: number): void {
  set.delete(id);
  set.add(id);
  if (set.size > max) set.delete(set.values().next().value!);
}
