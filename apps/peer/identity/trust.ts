/**
 * Trust: who a request claims to come from, checked against the key remembered for that peer id (trust on first
 * use, once the peer at that id's address confirms the key: `owner.ts`). A known peer's requests must be signed
 * by its key, else 401; a peer with no key (the document's curl examples) is taken as before. No sockets.
 * New; WeApRous `apps/peer.py` trusted every `from`. docs/identity.md.
 */

import { HttpError } from '../../../daemon/status';
import type { JsonObject } from '../../json-fields';
import { isPublicKeyText, notForNow, verify } from '../../signature';
import { type AskKey, type BoxKeyClaim, keyMismatch } from '../../owner';
import { boxKeySigned } from './envelope';
import { pairKey } from './pair-keys';
import type { Identity } from './identity';
import type { KnownPeers } from './known-peers';
import type { ChatMessage } from '../model/message';
import type { Notify } from '../model/notices';

export class Trust {
  /** Verdicts of `authorship` (and `vouch`), by the stored message object: each is checked once. */
  private readonly verdicts = new WeakMap<ChatMessage, 'verified' | 'forged'>();
  /** Peers `learn` asked in vain, and until when it does not ask them again (a page naming 100 absent peers). */
  private readonly unanswered = new Map<string, number>();
  /** Pair keys (`pair-keys.ts`) by `peerId boxKey`, each made once (null: no agreement works); the oldest out first. */
  private readonly pairKeys = new Map<string, Buffer | null>();

  constructor(
    readonly identity: Identity,
    private readonly known: KnownPeers,
    /** Hears when a known peer id comes with another key. */
    private readonly notify: Notify,
    private readonly knownPeersFile: string,
    /** Asks an id's own address for its key before a first key is remembered (`KeyOwners.keyAt`). */
    private readonly askKey: AskKey,
  ) {}

  /**
   * `/connect-peer/`: a known peer must sign with its key and may not offer another; a new one offering a
   * key must have signed with it, for `receiver` (this peer's id) and now, and the peer at its address must hold
   * it; then it is remembered. Throws 401 otherwise.
   */
  async introduce(
    peer: { peer_id: string; name: string; ip: string; port: number; scheme?: 'https' },
    body: JsonObject,
    receiver: string,
    source?: string,
  ): Promise<void> {
    const { peer_id: peerId, name } = peer;
    const offered = body.public_key;
    if (offered !== undefined && !isPublicKeyText(offered))
      throw new HttpError(400, '"public_key" must be the base64 of a raw Ed25519 public key (44 characters ending in "=")');
    const remembered = this.known.keyOf(peerId);
    if (remembered !== undefined && offered !== undefined && offered !== remembered) {
      this.notify({ kind: 'key-changed', peer: { peer_id: peerId, name }, knownPeersFile: this.knownPeersFile });
      throw new HttpError(401, `This peer knows another key for ${peerId}; a peer keeps its key (its data folder) to keep its id`);
    }
    const key = remembered ?? offered;
    if (key === undefined) return; // no key: a peer of the document's kind
    if (!verify(body, body.signature, key)) throw new HttpError(401, unsigned(peerId, body.signature));
    // A copy of a hello to another peer, or an old one, connects nobody (and makes this peer ask nobody).
    const replayed = notForNow(body, receiver, Date.now());
    if (replayed !== null) throw new HttpError(401, replayed);
    if (remembered !== undefined) return void this.rememberBox(peerId, body);
    const mismatch = keyMismatch(peerId, key, await this.askKey(peer, source), peer.scheme);
    if (mismatch !== null) throw new HttpError(401, mismatch);
    // Asked again while the answer came: a key remembered meanwhile wins, and another one is refused.
    if (this.known.remember(peerId, key) === 'different') throw new HttpError(401, `This peer knows another key for ${peerId}`);
    this.rememberBox(peerId, body);
  }

  /**
   * A peer's box key claim (`/connect-peer/`, `/identity/`), kept when signed by the identity key remembered
   * for it: a key signed by anyone else could be a listener's. False when it was not kept.
   */
  rememberBox(peerId: string, claim: Partial<BoxKeyClaim>): boolean {
    const identityKey = this.known.keyOf(peerId);
    if (identityKey === undefined || !boxKeySigned(claim.box_key, claim.box_key_signature, identityKey)) return false;
    // Kept with the identity key in known-peers.json: after a restart a message to a peer that is away is still sealed.
    this.known.rememberBox(peerId, { box_key: claim.box_key, box_key_signature: claim.box_key_signature as string });
    return true;
  }

  /**
   * The box key to seal a direct message to `peerId` for: `'clear'` for a peer with no identity key (the
   * document's kind), which is sent text in clear as before; undefined when it has a key but its box key could
   * not be had (`/identity/` asked, no signed box key there): then nothing is sent, never the text in clear.
   */
  async boxKeyFor(peerId: string): Promise<string | 'clear' | undefined> {
    await this.learn(peerId);
    if (this.known.keyOf(peerId) === undefined) return 'clear';
    const known = this.known.boxKeyOf(peerId);
    if (known !== undefined) return known;
    const answer = await this.askKey(addressOfId(peerId));
    if (answer.ok && answer.key === this.known.keyOf(peerId) && answer.box) this.rememberBox(peerId, answer.box);
    return this.known.boxKeyOf(peerId);
  }

