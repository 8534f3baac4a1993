/**
 * What a chaos run does and when, drawn from its seed before anything starts: the peers, their channels, the
 * messages each types (console or web API) and the faults with their heals. Pure: `run.ts` carries it out, the
 * checker reads who should hold what from it. New.
 */

import { Random } from './random';

export const NAMES = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi'];
export const PUBLIC_CHANNEL = 'lobby';
export const PRIVATE_CHANNEL = 'team';
export const PRIVATE_KEY = 'chaos-team-key';

export type Kind = 'general' | 'public' | 'private' | 'direct';

/** One line a peer's user types (or its browser posts), `at` ms after the workload starts. */
export interface Send {
  at: number;
  /** Index into the peers. */
  from: number;
  kind: Kind;
  /** The recipient's index, for a direct message. */
  to?: number;
  via: 'console' | 'web';
  text: string;
}

export type FaultAction =
  | { kind: 'partition'; peers: number[] }
  | { kind: 'cut-tracker'; peer: number }
  | { kind: 'kill'; peer: number }
  | { kind: 'restart-tracker' }
  | { kind: 'kill-full-outbox'; sender: number; recipient: number };

/** A fault starting at `at` ms, healed (link back, process started again) at `until`. */
export interface Fault {
  at: number;
  until: number;
  action: FaultAction;
}

export interface Plan {
  seed: number;
  seconds: number;
  peers: number;
  /** Who belongs to which channel besides #general (everyone): peer indexes. */
  members: Record<string, number[]>;
  sends: Send[];
  faults: Fault[];
  /** The peer whose clock runs `skewMs` off (a preloaded Date, `skew.js`). */
  skewed: { peer: number; skewMs: number };
}

/** Messages typed per second across all peers: about 195 in 60 s, as in the run that found the losses. */
const RATE = 3.25;

/** `makePlan(7, 60, 5)`: the same seed gives the same plan; `faults` false keeps the workload and drops every fault. */
export function makePlan(seed: number, seconds: number, peers: number, faults = true): Plan {
  const random = new Random(seed);
  const members = {
    [PUBLIC_CHANNEL]: range(peers).filter((i) => i < peers - 1 || peers < 3),
    [PRIVATE_CHANNEL]: range(peers).filter((i) => i % 2 === 0),
  };
  const schedule = makeFaults(random.fork(), seconds * 1000, peers).filter(() => faults);
  const sends = makeSends(random.fork(), seed, seconds * 1000, peers, members);
  for (const fault of schedule) if (fault.action.kind === 'kill-full-outbox') sends.push(...fillOutbox(fault, seed, sends.length));
  sends.sort((a, b) => a.at - b.at);
  const skewSign = random.chance(0.5) ? -1 : 1;
  return {
    seed,
    seconds,
    peers,
    members,
    sends,
    faults: schedule,
    skewed: { peer: random.int(0, peers - 1), skewMs: faults ? skewSign * random.int(2000, 8000) : 0 },
  };
}

function makeSends(random: Random, seed: number, ms: number, peers: number, members: Record<string, number[]>): Send[] {
  const sends: Send[] = [];
  const count = Math.round((ms / 1000) * RATE);
  for (let n = 0; n < count; n++) {
    const roll = random.next();
    const kind: Kind = roll < 0.45 ? 'general' : roll < 0.65 ? 'public' : roll < 0.85 ? 'private' : 'direct';
    const pool = kind === 'public' ? members[PUBLIC_CHANNEL] : kind === 'private' ? members[PRIVATE_CHANNEL] : range(peers);
    const from = random.pick(pool);
    const to = kind === 'direct' ? random.pick(range(peers).filter((i) => i !== from)) : undefined;
    const via = random.chance(0.15) ? 'web' : 'console';
    sends.push({ at: Math.round((n / count) * ms), from, kind, to, via, text: textOf(seed, n, kind) });
  }
  return sends;
}

/** Unique per run and message: the checker finds a typed line by it, and looks for private ones in clear. */
export function textOf(seed: number, n: number, kind: Kind): string {
  return kind === 'private' || kind === 'direct' ? `secret ${seed}.${n} for ${kind} eyes only` : `chaos ${seed}.${n} ${kind}`;
}

/**
 * One to two partitions of one or two peers, a peer cut from the tracker only, a kill -9 and restart, a tracker
 * restart and a sender killed with a full outbox; all of them within the first 80% of the run, so each heals
 * before the last messages are typed.
 */
function makeFaults(random: Random, ms: number, peers: number): Fault[] {
  const faults: Fault[] = [];
  const span = (length: number) => {
    const at = random.int(Math.round(ms * 0.05), Math.max(Math.round(ms * 0.8) - length, Math.round(ms * 0.05)));
    return { at, until: at + length };
  };
  const partitions = random.int(1, 2);
  for (let p = 0; p < partitions; p++) {
    const chosen = shuffled(random, range(peers)).slice(0, peers > 3 ? random.int(1, 2) : 1);
    faults.push({ ...span(random.int(5000, 15000)), action: { kind: 'partition', peers: chosen } });
  }
  faults.push({ ...span(random.int(5000, 15000)), action: { kind: 'cut-tracker', peer: random.int(0, peers - 1) } });
  faults.push({ ...span(random.int(1000, 3000)), action: { kind: 'kill', peer: random.int(0, peers - 1) } });
  faults.push({ ...span(random.int(2000, 5000)), action: { kind: 'restart-tracker' } });
  const [sender, recipient] = shuffled(random, range(peers));
  faults.push({ ...span(8000), action: { kind: 'kill-full-outbox', sender, recipient } });
  return faults.sort((a, b) => a.at - b.at);
}

/** Five direct messages the sender types while the recipient is unreachable, before it is killed at `at + 3 s`. */
function fillOutbox(fault: Fault, seed: number, first: number): Send[] {
  if (fault.action.kind !== 'kill-full-outbox') return [];
  const { sender, recipient } = fault.action;
  return range(5).map((i) => ({
    at: fault.at + 500 + i * 400,
    from: sender,
    kind: 'direct' as const,
    to: recipient,
    via: 'console' as const,
    text: textOf(seed, first + i, 'direct'),
  }));
}

/** What a fault is, in one line for the schedule printed with a counterexample. */
export function describeFault(fault: Fault, names: string[]): string {
  const a = fault.action;
  const what =
    a.kind === 'partition'
      ? `partition ${a.peers.map((i) => names[i]).join('+')} from everyone`
      : a.kind === 'cut-tracker'
        ? `cut ${names[a.peer]} from the tracker only`
        : a.kind === 'kill'
          ? `kill -9 ${names[a.peer]}, restart on the same data folder`
          : a.kind === 'restart-tracker'
            ? 'stop the tracker, start it again'
            : `cut ${names[a.sender]} from ${names[a.recipient]}, 5 direct messages queue, kill -9 ${names[a.sender]} at +3 s, restart`;
  return `${(fault.at / 1000).toFixed(1)}s-${(fault.until / 1000).toFixed(1)}s ${what}`;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function shuffled<T>(random: Random, items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
