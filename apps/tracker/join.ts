/**
 * One peer joining one channel: ask the registry what it takes (`plan`), check the credential of a private
 * one (a proof, checked at once; or a key sent as it is, turned into its verifier by scrypt, the only slow
 * step), then `join`. Another peer may change the channel meanwhile, so a `changed` answer means plan again,
 * a few times at most. Used by `/add-list/` and `/heartbeat/`. New: WeApRous's tracker had no channels.
 */

import { type ChannelProof, claimHolds } from '../channel-secret';
import type { ChannelClaim } from '../protocol';
import { staleTime } from '../signature';
import type { Channels } from './channels';
import { KeysBusy, type ChannelKeys, type Verifier } from './keys';

export type JoinOutcome =
  | { ok: true; result: 'general' | 'member' | 'joined' | 'created' }
  | { ok: false; status: 400 | 403 | 409 | 429 | 503; error: string; retryAfter?: number };

const ATTEMPTS = 3;

type Refusal = Extract<JoinOutcome, { ok: false }>;

/** `await joinChannel(channels, keys, '127.0.0.1:5001', { channel: 'team', proof }, now)` → `{ ok: true, result: 'created' }` */
export async function joinChannel(
  channels: Channels,
  keys: ChannelKeys,
  peerId: string,
  claim: ChannelClaim,
  now: number,
  source?: string,
): Promise<JoinOutcome> {
  const { channel: name, key, proof } = claim;
  const credential = key !== undefined || proof !== undefined;
  // Worked out once, the first time a plan needs it: a channel that changes meanwhile costs no second scrypt.
  let checked: Promise<Verifier | Refusal> | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const plan = await channels.plan(peerId, name, credential, source);
    if (plan.kind === 'refused') return { ok: false, status: plan.status, error: plan.error };
    let verifier: Verifier | undefined;
    if (plan.kind === 'create-private' || plan.kind === 'check-key') {
      checked ??=
        proof !== undefined ? Promise.resolve(proofVerifier(proof, name, peerId, now)) : keyVerifier(keys, peerId, name, key!, source);
      const given = await checked;
      if (typeof given !== 'string') return given;
      if (plan.kind === 'check-key' && given !== plan.secret)
        return { ok: false, status: 403, error: `Wrong key for #${name}; use the key it was created with` };
      verifier = given;
    }
    const result = await channels.join(peerId, name, verifier, source);
    if (result !== 'changed') return { ok: true, result };
  }
  return { ok: false, status: 409, error: `#${name} kept changing while its key was checked; try again` };
}

/** The verifier a proof stands for, once its signature and time check; a 403 otherwise. */
function proofVerifier(proof: ChannelProof, name: string, peerId: string, now: number): Verifier | Refusal {
  const stale = staleTime(proof.time, now, "the tracker's");
  if (stale !== null) return { ok: false, status: 403, error: `The proof for #${name} is too old or too new: ${stale}` };
  if (!claimHolds(proof, name, peerId))
    return { ok: false, status: 403, error: `The proof for #${name} is not signed by its verifier for ${peerId}` };
  return proof.verifier;
}

/** The verifier a key sent as it is gives (scrypt, in turn); a 429 or 503 when the tracker is busy with others. */
async function keyVerifier(keys: ChannelKeys, peerId: string, name: string, key: string, source?: string): Promise<Verifier | Refusal> {
  try {
    return await keys.verifierOf(peerId, name, key, source);
  } catch (error) {
    if (error instanceof KeysBusy) return busy(error);
    throw error;
  }
}

function busy(error: KeysBusy): Refusal {
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
