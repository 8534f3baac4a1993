/**
 * The peer's side of the tracker API (`docs/protocol.md`): register, list, heartbeat, join, unregister, each one
 * request through the shared keep-alive `HttpClient`; a failure rejects with a sentence. With a `signer`, every
 * write is signed (docs/identity.md). A private channel's key never goes: a proof of it does (`channel-secret.ts`). Ports `register_with_tracker`, `get_peer_list`, `send_heartbeat` and
 * `unregister_from_tracker` of WeApRous `apps/peer.py`.
 */

import type { ClientResponse, HttpClient } from '../../../daemon/client';
import { proveClaim } from '../../channel-secret';
import { type ChannelBody, type ChannelClaim, isPeerEntry, type PeerEntry, type RegisterBody } from '../../protocol';
import { ChannelKeys } from '../identity/channel-keys';
import type { Identity } from '../identity/identity';
import type { PeerInfo } from '../model/peers';

/** A channel the tracker would not let this peer back into at a heartbeat, with `/add-list/`'s status and sentence. */
export interface ChannelRefusal {
  channel: string;
  status: number;
  error: string;
}

/** A heartbeat that carried channels: the channels the tracker has this peer in, and those it refused. */
export interface ChannelAnswer {
  channels: string[];
  refused: ChannelRefusal[];
}

export class TrackerClient {
  /** The channels the heartbeat claims (besides #general); none unless the peer has joined some. */
  constructor(
    private readonly client: HttpClient,
    readonly url: string,
    private readonly self: PeerInfo,
    private readonly timeoutMs = 3_000,
    /** Signs what this peer writes at the tracker; without one, the document's bodies exactly. */
    private readonly signer: Identity | null = null,
    /** The channels the heartbeat claims again after a tracker restart (besides #general), a private one with its key. */
    private readonly claims: () => ChannelClaim[] = () => [],
    /** Turns a key into the proof sent instead (derived once per channel and key). */
    private readonly keys = new ChannelKeys(() => undefined),
  ) {}

  /**
   * `POST /submit-info/` with the document's body, `{"ip":...,"port":...,"peer_id":...}`, and the optional
   * `"name"` (docs/protocol.md), so the tracker's status page and `/get-list/` name the peer; with a signer,
   * also `public_key`, `time` and `signature`. Resolves with the tracker's status ("ok").
   */
  async register(): Promise<string> {
    const { ip, port, peer_id, name, scheme } = this.self;
    const body: RegisterBody = { ip, port, peer_id, name };
    if (scheme === 'https') body.scheme = scheme; // other peers reach this one over TLS
    const offer = this.signer === null ? body : { ...body, public_key: this.signer.publicKey };
    const res = await this.post('/submit-info/', offer);
    return expectOk(res).status;
  }

  /** `GET /get-list/`: every registered peer, this one included. */
  async list(): Promise<PeerEntry[]> {
    const res = await this.client.request(this.url + '/get-list/', { timeoutMs: this.timeoutMs });
    const body = expectOk(res);
    if (!Array.isArray(body.peers)) throw new Error('The tracker answered without a "peers" list');
    return body.peers.filter(isPeerEntry);
  }

  /**
   * `POST /heartbeat/`: 'alive', or 'unknown' when the tracker has forgotten this peer (a 404); when it
   * claimed channels, what the tracker said of them (`refused`: someone else holds a name now).
   */
  async heartbeat(): Promise<'alive' | 'unknown' | ChannelAnswer> {
    const channels = await Promise.all(this.claims().map((claim) => this.proven(claim)));
    // With no channel joined and no signer, the document's body exactly.
    const body = channels.length === 0 ? { peer_id: this.self.peer_id } : { peer_id: this.self.peer_id, channels };
    const res = await this.post('/heartbeat/', body);
    if (res.status === 404) return 'unknown';
    const answer = expectOk(res);
    return channels.length === 0 ? 'alive' : channelAnswer(answer);
  }

  /** A heartbeat at once when this peer is in channels (besides #general), so a tracker that restarted has them now; else null. */
  async claim(): Promise<'alive' | 'unknown' | ChannelAnswer | null> {
    return this.claims().length === 0 ? null : this.heartbeat();
  }

  /** `POST /add-list/`: join `channel` (a private one with a proof of `key`) or leave it; the tracker's sentence. */
  async channel(channel: string, options: { key?: string; leave?: boolean } = {}): Promise<string> {
    const claim = await this.proven({ channel, key: options.key });
    const body: ChannelBody = { peer_id: this.self.peer_id, ...claim, leave: options.leave === true };
    const answer = expectOk(await this.post('/add-list/', body));
    return typeof answer.message === 'string' ? answer.message : answer.status;
  }

  /**
   * `GET /get-list/?channel=team`: the members; none when the tracker has no such channel (404), which after a
   * restart may only mean that no member has claimed it again yet (`Members.refresh` keeps the ones it knew).
   */
  async members(channel: string): Promise<PeerEntry[]> {
    const res = await this.client.request(`${this.url}/get-list/?channel=${encodeURIComponent(channel)}`, { timeoutMs: this.timeoutMs });
    if (res.status === 404) return [];
    const body = expectOk(res);
    if (!Array.isArray(body.peers)) throw new Error('The tracker answered without a "peers" list');
    return body.peers.filter(isPeerEntry);
  }

  /** A claim as it goes to the tracker: a private channel's key replaced by a fresh proof of it. */
  private async proven({ channel, key }: ChannelClaim): Promise<ChannelClaim> {
    if (key === undefined) return { channel };
    const { signer } = await this.keys.secretsOf(channel, key);
    return { channel, proof: proveClaim(signer, channel, this.self.peer_id, Date.now()) };
  }

  /** `POST /remove/`; resolves with the tracker's status ("ok"). */
  async remove(): Promise<string> {
    const res = await this.post('/remove/', { peer_id: this.self.peer_id });
    return expectOk(res).status;
  }

  /** Every POST goes to the tracker signed when there is a signer: `time` (ms since the epoch) and `signature`. */
  private post(path: string, body: object): Promise<ClientResponse> {
    let json = body;
    if (this.signer !== null) {
      const timed = { ...body, time: Date.now() };
      json = { ...timed, signature: this.signer.sign(timed) };
    }
    return this.client.request(this.url + path, { method: 'POST', json, timeoutMs: this.timeoutMs });
  }
}

/** The `channels` and `refused` of a heartbeat's answer, each entry checked; anything else is left out. */
function channelAnswer(answer: Record<string, unknown>): ChannelAnswer {
  const channels = Array.isArray(answer.channels) ? answer.channels.filter((c): c is string => typeof c === 'string') : [];
  const list = Array.isArray(answer.refused) ? (answer.refused as unknown[]) : [];
  const refused = list.flatMap((item) => {
    const r = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    if (typeof r.channel !== 'string') return [];
    return [{ channel: r.channel, status: Number(r.status) || 0, error: typeof r.error === 'string' ? r.error : '' }];
  });
  return { channels, refused };
}

/** The JSON body of a 2xx answer whose `status` is "ok"; otherwise an Error that says what came back. */
export function expectOk(res: ClientResponse): { status: string; [field: string]: unknown } {
  let body: unknown;
  try {
    body = res.json();
  } catch {
    throw new Error(`Answer ${res.status} was not JSON`);
  }
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (res.status < 200 || res.status > 299) {
    const why = typeof fields.error === 'string' ? `: ${fields.error}` : '';
    throw new Error(`Answer ${res.status}${why}`);
  }
  return { ...fields, status: String(fields.status ?? '') };
}
