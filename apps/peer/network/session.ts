/**
 * The peer's session with the tracker: register (retrying while the tracker is down), send a heartbeat
 * every `heartbeatMs`, and register again by itself when the tracker has forgotten the peer (404 after a
 * restart or an expired TTL) or comes back after being unreachable. One request at a time, each scheduled
 * after the previous one ended. Ports `heartbeat_loop()` of WeApRous `apps/peer.py` and closes the gap
 * its Test 10 admits ("peers do not re-register automatically").
 */

import type { Notify } from '../model/notices';
import { reasonOf } from '../../text';
import type { ChannelAnswer, TrackerClient } from './tracker-client';

/** unregistered: never got in yet · registered: heartbeating · lost: the tracker stopped answering. */
type Phase = 'unregistered' | 'registered' | 'lost' | 'stopped';

export interface SessionOptions {
  heartbeatMs: number;
  /** How often to retry the very first registration. */
  retryMs: number;
  notify: Notify;
  /** After a registration that did not happen at start-up: 'late' (first success) or 'again' (re-registered). */
  onRegistered: (kind: 'late' | 'again') => Promise<void> | void;
  /** What the tracker said of the channels a heartbeat claimed: the ones it has this peer in, the ones refused. */
  onChannels?: (answer: ChannelAnswer) => void;
  /** After each heartbeat the tracker answered: housekeeping that asks it (`housekeeping.ts`). */
  onBeat?: () => Promise<void>;
  /** Runs `fn` after `ms` and returns a function that cancels it; a fake one makes tests instant. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

function realSchedule(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  timer.unref(); // a pending heartbeat must not keep a quitting peer alive
  return () => clearTimeout(timer);
}

export class TrackerSession {
  private phase: Phase = 'unregistered';
  private lastFailure = '';
  private cancel: (() => void) | null = null;
  private readonly schedule: (fn: () => void, ms: number) => () => void;

  constructor(
    private readonly tracker: Pick<TrackerClient, 'register' | 'heartbeat'> & Partial<Pick<TrackerClient, 'claim'>>,
    private readonly options: SessionOptions,
  ) {
    this.schedule = options.schedule ?? realSchedule;
  }

  get registered(): boolean {
    return this.phase === 'registered';
  }

  /** The first registration: says how it went, schedules what comes next, resolves true on success. */
  async start(): Promise<boolean> {
    await this.register('unregistered');
    this.scheduleNext();
    return this.phase === 'registered';
  }

  /**
   * Registers now instead of at the next heartbeat: `/discover` calls it when the tracker's list lacks this
   * peer (the tracker restarted since the last heartbeat, as in the document's Test 10). True once registered.
   */
  async rejoin(): Promise<boolean> {
    if (this.phase === 'stopped') return false;
    if (this.phase === 'unregistered') return this.register('unregistered');
    if (this.phase === 'registered') this.options.notify({ kind: 'tracker-forgot' });
    return this.register('lost');
  }

  stop(): void {
    this.phase = 'stopped';
    this.cancel?.();
  }

  /** One step of the session, run by the scheduler. */
  private async tick(): Promise<void> {
    if (this.phase === 'unregistered') {
      if (await this.register('unregistered')) await this.options.onRegistered('late');
    } else if (this.phase === 'registered') {
      await this.beat();
    } else if (this.phase === 'lost') {
      if (await this.register('lost')) await this.options.onRegistered('again');
    }
    this.scheduleNext();
  }

  private async beat(): Promise<void> {
    let answer: 'alive' | 'unknown' | ChannelAnswer;
    try {
      // Once more at once before calling the tracker lost: behind a proxy with several trackers, a heartbeat
      // caught by one tracker's death (a 502) reaches another on the second try, and nobody notices.
      answer = await this.tracker.heartbeat().catch(() => this.tracker.heartbeat());
    } catch (error) {
      if (this.phase === 'stopped') return;
      this.phase = 'lost';
      this.options.notify({ kind: 'heartbeat-failed', reason: reasonOf(error) });
      return;
    }
    if (this.phase === 'stopped') return;
    if (typeof answer === 'object') this.options.onChannels?.(answer);
    if (answer !== 'unknown') return void (await this.options.onBeat?.().catch(() => undefined));
    this.options.notify({ kind: 'tracker-forgot' });
    this.phase = 'lost';
    if (await this.register('lost')) await this.options.onRegistered('again');
  }

  /** POST /submit-info/; `from` decides the words: a first registration or a re-registration. */
  private async register(from: 'unregistered' | 'lost'): Promise<boolean> {
    let status: string;
    try {
      status = await this.tracker.register();
    } catch (error) {
      const reason = reasonOf(error);
      // Said once per reason, not every retry, so a long outage does not flood the console.
      if (from === 'unregistered' && reason !== this.lastFailure && this.phase !== 'stopped') {
        this.options.notify({ kind: 'registration-failed', reason, retrySeconds: this.options.retryMs / 1000 });
      }
      this.lastFailure = reason;
      return false;
    }
    if (this.phase === 'stopped') return false;
    this.phase = 'registered';
    this.lastFailure = '';
    await this.claim();
    this.options.notify(from === 'unregistered' ? { kind: 'registered', status } : { kind: 're-registered' });
    return true;
  }

  /**
   * The channels claimed at once after a registration, not at the next heartbeat: a tracker that restarted
   * has no member of them until then, and members would find each other missing (docs/history.md).
   */
  private async claim(): Promise<void> {
    const answer = await this.tracker.claim?.().catch(() => null);
    if (typeof answer === 'object' && answer !== null && this.phase !== 'stopped') this.options.onChannels?.(answer);
  }

  private scheduleNext(): void {
    if (this.phase === 'stopped') return;
    const ms = this.phase === 'unregistered' ? this.options.retryMs : this.options.heartbeatMs;
    this.cancel = this.schedule(() => void this.tick(), ms);
  }
}
