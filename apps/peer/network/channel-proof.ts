/**
 * Proving a private channel's key peer to peer, never on the tracker's word: `POST /channel-proof/` carries
 * this peer's proof (identity/channel-keys.ts) and is answered with the other's, so one request proves both
 * ways. `ChannelProofs.ensure` asks a peer at its own address; `answer` is the route. Who proved what is kept
 * in `model/channels.ts`. docs/security/private.md. New; WeApRous had no private channels.
 */

import type { HttpClient } from '../../../daemon/client';
import { HttpError } from '../../../daemon/status';
import { type JsonObject, requireString } from '../../json-fields';
import { channelName } from '../../protocol';
import { staleTime } from '../../signature';
import { type ChannelKeys, channelProof, isChannelProof, type ProofFields } from '../identity/channel-keys';
import type { Channels } from '../model/channels';
import type { Address } from '../model/peers';
import { peerUrl } from './peer-client';

export const CHANNEL_PROOF_PATH = '/channel-proof/';
export const CHANNEL_PROOF_EXAMPLE =
  '{"channel":"secret","from":"127.0.0.1:5001","to":"127.0.0.1:5002","time":1700000000000,"proof":"<base64>"}';
/** A peer that did not prove a channel's key is not asked again for this long (a stranger's messages come in bursts). */
export const UNPROVEN_RETRY_MS = 10_000;
const MAX_UNPROVEN = 1_000;

export interface ProofParts {
  selfId: string;
  channels: Channels;
  keys: ChannelKeys;
  client: HttpClient;
  timeoutMs: number;
}

export class ChannelProofs {
  /** `channel peer` → until when a failed proof is not asked for again. */
  private readonly unproven = new Map<string, number>();
  private readonly asking = new Map<string, Promise<boolean>>();

  constructor(private readonly parts: ProofParts) {}

  /** Whether `peer` holds the key of private `channel`: remembered, or asked now at its own address. */
  ensure(channel: string, peer: Address & { peer_id: string }): Promise<boolean> {
    const { channels } = this.parts;
    if (channels.hasProved(channel, peer.peer_id)) return Promise.resolve(true);
    const asked = `${channel} ${peer.peer_id}`;
    if ((this.unproven.get(asked) ?? 0) > Date.now()) return Promise.resolve(false);
    const pending = this.asking.get(asked) ?? this.ask(channel, peer).finally(() => this.asking.delete(asked));
    this.asking.set(asked, pending);
    return pending;
  }

  private async ask(channel: string, peer: Address & { peer_id: string }): Promise<boolean> {
    const proofKey = await this.parts.keys.proofKey(channel);
    if (proofKey === undefined) return false;
    const { selfId, client, timeoutMs, channels } = this.parts;
    const fields: ProofFields = { channel, from: selfId, to: peer.peer_id, time: Date.now() };
    const body = { ...fields, proof: channelProof(proofKey, fields) };
    let answer: JsonObject = {};
    try {
      const res = await client.request(peerUrl(peer) + CHANNEL_PROOF_PATH, { method: 'POST', json: body, timeoutMs, maxBodyBytes: 4096 });
      if (res.status === 200) answer = res.json<JsonObject>();
    } catch {
      // no answer: not proved
    }
    const theirs: ProofFields = { channel, from: peer.peer_id, to: selfId, time: Number(answer.time) };
    const fresh = staleTime(answer.time, Date.now(), "this peer's") === null;
    if (fresh && isChannelProof(proofKey, theirs, answer.proof)) {
      channels.proved(channel, peer.peer_id);
      return true;
    }
    if (this.unproven.size >= MAX_UNPROVEN) this.unproven.delete(this.unproven.keys().next().value as string);
    this.unproven.set(`${channel} ${peer.peer_id}`, Date.now() + UNPROVEN_RETRY_MS);
    return false;
  }

  /** The route: a good proof for this peer is remembered and answered with this peer's own; else 400 or 403. */
  async answer(body: JsonObject): Promise<JsonObject> {
    const { selfId, keys, channels } = this.parts;
    const channel = channelName(requireString(body, 'channel', 'secret', 40));
    if (channel === null) throw new HttpError(400, `"channel" must be a channel name; send ${CHANNEL_PROOF_EXAMPLE}`);
    const from = requireString(body, 'from', '127.0.0.1:5001', 300);
    if (body.to !== selfId) throw new HttpError(400, `"to" must be this peer's id, "${selfId}"`);
    const stale = staleTime(body.time, Date.now(), "this peer's");
    if (stale !== null) throw new HttpError(400, stale);
    const proofKey = keys.proofKey(channel);
    if (proofKey === undefined) throw new HttpError(403, `This peer is not in #${channel} with a key`);
    const key = await proofKey;
    if (!isChannelProof(key, { channel, from, to: selfId, time: Number(body.time) }, body.proof))
      throw new HttpError(403, `Wrong proof for #${channel}: it was not made with the key this peer joined with`);
    channels.proved(channel, from);
    const mine: ProofFields = { channel, from: selfId, to: from, time: Date.now() };
    return { status: 'ok', ...mine, proof: channelProof(key, mine) };
  }
}
