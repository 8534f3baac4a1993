/**
 * The tracker's channel routes: join or leave a channel (`POST /add-list/`), and the channels a heartbeat
 * carries, joined again after a tracker restart (`rejoin`). Every join goes through `joinChannel` (`join.ts`).
 * New: WeApRous's tracker had no channels.
 */

import { WeApRous } from '../../daemon/weaprous';
import { HttpError } from '../../daemon/status';
import type { Request } from '../../daemon/request';
import { GENERAL_CHANNEL, readChannelBody, type ChannelBody, type ChannelClaim } from '../protocol';
import { joinChannel, type JoinOutcome } from './join';
import type { TrackerContext } from './context';
import { logged } from './logging';

type JoinResultName = Extract<JoinOutcome, { ok: true }>['result'];

/** Adds `POST /add-list/` to the tracker app. */
export function channelRoutes(app: WeApRous, tracker: TrackerContext): void {
  class ChannelRoutes {
    /** What `@logged` logs to. */
    readonly tracker = tracker;

    @app.route('/add-list/', { methods: ['POST'] })
    @logged
    async addList(request: Request) {
      const body = readChannelBody(request);
      tracker.limit(body.peer_id);
      await tracker.requireOwner(body.peer_id, request);
      if (!(await tracker.registry.has(body.peer_id)))
        throw new HttpError(404, `${body.peer_id} is not registered; register it first with POST /submit-info/`);
      if (body.leave) return leave(tracker, body);
      const outcome = await joinChannel(tracker.channels, tracker.keys, body.peer_id, body, tracker.now(), request.remoteAddress);
      if (!outcome.ok) throw refusal(outcome);
      if (await dropIfGone(tracker, body.peer_id)) throw new HttpError(404, `${body.peer_id} unregistered while joining #${body.channel}`);
      await logJoin(tracker, outcome.result, body.peer_id, body.channel);
      if (outcome.result === 'member') tracker.log(`[Tracker] Already in #${body.channel}: ${body.peer_id}`);
      const messages = { general: 'Every peer is always in #general', member: 'Already in', joined: 'Joined', created: 'Created' };
      const message = outcome.result === 'general' ? messages.general : `${messages[outcome.result]} #${body.channel}`;
      return {
        status: 'ok',
        channel: body.channel,
        private: await tracker.channels.isPrivate(body.channel),
        message,
        count: await tracker.countIn(body.channel),
      };
    }
  }
  new ChannelRoutes();
}

async function leave(tracker: TrackerContext, body: ChannelBody) {
  if (body.channel === GENERAL_CHANNEL) throw new HttpError(400, 'Every peer is in #general; it cannot be left');
  if (!(await tracker.channels.leave(body.peer_id, body.channel, tracker.now()))) {
    tracker.log(`[Tracker] Not in #${body.channel}: ${body.peer_id}`);
    return { status: 'ok', channel: body.channel, message: `Was not in #${body.channel}`, count: await tracker.countIn(body.channel) };
  }
  const count = await tracker.countIn(body.channel);
  tracker.log(`[Tracker] Left #${body.channel}: ${body.peer_id} - Members: ${count}`);
  return { status: 'ok', channel: body.channel, message: `Left #${body.channel}`, count };
}

/**
 * The heartbeat's channels: joins the peer to each it is not in yet (after a tracker restart, all of them),
 * one after another, and says which the tracker refused (a wrong key: someone else re-created the channel).
 */
export async function rejoin(tracker: TrackerContext, id: string, claims: ChannelClaim[], source?: string) {
  const refused: Array<{ channel: string; status: number; error: string }> = [];
  for (const claim of claims) {
    const { channel } = claim;
    const outcome = await joinChannel(tracker.channels, tracker.keys, id, claim, tracker.now(), source);
    if (outcome.ok) await logJoin(tracker, outcome.result, id, channel);
    else {
      tracker.log(`[Tracker] Refused #${channel} for ${id} (${outcome.status}): ${outcome.error}`);
      refused.push({ channel, status: outcome.status, error: outcome.error });
    }
  }
  await dropIfGone(tracker, id);
  return { channels: await tracker.channels.channelsOf(id), refused };
}

/** Logs a join that changed something; a heartbeat that only confirms its channels logs nothing more. */
async function logJoin(tracker: TrackerContext, result: JoinResultName, id: string, channel: string): Promise<void> {
  if (result !== 'created' && result !== 'joined') return;
  const members = `- Members: ${await tracker.countIn(channel)}`;
  if (result === 'created')
    tracker.log(`[Tracker] Created #${channel}${(await tracker.channels.isPrivate(channel)) ? ' (private)' : ''}: ${id} ${members}`);
  if (result === 'joined') tracker.log(`[Tracker] Joined #${channel}: ${id} ${members}`);
}

/** A refused join, with its sentence even for a 503, and `Retry-After` when waiting helps (`logged` logs it). */
function refusal(outcome: Extract<JoinOutcome, { ok: false }>): HttpError {
  const busy = outcome.status === 429 || outcome.status === 503;
  const retryAfter = String(outcome.retryAfter ?? 1);
  return new HttpError(outcome.status, outcome.error, { headers: busy ? { 'Retry-After': retryAfter } : {}, expose: true });
}

/** A peer removed while its key was checked must not stay in the channel it just joined; true when it was. */
async function dropIfGone(tracker: TrackerContext, id: string): Promise<boolean> {
  if (await tracker.registry.has(id)) return false;
  await tracker.channels.leaveAll(id, tracker.now());
  return true;
}
