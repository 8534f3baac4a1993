/**
 * A dictionary whose keys compare case-insensitively, for HTTP header fields and cookies.
 * It keeps the spelling a key was first stored with, so `Content-Type` prints back as written.
 * Ports WeApRous `daemon/dictionary.py` (CaseInsensitiveDict).
 */

export class CaseInsensitiveDict<V = string> implements Iterable<[string, V]> {
  private readonly items = new Map<string, { name: string; value: V }>();

  /** `new CaseInsensitiveDict({ 'Content-Type': 'text/html' })` */
  constructor(init?: Iterable<readonly [string, V]> | Record<string, V>) {
    if (!init) return;
    if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<[string, V]>) this.set(name, value);
    } else {
      // A `for...in` over a literal such as { 'Content-Type': ... } allocates nothing; this runs for every response.
      for (const name in init) this.set(name, (init as Record<string, V>)[name]);
    }
  }

  get size(): number {
    return this.items.size;
  }

  get(name: string): V | undefined {
    return this.items.get(name.toLowerCase())?.value;
  }

  has(name: string): boolean {
    return this.items.has(name.toLowerCase());
  }

  /** Stores `value`, keeping the first spelling of `name` if the key already exists. */
  set(name: string, value: V): this {
    const key = name.toLowerCase();
    const existing = this.items.get(key);
    if (existing) existing.value = value;
    else this.items.set(key, { name, value });
    return this;
  }

  delete(name: string): boolean {
    return this.items.delete(name.toLowerCase());
  }

  /** Yields `[name as first written, value]`. */
  *[Symbol.iterator](): Iterator<[string, V]> {
    for (const { name, value } of this.items.values()) yield [name, value];
  }

  /** Calls `fn(value, name)` for each entry; cheaper than the iterator on hot paths such as the serializer. */
  forEach(fn: (value: V, name: string) => void): void {
    for (const entry of this.items.values()) fn(entry.value, entry.name);
  }

  /** A plain object keyed by lower-case names, handy for logging and JSON. */
  toJSON(): Record<string, V> {
    // No prototype, so a header a client names "__proto__" is kept as data instead of dropped.
    const out: Record<string, V> = Object.create(null);
    for (const [key, { value }] of this.items) out[key] = value;
    return out;
  }
}
