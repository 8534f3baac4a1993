/**
 * One peer joining one channel: ask the registry what it takes (`plan`), hash or check the key if it takes
 * one (the only slow, asynchronous step), then `join`. Another peer may change the channel while scrypt
 * runs, so a `changed` answer means plan again, a few times at most. Used by `/add-list/` and `/heartbeat/`.
 * New: WeApRous's tracker had no channels (docs/protocol.md, "Channels").
 */

import type { Channels } from './channels';
import { KeysBusy, type ChannelKeys } from './keys';

export type JoinOutcome =
  | { ok: true; result: 'general' | 'member' | 'joined' | 'created' }
  | { ok: false; status: 400 | 403 | 409 | 429 | 503; error: string; retryAfter?: number };

const ATTEMPTS = 3;

/** `await joinChannel(channels, keys, '127.0.0.1:5001', 'team', 's3cret')` → `{ ok: true, result: 'created' }` */
export async function joinChannel(
  channels: Channels,
  keys: ChannelKeys,
  peerId: string,
  name: string,
  key: string | undefined,
  source?: string,
): Promise<JoinOutcome> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const plan = await channels.plan(peerId, name, key !== undefined, source);
    if (plan.kind === 'refused') return { ok: false, status: plan.status, error: plan.error };
    let secret;
    try {
      if (plan.kind === 'create-private') secret = await keys.hash(peerId, key!, source);
      if (plan.kind === 'check-key') {
        if (!(await keys.verify(peerId, key!, plan.secret, source)))
          return { ok: false, status: 403, error: `Wrong key for #${name}; send the key it was created with` };
        secret = plan.secret;
      }
    } catch (error) {
      if (error instanceof KeysBusy) return busy(error);
      throw error;
    }
    const result = await channels.join(peerId, name, secret, source);
    if (result !== 'changed') return { ok: true, result };
  }
  return { ok: false, status: 409, error: `#${name} kept changing while its key was checked; try again` };
}

function busy(error: KeysBusy): JoinOutcome {
  if (error.who === 'peer')
    return { ok: false, status: 429, error: 'A key check for this peer is still running; wait for its answer, then try again' };
  if (error.who === 'address')
    return {
      ok: false,
      status: 429,
      error: `Your address has a channel key checked already, or checked its share for now; try again in ${error.retryAfter} s`,
      retryAfter: error.retryAfter,
    };
  return { ok: false, status: 503, error: 'The tracker is checking as many channel keys as it allows; try again in a second' };
}
