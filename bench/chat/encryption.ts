/**
 * The cost of encryption in the chat benchmark, in one cluster of N peers (a process each): direct messages sealed
 * by our peer against the document's key-less ones in clear, and a private channel of all N (joined with a key)
 * against a public channel of all N, each pair at a steady rate and in a burst, one run after the other.
 * New: no WeApRous twin.
 */

import { randomBytes } from 'node:crypto';
import { ChatCluster, type ChatBundles, type ClusterProcess } from './cluster';
import { resultLine } from './report';
import type { RunResult, RunSpec, Runner } from './run';

export const PUBLIC_CHANNEL = 'bench-public';
export const PRIVATE_CHANNEL = 'bench-private';

export interface Pattern {
  rate: number;
  messages: number;
  burst: number;
}

/** Runs with encryption and without, in pairs of the same pattern, the encrypted one first. */
export interface CostPair {
  encrypted: RunResult;
  clear: RunResult;
}

/**
 * The runs in pairs: sealed direct messages (`/direct` typed for each receiver; peers with keys seal them)
 * against `POST /send-peer/` without a key or signature, as the document's curl sends (the peer never sends in
 * clear to a peer with keys, so this is the only "without"); a private channel against a public one, both typed
 * at the sender's console.
 */
export function encryptionPairs(p: Pattern): Array<[RunSpec, RunSpec]> {
  const pairs: Array<[RunSpec, RunSpec]> = [];
  for (const [rate, messages] of [
    [p.rate, p.messages],
    [0, p.burst],
  ]) {
    pairs.push([
      { mode: 'direct', rate, messages, label: 'sealed direct' },
      { mode: 'document-direct', rate, messages, label: 'key-less direct (curl)' },
    ]);
  }
  for (const [rate, messages] of [
    [p.rate, p.messages],
    [0, p.burst],
  ]) {
    pairs.push([
      { mode: 'peer', rate, messages, channel: PRIVATE_CHANNEL, label: `private #${PRIVATE_CHANNEL}` },
      { mode: 'peer', rate, messages, channel: PUBLIC_CHANNEL, label: `public #${PUBLIC_CHANNEL}` },
    ]);
  }
  return pairs;
}

/** Types `/join #channel [key]` and resolves with the line that says it joined. */
async function join(peer: ClusterProcess, channel: string, key?: string): Promise<string> {
  let said = '';
  const joined = peer.waitFor(
    (line) => {
      const hit = line.includes(`you are in #${channel} (`) || line.includes(`Could not join #${channel}`);
      if (hit) said = line;
      return hit;
    },
    30_000,
    `join of #${channel}`,
  );
  peer.type(key === undefined ? `/join #${channel}` : `/join #${channel} ${key}`);
  await joined;
  if (said.includes('Could not join')) throw new Error(`${peer.name}: ${said}`);
  return said;
}

/** Every peer joins both channels, the receivers first; the sender's lines say how many members each has. */
async function joinChannels(cluster: ChatCluster, key: string): Promise<void> {
  for (const peer of cluster.processes) {
    await join(peer, PUBLIC_CHANNEL);
    await join(peer, PRIVATE_CHANNEL, key);
  }
  console.log(`  Sender: ${await join(cluster.sender, PUBLIC_CHANNEL)}`);
  console.log(`  Sender: ${await join(cluster.sender, PRIVATE_CHANNEL, key)}`);
}

/**
 * One message of each kind before the measured runs, awaited at every receiver: the sender asks each receiver's
 * box key once (docs/identity.md) and proves the private channel's key to each member once; both are kept after.
 */
async function warmUp(cluster: ChatCluster): Promise<void> {
  const kinds = ['direct', PUBLIC_CHANNEL, PRIVATE_CHANNEL];
  const arrived = cluster.processes.flatMap((peer) =>
    kinds.map((kind) => peer.waitFor((line) => line.endsWith(`: warm-up-${kind}`), 30_000, `warm-up ${kind}`)),
  );
  for (const peer of cluster.receivers) cluster.sender.type(`/direct 127.0.0.1:${peer.port} warm-up-direct`);
  for (const channel of [PUBLIC_CHANNEL, PRIVATE_CHANNEL]) cluster.sender.type(`/switch #${channel}\nwarm-up-${channel}`);
  await Promise.all(arrived);
}

/** Starts a cluster of `size` peers, a process each, joins the channels and runs every pair; prints as it goes. */
export async function measureEncryption(size: number, pattern: Pattern, bundles: ChatBundles, runner: Runner): Promise<CostPair[]> {
  console.log(`\nThe cost of encryption, N = ${size}: starting a tracker and ${size} peers, a process each...`);
  const cluster = await ChatCluster.start(size, bundles, runner.onLine, false);
  const pairs: CostPair[] = [];
  try {
    await joinChannels(cluster, randomBytes(12).toString('base64url'));
    await warmUp(cluster);
    for (const [encryptedSpec, clearSpec] of encryptionPairs(pattern)) {
      const encrypted = await runner.run(cluster, encryptedSpec);
      console.log(`  ${resultLine(encrypted)}`);
      const clear = await runner.run(cluster, clearSpec);
      console.log(`  ${resultLine(clear)}`);
      pairs.push({ encrypted, clear });
    }
  } finally {
    await cluster.stop();
  }
  return pairs;
}
