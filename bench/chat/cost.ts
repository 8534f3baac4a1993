/**
 * What the chat's processes spend, beside the latencies: CPU time of the sender and of the receivers over a run
 * (so CPU per delivered message at each end), and the CPU an idle peer uses per second. Read from /proc
 * (`bench/proc.ts`); a hosted run's receivers share one process, whose CPU is theirs. New: no WeApRous twin.
 */

import { cpuMs } from '../proc';
import type { ChatCluster } from './cluster';

/** CPU milliseconds used so far by the sender and by all receivers together. */
export interface CpuSnapshot {
  sender: number;
  receivers: number;
}

export function cpuSnapshot(cluster: ChatCluster): CpuSnapshot {
  return {
    sender: cpuMs(cluster.sender.pid),
    receivers: cluster.processes.reduce((sum, peer) => sum + cpuMs(peer.pid), 0),
  };
}

/** CPU ms spent between two snapshots, at each end. */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return { sender: after.sender - before.sender, receivers: after.receivers - before.receivers };
}

/** CPU ms per second of each peer process (and of the tracker) left alone for `seconds`. */
export async function idleCpu(cluster: ChatCluster, seconds: number): Promise<{ perPeer: number; tracker: number }> {
  const peers = [cluster.sender, ...cluster.processes];
  const before = peers.map((peer) => cpuMs(peer.pid));
  const trackerBefore = cpuMs(cluster.tracker.pid);
  await new Promise((done) => setTimeout(done, seconds * 1000));
  const spent = peers.reduce((sum, peer, i) => sum + cpuMs(peer.pid) - before[i], 0);
  // A host's peers share its process: per peer is its CPU over all of them.
  const count = 1 + cluster.receivers.length;
  return { perPeer: spent / count / seconds, tracker: (cpuMs(cluster.tracker.pid) - trackerBefore) / seconds };
}
