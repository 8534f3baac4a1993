/**
 * What the peer-in attacks share: an HTTP call from a chosen local address (another "machine" on 127/8),
 * a key pair whose `/identity/` answers at the attacker's own address (so the peer binds it: a known sender);
 * options and RSS come from `kit.ts`. Used by scripts/attacks/peer-in-*.ts and their e2e tests. No WeApRous twin.
 */

import { createPublicKey, sign } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { newPrivateKey } from '../../apps/peer/identity/new-key';
import { publicKeyText, signedBytes } from '../../apps/signature';

export interface Answer {
  status: number;
  body: string;
}

/** POST (or GET without `json`) `url` from `localAddress`; resolves with the status and the body text. */
export function call(url: string, json: unknown, localAddress = '127.0.0.1', timeoutMs = 30_000): Promise<Answer> {
  const data = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: data ? 'POST' : 'GET',
      localAddress,
      agent: false,
      timeout: timeoutMs,
      // `Origin` as the peer's own page sends it: the login refuses a POST without one.
      headers: data ? { 'content-type': 'application/json', 'content-length': data.length, origin: new URL(url).origin } : {},
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** A made-up peer that owns a key: `/identity/` at `ip:port` answers its key, and it signs bodies with it. */
export class KeyedStranger {
  readonly publicKey: string;
  private readonly privateKey;
  private server?: Server;
  port = 0;

  constructor(readonly ip: string) {
    this.privateKey = newPrivateKey('ed25519');
    this.publicKey = publicKeyText(createPublicKey(this.privateKey));
  }

  get peerId(): string {
    return `${this.ip}:${this.port}`;
  }

  /** Listens at `ip` on a free port, answering `GET /identity/` as a peer does. */
  async listen(): Promise<void> {
    this.server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', peer_id: this.peerId, name: 'stranger', public_key: this.publicKey }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, this.ip, () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  signed<T extends object>(body: T): T & { signature: string } {
    return { ...body, signature: sign(null, signedBytes(body), this.privateKey).toString('base64') };
  }

  /** `POST /connect-peer/` with its key, signed: the target asks `/identity/` here and binds the key. */
  connect(target: string): Promise<Answer> {
    const body = this.signed({
      ip: this.ip,
      port: this.port,
      name: 'stranger',
      public_key: this.publicKey,
      to: new URL(target).host,
      time: Date.now(),
    });
    return call(`${target}/connect-peer/`, body, this.ip);
  }

  /** A batch of `count` broadcasts of `size` characters each, signed as a whole, from its own address. */
  flood(target: string, count: number, size: number, seq: number): Promise<Answer> {
    const now = Date.now();
    const messages = Array.from({ length: count }, (_, i) => {
      const id = `${this.peerId}/x${seq}-${i}`;
      return this.signed({
        id,
        channel: 'general',
        from: this.peerId,
        name: 'stranger',
        msg: 'x'.repeat(size),
        timestamp: now / 1000,
        clock: seq * count + i + 1,
      });
    });
    return call(`${target}/messages/`, this.signed({ messages, to: new URL(target).host, time: now }), this.ip);
  }

  close(): void {
    this.server?.close();
  }
}
