/**
 * Starts one server under test in its own process, `node <bundle>.js 0` (plain node, the bundle from
 * `bench/bundle.ts`), or `node <bundle>.js 0 cert.pem key.pem` for HTTPS, and talks to it: wait until it
 * listens, ask for its CPU time, check its answer to `GET /` once, stop it. Benchmark tooling; no WeApRous twin.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ServerKind } from '../bundle';
import { HELLO, type ServerMessage } from './serve';

export interface ServerProcess {
  kind: ServerKind;
  port: number;
  /** Where the load goes: `http://127.0.0.1:<port>/`, or `https://` when the server was given a certificate. */
  url: string;
  /** CPU time (user + system, microseconds) the server process has used so far. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

/** The certificate and key files an HTTPS server is started with. */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/** Spawns `node [nodeFlags] <bundle> 0 [cert key]`; `nodeFlags` are e.g. `--cpu-prof`. */
export function startServer(kind: ServerKind, bundle: string, nodeFlags: string[] = [], cert?: CertFiles): Promise<ServerProcess> {
  // process.execPath is the node binary itself; ts-node's hooks live in this process only, and NODE_OPTIONS
  // is emptied so that a `-r ts-node/register` set there cannot reach the measured server either.
  const tlsArgs = cert ? [cert.certFile, cert.keyFile] : [];
  const child = spawn(process.execPath, [...nodeFlags, bundle, '0', ...tlsArgs], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`The ${kind} server did not start within ${START_TIMEOUT_MS / 1000} s.`)),
      START_TIMEOUT_MS,
    );
    const onExit = (code: number | null) => fail(new Error(`The ${kind} server exited (code ${code}) before listening.`));
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill();
      reject(error);
    }
    child.once('exit', onExit);
    child.on('message', (message: ServerMessage) => {
      if (message.type !== 'listening') return;
      clearTimeout(timer);
      child.off('exit', onExit);
      const url = `${cert ? 'https' : 'http'}://127.0.0.1:${message.port}/`;
      resolve({ kind, port: message.port, url, cpuMicros: () => askUsage(child), stop: () => stopChild(child) });
    });
  });
}

function askUsage(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: ServerMessage) => {
      if (message.type !== 'usage') return;
      child.off('message', onMessage);
      resolve(message.cpu.user + message.cpu.system);
    };
    child.on('message', onMessage);
    child.send('usage');
  });
}

/** SIGTERM lets the server exit normally (and write a CPU profile); SIGKILL if it has not gone in 10 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface HelloCheck {
  status: number;
  body: string;
  /** The whole response as sent, head and body, so the servers' answers can be compared by size. */
  bytes: number;
  head: string;
}

/**
 * Sends one keep-alive `GET /` and reads exactly one response (head, then Content-Length bytes); with `ca`, over
 * TLS, the server's certificate checked against it for 127.0.0.1.
 */
export function fetchHello(port: number, ca?: Buffer, timeoutMs = 5_000): Promise<HelloCheck> {
  return new Promise((resolve, reject) => {
    const socket: Socket = ca ? connectTls({ host: '127.0.0.1', port, ca }) : connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`No answer from port ${port} within ${timeoutMs} ms.`)));
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`Port ${port} closed the connection before a whole response.`)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const head = received.toString('latin1', 0, headEnd);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (received.length < headEnd + 4 + length) return;
      socket.destroy();
      const body = received.toString('utf8', headEnd + 4, headEnd + 4 + length);
      resolve({ status: Number(head.slice(9, 12)), body, bytes: headEnd + 4 + length, head });
    });
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  });
}

/** Throws a sentence saying what is wrong unless the answer is 200 with the expected body. */
export function assertHello(kind: string, check: HelloCheck): void {
  if (check.status !== 200 || check.body !== HELLO) {
    throw new Error(`The ${kind} server answered ${check.status} ${JSON.stringify(check.body)}, not 200 "${HELLO}".`);
  }
}
