/**
 * Mallory, a stranger on another machine (she binds 127.0.0.2): a key pair, a listener that keeps every
 * channel message sent to her, and raw HTTP requests from her address to the tracker and to peers, signed
 * with her key as a real peer's are. Used by scripts/attacks/private-channel.ts and its e2e test. Not a peer.
 */

import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { request } from 'node:http';
import { WeApRous } from '../../daemon/weaprous';
import type { Backend } from '../../daemon/backend';
import { newPrivateKey } from '../../apps/peer/identity/new-key';
import { publicKeyText, signedBytes } from '../../apps/signature';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export class Mallory {
  /** `channel: msg` of every channel message a peer sent her. */
  readonly received: string[] = [];
  private readonly privateKey: KeyObject;
  readonly publicKey: string;
  private backend?: Backend;
  port = 0;

  constructor(readonly ip = '127.0.0.2') {
    this.privateKey = newPrivateKey('ed25519');
    this.publicKey = publicKeyText(createPublicKey(this.privateKey));
  }

  get id(): string {
    return `${this.ip}:${this.port}`;
  }

  /** Listens on her address: `/identity/` answers her key, the message routes keep what comes. */
  async listen(): Promise<void> {
    const app = new WeApRous();
    app.addRoute('GET', '/identity/', () => ({ status: 'ok', peer_id: this.id, name: 'Mallory', public_key: this.publicKey }));
    const keep = (body: Record<string, unknown>) => {
      const list = Array.isArray(body.messages) ? body.messages : [body];
      for (const m of list as Array<Record<string, unknown>>) this.received.push(`${String(m.channel ?? 'general')}: ${String(m.msg)}`);
      return { status: 'received', results: list.map(() => ({ status: 'received' })) };
    };
    for (const path of ['/broadcast-peer/', '/send-peer/', '/messages/'])
      app.addRoute('POST', path, (req) => keep(JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>));
    app.addRoute('POST', '/connect-peer/', () => ({ status: 'ok', message: 'Connected', peer_id: this.id, name: 'Mallory' }));
    this.backend = await app.prepareAddress(this.ip, 0).run();
    this.port = this.backend.address().port;
  }

  async close(): Promise<void> {
    await this.backend?.close();
  }

  signed(body: Record<string, unknown>): Record<string, unknown> {
    const timed = { ...body, time: Date.now() };
    return { ...timed, signature: sign(null, signedBytes(timed), this.privateKey).toString('base64') };
  }

  /** Registers with the tracker (signed, with her key), then joins `channel` without a key until it lets her. */
  async takeChannel(tracker: string, channel: string, timeoutMs: number): Promise<Answer> {
    const deadline = Date.now() + timeoutMs;
    let answer: Answer = { status: 0, body: {} };
    while (Date.now() < deadline) {
      answer = await this.post(tracker, '/add-list/', this.signed({ peer_id: this.id, channel }));
      if (answer.status === 200) return answer;
      if (answer.status === 404)
        await this.post(
          tracker,
          '/submit-info/',
          this.signed({ ip: this.ip, port: this.port, peer_id: this.id, public_key: this.publicKey }),
        );
      else await new Promise((done) => setTimeout(done, 100));
    }
    return answer;
  }

  /** `POST /connect-peer/` to a peer, signed, offering her key: the peer asks her `/identity/` and learns it. */
  connect(peer: string): Promise<Answer> {
    return this.post(
      peer,
      '/connect-peer/',
      this.signed({ ip: this.ip, port: this.port, peer_id: this.id, name: 'Mallory', public_key: this.publicKey, to: new URL(peer).host }),
    );
  }

  /** A signed `GET /history/?channel=...&since=-1&peer=<her id>`, as a member's catch-up asks. */
  history(peer: string, channel: string): Promise<Answer> {
    const asked = { channel, since: '-1', peer: this.id, to: new URL(peer).host, time: String(Date.now()) };
    const query = { ...asked, signature: sign(null, signedBytes(asked), this.privateKey).toString('base64') };
    const text = Object.entries(query)
      .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
      .join('&');
    return this.send(peer, 'GET', `/history/?${text}`);
  }

  post(base: string, path: string, body: unknown): Promise<Answer> {
    return this.send(base, 'POST', path, JSON.stringify(body));
  }

  /** One request from her address, 5 s at most; status 0 when nothing answered. */
  private send(base: string, method: string, path: string, body?: string): Promise<Answer> {
    const url = new URL(path, base);
    return new Promise((done) => {
      const headers = body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers,
        localAddress: this.ip,
        timeout: 5_000,
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          } catch {
            // not JSON: the status says enough
          }
          done({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => done({ status: 0, body: {} }));
      req.end(body);
    });
  }
}
