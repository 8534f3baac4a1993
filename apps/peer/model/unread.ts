/**
 * Unread counts as the browser shows them: per channel (`general`) and direct conversation (`@127.0.0.1:5002`),
 * each message from another peer counts until the conversation is marked read (the page does when it shows
 * it, the console when it switches there). The console keeps its own count for its prompt (`channels.ts`): it
 * never counts its current channel, whose lines it prints. At most `limit` conversations are counted (strangers
 * can open direct conversations at will); the one counted longest ago is forgotten beyond. New, not in WeApRous.
 */

export const UNREAD_LIMIT = 1_000;

export class Unread {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit = UNREAD_LIMIT) {}

  /** A message from another peer arrived in `conversation`. */
  arrived(conversation: string): void {
    const count = (this.counts.get(conversation) ?? 0) + 1;
    this.counts.delete(conversation); // re-inserted last: the Map's order is the order of arrival
    this.counts.set(conversation, count);
    if (this.counts.size > this.limit) this.counts.delete(this.counts.keys().next().value as string);
  }

  read(conversation: string): void {
    this.counts.delete(conversation);
  }

  of(conversation: string): number {
    return this.counts.get(conversation) ?? 0;
  }
}