  /**
   * A signed message from a sender whose key this peer does not know yet (it never connected; it is in a
   * channel, or named in a page of catch-up): asks the sender's own address for its key, and remembers the key
   * if one is there, as `introduce` does. Afterwards `check` and `authorship` judge the signature.
   */
  async learn(peerId: string, source?: string): Promise<void> {
    if (this.known.keyOf(peerId) !== undefined) return;
    const now = Date.now();
    if ((this.unanswered.get(peerId) ?? 0) > now) return; // asked a moment ago, in vain: not again yet
    const answer = await this.askKey(addressOfId(peerId), source);
    if (answer.ok && isPublicKeyText(answer.key)) {
      this.known.remember(peerId, answer.key);
      if (answer.box) this.rememberBox(peerId, answer.box);
      return;
    }
    if (this.unanswered.size >= 1_000) this.unanswered.delete(this.unanswered.keys().next().value as string);
    this.unanswered.set(peerId, now + 60_000);
  }

  /** A body that claims to come from `peerId`: signed by its key when one is known, else 401. */
  check(peerId: string, body: Record<string, unknown>): void {
    const key = this.known.keyOf(peerId);
    if (key !== undefined && !verify(body, body.signature, key)) throw new HttpError(401, unsigned(peerId, body.signature));
  }

  /**
   * The key this peer (`selfId`) shares with `peerId`, which MACs the messages between them (`pair-keys.ts`);
   * undefined while no box key signed by `peerId`'s identity key is known (then signatures do the work).
   */
  pairKeyWith(selfId: string, peerId: string): Buffer | undefined {
    const boxKey = this.known.boxKeyOf(peerId);
    if (boxKey === undefined || peerId === selfId) return undefined;
    const name = `${peerId} ${boxKey}`;
    let key = this.pairKeys.get(name);
    if (key === undefined) {
      key = this.derivePairKey(selfId, peerId, boxKey);
      if (this.pairKeys.size >= MAX_PAIR_KEYS) this.pairKeys.delete(this.pairKeys.keys().next().value as string);
      this.pairKeys.set(name, key);
    }
    return key ?? undefined;
  }

  /** The pair key, or null when no agreement is possible with that box key (`boxKeySigned` refuses such keys). */
  private derivePairKey(selfId: string, peerId: string, boxKey: string): Buffer | null {
    try {
      return pairKey(this.identity.agree(boxKey), { id: selfId, boxKey: this.identity.boxKey }, { id: peerId, boxKey });
    } catch {
      return null; // then signatures do the work, as with no box key
    }
  }

  /** The key (and box key) another peer answered `/connect-peer/` with: remembered the first time; false when it differs. */
  answered(peerId: string, key: unknown, box: Partial<BoxKeyClaim> = {}): boolean {
    if (!isPublicKeyText(key)) return true;
    if (this.known.remember(peerId, key) === 'different') return false;
    this.rememberBox(peerId, box);
    return true;
  }

  /**
   * Who wrote a stored message, as far as this peer can tell: `verified` (signed by the key known for its
   * sender, this peer's own included), `unverified` (no key known for the sender: the document's peers, or
   * one never met), `forged` (a known sender, and no good signature by it). `/history` and the web UI mark it.
   */
  authorship(message: ChatMessage, selfId: string): 'verified' | 'unverified' | 'forged' {
    const key = message.from === selfId ? this.identity.publicKey : this.known.keyOf(message.from);
    if (key === undefined) return 'unverified';
    const cached = this.verdicts.get(message);
    if (cached) return cached;
    const verdict = verify(message, message.signature, key) ? 'verified' : 'forged';
    this.verdicts.set(message, verdict);
    return verdict;
  }

  /**
   * A stored message the inbox took from its sender, whose key signed it (or signed the batch it came in):
   * shown as verified without checking the signature again (a quarter of a millisecond per message). Kept by
   * the stored object itself, so a copy passed on by another peer is always checked afresh.
   */
  vouch(message: ChatMessage): void {
    this.verdicts.set(message, 'verified');
  }

  /** `/forget`: the user decided that `peerId`'s new key is really its own. False when none was known. */
  forget(peerId: string): boolean {
    this.unanswered.delete(peerId);
    return this.known.forget(peerId);
  }

  /** Whether this peer knows `peerId`'s key, so what comes from it is checked; `/peers` marks the others. */
  knows(peerId: string): boolean {
    return this.known.keyOf(peerId) !== undefined;
  }

  /** The key remembered for `peerId`, if any. */
  keyOf(peerId: string): string | undefined {
    return this.known.keyOf(peerId);
  }

  /** `body` with its `signature`. */
  sign<T extends object>(body: T): T & { signature: string } {
    return { ...body, signature: this.identity.sign(body) };
  }
}

/** Pair keys kept at once: a peer meets far fewer; one more costs an X25519 agreement, about 0.1 ms. */
const MAX_PAIR_KEYS = 1_000;

/** `127.0.0.1:5002` → `{ ip: '127.0.0.1', port: 5002 }`: a peer id is its address. */
function addressOfId(peerId: string): { ip: string; port: number } {
  const colon = peerId.lastIndexOf(':');
  return { ip: peerId.slice(0, colon), port: Number(peerId.slice(colon + 1)) };
}

function unsigned(peerId: string, signature: unknown): string {
  const what = signature === undefined ? 'is not signed' : 'is not signed by it';
  return `${peerId} is known by its key and this request ${what}; refused`;
}
