/**
 * Who may use this peer's web UI: server-side sessions, the assignment's cookie login done properly, begun with
 * the password (`--password-file`) or a one-time login link the console prints, as Jupyter does. No sockets, no files, no
 * timers: the clock comes in as `now`, saving is `onChange`'s job. New, not in WeApRous.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** One session as kept (and saved): the hash of its token, when it began, when it was last used. */
export interface SessionRecord {
  id: string;
  created: number;
  seen: number;
}

export interface SessionOptions {
  /** The password (`--password-file`); without one, only login links let anyone in. */
  password?: string;
  max?: number;
  idleMs?: number;
  /** How long a login link may wait to be opened. */
  linkMs?: number;
  maxLinks?: number;
  /** Hears every change worth saving: a session begun or ended, or one's `seen` moved on by `saveEveryMs`. */
  onChange?: (records: SessionRecord[]) => void;
  saveEveryMs?: number;
}

export const MAX_SESSIONS = 32;
export const IDLE_MS = 24 * 60 * 60 * 1000;
export const LINK_MS = 10 * 60 * 1000;
export const MAX_LINKS = 8;
const SAVE_EVERY_MS = 10 * 60 * 1000;

/** `hash('abc')` → the hex SHA-256: what a token is kept as, and what passwords are compared as. */
export function hash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A fresh unguessable token: 32 random bytes, 43 characters of base64url (no character a cookie or URL must escape). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A session is a random token in an HttpOnly cookie; only its SHA-256 is kept, so the sessions file in the
 * data folder gives nobody a cookie. At most `max` sessions (the least recently used goes first), each ending
 * after `idleMs` unused or at logout. Passwords are compared with `timingSafeEqual` on their hashes.
 */
export class Sessions {
  private readonly sessions = new Map<string, SessionRecord & { saved: number }>();
  /** Login links not used yet: hash of the token → when it stops working. */
  private readonly links = new Map<string, number>();
  private readonly passwordHash: Buffer | null;
  private readonly max: number;
  private readonly idleMs: number;

  constructor(private readonly options: SessionOptions = {}) {
    this.passwordHash = options.password === undefined ? null : Buffer.from(hash(options.password), 'hex');
    this.max = options.max ?? MAX_SESSIONS;
    this.idleMs = options.idleMs ?? IDLE_MS;
  }

  get hasPassword(): boolean {
    return this.passwordHash !== null;
  }

  get count(): number {
    return this.sessions.size;
  }

  /**
   * Whether `password` is the peer's. Both sides are hashed first, so `timingSafeEqual` compares equal lengths
   * and the time taken says nothing about how much of a guess was right. False when the peer has no password.
   */
  checkPassword(password: string): boolean {
    if (this.passwordHash === null) return false;
    return timingSafeEqual(Buffer.from(hash(password), 'hex'), this.passwordHash);
  }

  /** Begins a session and returns its token (for the cookie); the least recently used one ends when `max` are open. */
  create(now: number): string {
    this.expire(now);
    if (this.sessions.size >= this.max) {
      const oldest = [...this.sessions.values()].reduce((a, b) => (a.seen <= b.seen ? a : b));
      this.sessions.delete(oldest.id);
    }
    const token = newToken();
    const id = hash(token);
    this.sessions.set(id, { id, created: now, seen: now, saved: now });
    this.changed();
    return token;
  }

  /** The session a cookie's token names, marked used now; null when there is none or it has expired. */
  find(token: string | undefined, now: number): SessionRecord | null {
    if (token === undefined || token === '') return null;
    const session = this.sessions.get(hash(token));
    if (!session) return null;
    if (now - session.seen > this.idleMs) {
      this.sessions.delete(session.id);
      this.changed();
      return null;
    }
    session.seen = Math.max(session.seen, now);
    if (now - session.saved >= (this.options.saveEveryMs ?? SAVE_EVERY_MS)) this.changed();
    return { id: session.id, created: session.created, seen: session.seen };
  }

  /** Ends the session of `token` (logout); returns its id, or null when there was none. */
  end(token: string | undefined): string | null {
    if (token === undefined) return null;
    const id = hash(token);
    if (!this.sessions.delete(id)) return null;
    this.changed();
    return id;
  }

  /** A one-time login token for a link (`/web` in the console); the oldest unused one stops working beyond `maxLinks`. */
  issueLink(now: number): string {
    for (const [id, until] of this.links) if (until <= now) this.links.delete(id);
    if (this.links.size >= (this.options.maxLinks ?? MAX_LINKS)) this.links.delete(this.links.keys().next().value as string);
    const token = newToken();
    this.links.set(hash(token), now + (this.options.linkMs ?? LINK_MS));
    return token;
  }

  /** Uses up a login link's token: true once, while it is fresh; false for any other token. */
  redeemLink(token: string, now: number): boolean {
    const id = hash(token);
    const until = this.links.get(id);
    this.links.delete(id);
    return until !== undefined && now < until;
  }

  /** Takes back the sessions saved by an earlier run (a restarted peer keeps its browsers logged in). */
  load(records: unknown, now: number): void {
    if (!Array.isArray(records)) return;
    for (const record of records.slice(-this.max)) {
      const { id, created, seen } = (record ?? {}) as Partial<SessionRecord>;
      if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id) || typeof created !== 'number' || typeof seen !== 'number') continue;
      if (now - seen <= this.idleMs) this.sessions.set(id, { id, created, seen, saved: seen });
    }
  }

  /** What is saved: hashes and times, never a token. */
  records(): SessionRecord[] {
    return [...this.sessions.values()].map(({ id, created, seen }) => ({ id, created, seen }));
  }

  private expire(now: number): void {
    for (const session of [...this.sessions.values()]) if (now - session.seen > this.idleMs) this.sessions.delete(session.id);
  }

  private changed(): void {
    for (const session of this.sessions.values()) session.saved = session.seen;
    this.options.onChange?.(this.records());
  }
}
