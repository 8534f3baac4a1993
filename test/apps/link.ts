/**
 * Test helper: a link a test can cut and heal, as a TCP forwarder between one peer and the tracker (this
 * machine has no netem, iptables or nft to partition with). `cut()` closes every connection through it and
 * refuses new ones until `heal()`. Not a test file itself.
 */

import { connect, createServer, type Server, type Socket } from 'node:net';

export class Link {
  private up = true;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(private readonly targetPort: number) {
    this.server = createServer((socket) => this.forward(socket));
  }

  /** A link listening on a free port of 127.0.0.1, forwarding to `targetPort` on 127.0.0.1. */
  static async open(targetPort: number): Promise<Link> {
    const link = new Link(targetPort);
    await new Promise<void>((done) => link.server.listen(0, '127.0.0.1', done));
    return link;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
  }

  heal(): void {
    this.up = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((done) => this.server.close(() => done()));
  }

  private forward(socket: Socket): void {
    if (!this.up) return void socket.destroy();
    const target = connect(this.targetPort, '127.0.0.1');
    for (const end of [socket, target]) {
      this.sockets.add(end);
      end.on('error', () => {});
      end.on('close', () => {
        this.sockets.delete(end);
        socket.destroy();
        target.destroy();
      });
    }
    socket.pipe(target);
    target.pipe(socket);
  }
}
