/**
 * Inbox: what another peer sends this one, checked and stored once. One message comes by the document's
 * `/broadcast-peer/` or `/send-peer/`; several come together by `/messages/`, the way this peer's own
 * delivery sends a burst (one request for many messages, as Matrix federation sends transactions). Either
 * way each message is checked alone (fields, sender's signature, channel membership), the good ones are
 * stored together (one write, `AppendOnlyFile`'s group commit) and shown once. The answer (2xx) is the
 * acknowledgement, and comes only once they are on disk. Ports the message half of `setup_routes()` of
 * WeApRous `apps/peer.py`; batches are new.
 */

import { HttpError } from '../../daemon/status';
import { GENERAL_CHANNEL, type JsonObject, MAX_BATCH_MESSAGES } from '../protocol';
import { messageLine } from './console';
import type { History } from './history';
import { type ChatMessage, directChannel, type IncomingMessage, readMessage } from './message';
import type { ServerHooks } from './server';
import type { ChatState } from './state';
import { HistoryFull } from './store';

export type MessageType = 'broadcast' | 'direct';

/** One message's outcome in a batch: stored (or held already), or refused with a status and a reason. */
export type BatchResult = { status: 'received' } | { status: 'error'; code: number; error: string };

export class Inbox {
  private saidFull = false;

  constructor(
    private readonly state: ChatState,
    private readonly history: History | Promise<History>,
    private readonly show: (line: string) => void,
    private readonly hooks: ServerHooks,
  ) {}

  /** `/broadcast-peer/` or `/send-peer/`: stored, or 507 when the history is full; throws `HttpError` 4xx. */
  async receiveOne(body: JsonObject, type: MessageType): Promise<BatchResult> {
    const incoming = await this.check(body, type);
    const [result] = await this.store([{ incoming, type }]);
    return result;
  }

  /** `/messages/`: `{"messages":[...]}`, each message as `/broadcast-peer/` (a channel) or `/send-peer/` (`@...`) takes it. */
  async receiveBatch(body: JsonObject): Promise<BatchResult[]> {
    const list = body.messages;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH_MESSAGES)
      throw new HttpError(400, `"messages" must be a list of 1 to ${MAX_BATCH_MESSAGES} messages, each as /broadcast-peer/ takes one`);
    const results: BatchResult[] = [];
    const good: Array<{ incoming: IncomingMessage; type: MessageType; at: number }> = [];
    for (const item of list) {
      try {
        if (typeof item !== 'object' || item === null || Array.isArray(item))
          throw new HttpError(400, 'Each message must be a JSON object');
        const type = typeof item.channel === 'string' && item.channel.startsWith('@') ? 'direct' : 'broadcast';
        good.push({ incoming: await this.check(item as JsonObject, type), type, at: results.length });
        results.push({ status: 'received' });
      } catch (error) {
        if (!(error instanceof HttpError) || error.status >= 500) throw error;
        results.push({ status: 'error', code: error.status, error: error.message });
      }
    }
    const stored = await this.store(good);
    good.forEach(({ at }, i) => (results[at] = stored[i]));
    return results;
  }

  /**
   * One message body, as the document's routes take it: the document's payload (no id, channel or clock)
   * belongs to #general for a broadcast and to this peer for a direct message. Throws `HttpError` 4xx.
   */
  private async check(body: JsonObject, type: MessageType): Promise<IncomingMessage> {
    const self = this.state.self;
    const channel = type === 'broadcast' ? GENERAL_CHANNEL : directChannel(self.peer_id);
    const read = readMessage(body, { channel, now: Date.now() / 1000 });
    if (!read.ok) throw new HttpError(400, read.error);
    const incoming = read.value;
    if (incoming.from === self.peer_id) throw new HttpError(400, `"from" is this peer's own id; a peer does not send to itself`);
    // An id is its sender's: else anyone could take another peer's next ids, and its real messages would be dropped as copies.
    if (!incoming.id.startsWith(`${incoming.from}/`))
      throw new HttpError(400, `"id" must start with the sender's id and "/", here "${incoming.from}/"`);
    this.hooks.trust?.check(incoming.from, body);
    if (type === 'direct' && incoming.channel !== channel)
      throw new HttpError(400, `"channel" of a direct message to this peer must be "${channel}" (or leave it out)`);
    if (type === 'broadcast' && incoming.channel !== GENERAL_CHANNEL) await this.checkMembers(incoming.channel, incoming.from);
    // No name sent: the one it connected with, else its id.
    if (body.name === undefined || body.name === null) incoming.name = this.state.get(incoming.from)?.name ?? incoming.from;
    return incoming;
  }

  /** A channel message needs both ends in the channel, as far as this peer knows: else 403. */
  private async checkMembers(channel: string, from: string): Promise<void> {
    const gate = this.hooks.gate;
    if (!gate?.isMember(channel))
      throw new HttpError(403, `This peer is not in #${channel}; it takes broadcasts in #${GENERAL_CHANNEL} only`);
    if (!(await gate.admits(channel, from)))
      throw new HttpError(403, `${from} is not a member of #${channel}; join it first (POST /add-list/)`);
  }

  /** Stores checked messages together and shows each new one, in order; a full history refuses with 507. */
  private async store(items: Array<{ incoming: IncomingMessage; type: MessageType }>): Promise<BatchResult[]> {
    const history = await this.history;
    const outcomes = await Promise.allSettled(items.map(({ incoming }) => history.accept(incoming)));
    return outcomes.map((outcome, i): BatchResult => {
      if (outcome.status === 'rejected') return this.refusal(outcome.reason);
      const { status, message } = outcome.value;
      if (status === 'added') this.display(items[i].type, message);
      return { status: 'received' };
    });
  }

  private display(type: MessageType, message: ChatMessage): void {
    if (this.hooks.onMessage) this.hooks.onMessage(type, message);
    else this.show(messageLine(type, message.name, message.from, message.msg));
  }

  /** Not stored, so not acknowledged: the sender keeps it in its outbox. Said once here, every time to the sender. */
  private refusal(error: unknown): BatchResult {
    if (!(error instanceof HistoryFull)) throw error;
    if (!this.saidFull) this.show(`[History] ${error.message}. Messages from other peers are refused (507) until then.`);
    this.saidFull = true;
    return { status: 'error', code: 507, error: error.message };
  }
}
