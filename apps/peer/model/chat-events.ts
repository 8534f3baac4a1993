/**
 * The shapes the chat's operations answer and emit: a `Result` (a value, or an HTTP status and a reason both
 * screens can show), and the data of the `message` and `channel` events on the event log. New; no WeApRous twin.
 */

import type { MessageView } from './views';

/** Where an action came from: the console prints what the browser did, and not what it typed itself. */
export type Origin = 'console' | 'web';

/**
 * What an operation answers: its value, or why not, with the HTTP status the web API answers with. `about`
 * says what the reason concerns, so the console can tag it (`[Channel] ...`).
 */
export type Result<T> = { ok: true; value: T } | { ok: false; status: number; reason: string; about?: 'channel' };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = (status: number, reason: string, about?: 'channel'): Result<never> =>
  about === undefined ? { ok: false, status, reason } : { ok: false, status, reason, about };

/** The data of a `message` event; `origin` is `peer` for a message another peer sent. */
export interface MessageEvent {
  message: MessageView;
  origin: Origin | 'peer';
}

/** The data of a `channel` event. */
export interface ChannelEvent {
  change: 'joined' | 'left' | 'read';
  /** A channel name, or `@<peer id>` for `read` of a direct conversation. */
  conversation: string;
  origin: Origin;
}
