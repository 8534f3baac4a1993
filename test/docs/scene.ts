/**
 * Test helper: the processes a doc's examples talk to (tracker, peers, sampleapp), each on a free port, and
 * the two rewrites between the doc's ports (8000, 5001, 5002, 5003, 9000, 9001) and the real ones: doc to
 * real in what a test runs or types, real to doc in what it prints. New.
 */

import { exact, freePort, Processes, STARTUP_MS, type Child } from '../apps/child';

/** The ports the docs use: the tracker, Alice, Bob, Jack, the sampleapp, and the curl `TestPeer`. */
export const DOC_PORTS = [8000, 5001, 5002, 5003, 9000, 9001] as const;

export class Scene {
  readonly processes = new Processes();
  private readonly real = new Map<number, number>();
  readonly peers = new Map<string, Child>();
  tracker: Child | undefined;

  /** Picks a free port for each documented one. */
  async ports(): Promise<void> {
    for (const port of DOC_PORTS) this.real.set(port, await freePort());
  }

  port(doc: number): number {
    return this.real.get(doc)!;
  }

  /** `text` with each documented port written as the real one. */
  toReal(text: string): string {
    return text.replace(/\b(8000|5001|5002|5003|9000|9001)\b/g, (port) => String(this.port(Number(port))));
  }

  /** `text` with each real port written as the documented one. */
  toDoc(text: string): string {
    let out = text;
    for (const [doc, real] of this.real) out = out.replace(new RegExp(`\\b${real}\\b`, 'g'), String(doc));
    return out;
  }

  /** The tracker, as Test 1 starts it, once it listens. */
  async startTracker(): Promise<Child> {
    this.tracker = this.processes.start('tracker', 'apps/tracker.ts', ['--server-port', String(this.port(8000))]);
    await this.tracker.waitFor('[Backend] Listening', STARTUP_MS);
    return this.tracker;
  }

  /** A peer as the walkthrough starts it (`Alice` on 5001, ...), once its console is open. */
  async startPeer(name: string, docPort: number): Promise<Child> {
    const peer = this.processes.startPeer(name, `http://127.0.0.1:${this.port(8000)}`, this.port(docPort));
    this.peers.set(name, peer);
    await peer.waitFor(exact(`[${name}] > `), STARTUP_MS);
    return peer;
  }

  /** The Task 1 sampleapp, once it listens. */
  async startSampleApp(): Promise<Child> {
    const app = this.processes.start('sampleapp', 'apps/sampleapp.ts', ['--server-port', String(this.port(9000))]);
    await app.waitFor('[SampleApp] Listening', STARTUP_MS);
    return app;
  }

  stop(): Promise<void> {
    return this.processes.killAll();
  }
}
