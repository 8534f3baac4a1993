/**
 * The body-budget attack, measured: one address opens many connections, each announcing a 1 MiB body and
 * trickling 64 bytes every 4 s, to hold the server's whole body budget; meanwhile an honest client on another
 * address registers. test/daemon/body-budget.e2e.test.ts sends the same against a real tracker. New; no WeApRous twin.
 */

import { option, rssMiB } from './kit';
import { connect, type Socket } from 'node:net';

const USAGE = `Usage: npx ts-node scripts/attacks/body-budget.ts --target http://127.0.0.1:PORT [options]
  --from ADDR         the attacker's local address (default 127.0.0.2)
  --honest-from ADDR  the honest client's local address (default 127.0.0.3)
  --connections N     slow uploads to open (default 64)
  --length BYTES      the Content-Length each announces (default 1048576)
  --every MS          64 bytes per connection this often (default 4000)
  --for MS            how long the honest client keeps registering meanwhile (default 10000)
  --pid PID           the target's process id, to read its RSS from /proc`;

export interface Trickle {
  sockets: Socket[];
  /** The status each attack connection was answered, by index (unanswered: undefined). */
  statuses: (number | undefined)[];
  stop(): void;
}

/** Connects from `localAddress`; resolves once the connection is open. */
export function openFrom(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Opens `connections` uploads of `length` bytes from `from`, each sending 64 bytes now and every `everyMs`. */
export async function trickle(port: number, from: string, connections = 64, length = 1024 * 1024, everyMs = 4_000): Promise<Trickle> {
  const sockets: Socket[] = [];
  const statuses: (number | undefined)[] = [];
  const head = `POST /submit-info/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
  const drip = Buffer.alloc(64, ' ');
  for (let i = 0; i < connections; i++) {
    const socket = await openFrom(port, from);
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => (statuses[i] = Number(chunk.toString('latin1', 9, 12))));
    socket.write(head);
    socket.write(drip);
    sockets.push(socket);
  }
  const timer = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed && socket.writable) socket.write(drip);
  }, everyMs);
  const stop = (): void => {
    clearInterval(timer);
    for (const socket of sockets) socket.destroy();
  };
  return { sockets, statuses, stop };
}

/** One honest `POST /submit-info/` from `from`: its status and how long the whole answer took. */
export async function register(port: number, from: string, peerPort = 9001): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const socket = await openFrom(port, from);
  const body = JSON.stringify({ ip: from, port: peerPort, peer_id: `${from}:${peerPort}` });
  socket.write(
    `POST /submit-info/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
  return { status: Number(answer.slice(9, 12)) || 0, ms: Date.now() - started };
}

/** How many of `statuses` are each status: `{ 429: 56, open: 8 }`. */
export function tally(statuses: (number | undefined)[], total: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < total; i++) {
    const key = String(statuses[i] ?? 'open');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || !process.argv.includes('--target')) return console.log(USAGE);
  const port = Number(new URL(option('target', '')).port);
  const [from, honest] = [option('from', '127.0.0.2'), option('honest-from', '127.0.0.3')];
  const pid = Number(option('pid', '')) || undefined;
  const rss = () => rssMiB(pid)?.toFixed(0) ?? '?';
  const connections = Number(option('connections', '64'));
  console.log(`target RSS before: ${rss()} MB`);
  const attack = await trickle(port, from, connections, Number(option('length', '1048576')), Number(option('every', '4000')));
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the server read every head
  const until = Date.now() + Number(option('for', '10000'));
  const answers: string[] = [];
  while (Date.now() < until) {
    const { status, ms } = await register(port, honest);
    answers.push(`${status} in ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const counts = tally(attack.statuses, connections);
  console.log(`attack from ${from}: ${connections} uploads; answered ${JSON.stringify(counts)}; target RSS ${rss()} MB`);
  console.log(`honest POST /submit-info/ from ${honest}: ${answers.join(', ')}`);
  attack.stop();
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
