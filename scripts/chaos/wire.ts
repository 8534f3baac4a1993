/**
 * The impaired network of the chaos run, in user space: every node (tracker, peers) is reached at a public
 * address this process holds on the bridge, and a relay there forwards each TCP connection to the node's own
 * namespace, from the caller's public address. The relay delays, stalls, resets and partitions; it cannot drop
 * or reorder packets (TCP below it already recovered them), so packet loss appears as a retransmission stall.
 * Where the kernel has netem, the real thing belongs on the veth links instead (docs/history.md, "Chaos"). New.
 */

import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Random } from './random';
import { emptyCounts, RequestStream } from './requests';

/** One node as the wire sees it: where the others reach it, and where it really listens. */
export interface Node {
  name: string;
  publicIp: string;
  realIp: string;
  port: number;
}

/** The impairment of every link, as netem would say it (docs/history.md says what each becomes here). */
export interface Impairment {
  delayMs: number;
  jitterMs: number;
  loss: number;
  duplicate: number;
  reorder: number;
  /** Chance a connection is reset once the callee has answered, before the answer reaches the caller. */
  reset: number;
}

export const NETEM: Impairment = { delayMs: 30, jitterMs: 10, loss: 0.03, duplicate: 0.01, reorder: 0.05, reset: 0.02 };
export const CLEAN: Impairment = { delayMs: 0, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0, reset: 0 };

/** What the wire did, for the summary line. */
export interface WireCounts {
  connections: number;
  chunks: number;
  stalls: number;
  duplicatesAbsorbed: number;
  reordersAbsorbed: number;
  resets: number;
  blackholed: number;
}

/** How long TCP takes to resend a lost segment: at least its 200 ms minimum RTO (RFC 6298 §2.4, Linux's floor). */
const RETRANSMIT_MS: [number, number] = [200, 600];

export class Wire {
  readonly counts: WireCounts = {
    connections: 0,
    chunks: 0,
    stalls: 0,
    duplicatesAbsorbed: 0,
    reordersAbsorbed: 0,
    resets: 0,
    blackholed: 0,
  };
  /** Every request a caller sent through the wire, held by a cut or not (requests.ts). */
  readonly requests = emptyCounts();
  private readonly servers: Server[] = [];
  private readonly cut = new Set<string>();
  private readonly open = new Set<{ from: string; to: string; sockets: Socket[] }>();

  constructor(
    private readonly nodes: Node[],
    private readonly random: Random,
    public impairment: Impairment,
  ) {}

  /** Listens at every node's public address. */
  async start(): Promise<void> {
    for (const node of this.nodes) {
      const server = createServer((socket) => this.accept(node, socket));
      await new Promise<void>((done, fail) => server.once('error', fail).listen(node.port, node.publicIp, done));
      this.servers.push(server);
    }
  }

  async stop(): Promise<void> {
    for (const link of this.open) for (const socket of link.sockets) socket.destroy();
    await Promise.all(this.servers.map((server) => new Promise((done) => server.close(done))));
  }

  /** Nothing passes between `a` and `b` either way until `heal`: connections hang, as behind a pulled cable. */
  partition(a: string, b: string): void {
    this.cut.add(pairKey(a, b));
  }

  /** Lets `a` and `b` talk again; connections that hung across the cut are reset (their callers gave up). */
  heal(a: string, b: string): void {
    this.cut.delete(pairKey(a, b));
    for (const link of this.open) if (pairKey(link.from, link.to) === pairKey(a, b)) for (const socket of link.sockets) socket.destroy();
  }

  healAll(): void {
    for (const key of [...this.cut]) {
      const [a, b] = key.split('|');
      this.heal(a, b);
    }
  }

  private isCut(a: string, b: string): boolean {
    return this.cut.has(pairKey(a, b));
  }

  private accept(to: Node, inbound: Socket): void {
    this.counts.connections++;
    const caller = this.nodes.find((node) => node.realIp === inbound.remoteAddress?.replace(/^::ffff:/, ''));
    const from = caller?.name ?? 'outside';
    const outbound = connect({ host: to.realIp, port: to.port, localAddress: caller?.publicIp });
    const link = { from, to: to.name, sockets: [inbound, outbound] };
    this.open.add(link);
    const close = () => {
      this.open.delete(link);
      inbound.destroy();
      outbound.destroy();
    };
    for (const socket of link.sockets) socket.on('error', close).on('close', close);
    if (this.isCut(from, to.name)) this.counts.blackholed++;
    const requests = new RequestStream(this.requests, to.name === 'tracker');
    inbound.on('data', (chunk: Buffer) => requests.feed(chunk));
    const resetOnAnswer = this.random.chance(this.impairment.reset);
    this.pipe(inbound, outbound, from, to.name, false);
    this.pipe(outbound, inbound, from, to.name, resetOnAnswer);
  }

  /** Forwards one direction in order, each chunk after its own delay and never before the one ahead of it. */
  private pipe(source: Socket, target: Socket, a: string, b: string, resetOnFirst: boolean): void {
    let ready = Date.now();
    let pending = 0;
    let ended = false;
    source.on('data', (chunk: Buffer) => {
      if (resetOnFirst) {
        this.counts.resets++;
        source.resetAndDestroy();
        target.resetAndDestroy();
        return;
      }
      this.counts.chunks++;
      ready = Math.max(ready, Date.now() + this.delay());
      pending++;
      this.deliver(chunk, target, ready, a, b, () => {
        pending--;
        if (ended && pending === 0) target.end();
      });
    });
    source.on('end', () => {
      ended = true;
      if (pending === 0) target.end();
    });
  }

  /** Writes `chunk` at `at`, or holds it while the link is cut (it is reset at the heal). */
  private deliver(chunk: Buffer, target: Socket, at: number, a: string, b: string, done: () => void): void {
    setTimeout(
      () => {
        if (this.isCut(a, b)) return; // held: this connection is reset when the cut heals
        if (!target.destroyed) target.write(chunk);
        done();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** One chunk's delay: latency and jitter, plus what TCP's recovery from a lost segment costs. */
  private delay(): number {
    const { delayMs, jitterMs, loss, duplicate, reorder } = this.impairment;
    let ms = delayMs > 0 ? this.random.around(delayMs, jitterMs) : 0;
    if (this.random.chance(loss)) {
      this.counts.stalls++;
      ms += this.random.int(...RETRANSMIT_MS);
    }
    // A duplicate segment is dropped by the receiving TCP, a reordered one waits in its queue for the gap.
    if (this.random.chance(duplicate)) this.counts.duplicatesAbsorbed++;
    if (this.random.chance(reorder)) {
      this.counts.reordersAbsorbed++;
      ms += this.random.int(0, jitterMs * 2);
    }
    return ms;
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
