/**
 * What a chaos run prints: the summary line (messages, deliveries, faults, what the wire did, time to agree),
 * and, when the checker found violations, the counterexample: each (message, peer) pair with what was wrong,
 * the fault schedule and the seed that replays it. Pure: strings from a result. New.
 */

import type { Violation } from './checker';
import { describeFault } from './plan';
import type { ChaosResult } from './run';

/** Violations printed one by one; the rest are counted. */
const SHOWN = 40;

export function summary(result: ChaosResult): string {
  const { plan, verdict, wire } = result;
  const byKind = countBy(verdict.violations);
  const seconds = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);
  return [
    `seed ${plan.seed}: ${plan.peers} peers, ${plan.sends.length} messages planned, ${result.typed} typed or posted (${result.notTyped} not: sender down or refused),`,
    `${verdict.accepted} accepted by their senders, ${verdict.delivered}/${verdict.deliveries} deliveries, ${verdict.conversations} conversations,`,
    `${plan.faults.length} faults + clock skew ${plan.skewed.skewMs} ms; wire: ${wire.connections} connections, ${wire.stalls} stalls, ${wire.resets} resets, ${wire.blackholed} blackholed;`,
    `agreed ${seconds(result.convergedMs)} after the heal; ${seconds(result.totalMs)} in all;`,
    `violations: ${verdict.violations.length}${
      verdict.violations.length
        ? ` (${Object.entries(byKind)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')})`
        : ''
    }`,
  ].join('\n');
}

/** The counterexample: every violation (up to `SHOWN`), the schedule, and how to replay it. */
export function counterexample(result: ChaosResult): string {
  const { plan, verdict } = result;
  if (verdict.violations.length === 0) return '';
  const lines = verdict.violations.slice(0, SHOWN).map(describe);
  if (verdict.violations.length > SHOWN) lines.push(`  ... and ${verdict.violations.length - SHOWN} more`);
  if (result.refused.length > 0) lines.push('Refused while typing:', ...result.refused.map((reason) => `  ${reason}`));
  lines.push('Fault schedule:');
  for (const fault of plan.faults) lines.push(`  ${describeFault(fault, result.names)}`);
  lines.push(`  clock of ${result.names[plan.skewed.peer]} off by ${plan.skewed.skewMs} ms from the start`);
  lines.push(`Links: ${result.impairment}`);
  lines.push(`Replay: npm run chaos -- --seed ${plan.seed} --seconds ${plan.seconds} --peers ${plan.peers}`);
  return lines.join('\n');
}

function describe(violation: Violation): string {
  return `  ${violation.kind.padEnd(13)} ${violation.message} at ${violation.peer}: ${violation.detail}`;
}

function countBy(violations: Violation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const violation of violations) counts[violation.kind] = (counts[violation.kind] ?? 0) + 1;
  return counts;
}
