/**
 * TLS under the same HTTP: the listener a server uses (`net` for http, `tls` for https) and the secure
 * connection a client opens. A `TLSSocket` is a duplex stream like a TCP socket, so the adapters, the parser
 * and the timers above it are the same for both (RFC 9110 §4.2.2: https is HTTP over TLS, RFC 8446). New:
 * WeApRous spoke plain HTTP only.
 */

import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, isIP, type Server, type Socket } from 'node:net';
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls';

/** A server's certificate chain and private key, PEM. */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

/** How a client checks a server: a CA file's PEM (`ca`), or the SHA-256 fingerprint of its certificate (`fingerprint`). */
export interface TlsTrust {
  ca?: string | Buffer;
  /** `AB:CD:...` or plain hex, as `openssl x509 -noout -fingerprint -sha256` prints it. */
  fingerprint?: string;
}

export interface Listener {
  server: Server;
  /** Destroys every accepted connection, a TLS handshake still under way included: the end of a close's grace. */
  cutAll(): void;
}

/**
 * A listener that calls `onSocket` with every accepted connection: a TCP server, or with `tls` a TLS server that
 * calls it once the handshake is done ('secureConnection'), so what it hands over already carries plain HTTP bytes.
 * A handshake that does not finish within `handshakeTimeoutMs` is cut (Node's default is two minutes).
 */
export function createListener(tls: TlsFiles | undefined, handshakeTimeoutMs: number, onSocket: (socket: Socket) => void): Listener {
  const server = tls ? createTlsListener(tls, handshakeTimeoutMs, onSocket) : createTcpServer({ allowHalfOpen: true }, onSocket);
  // Every accepted TCP socket, handshaking or not: `close()` must be able to end the ones no adapter holds yet.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return { server, cutAll: () => sockets.forEach((socket) => socket.destroy()) };
}

function createTlsListener(tls: TlsFiles, handshakeTimeoutMs: number, onSocket: (socket: Socket) => void): Server {
  // Half-open only once secure: a client that hangs up mid-handshake is closed at once, not left half-open.
  const server = createTlsServer({ cert: tls.cert, key: tls.key, allowHalfOpen: false, handshakeTimeout: handshakeTimeoutMs }, (socket) => {
    socket.allowHalfOpen = true; // what net.createServer({ allowHalfOpen: true }) gives: the adapter answers after the client's FIN
    onSocket(socket);
  });
  // A failed handshake (a client that does not trust us, or speaks plain HTTP to an https port) has nobody to answer.
  server.on('tlsClientError', (_error, socket) => socket.destroy());
  return server;
}

/** Reads `--tls-cert` and `--tls-key`: both or neither; a sentence when one is missing or a file cannot be read. */
export function readTlsFiles(certFile: string | undefined, keyFile: string | undefined): TlsFiles | undefined | { error: string } {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    return { error: 'HTTPS needs both --tls-cert FILE and --tls-key FILE (npm run cert writes a pair into cert/).' };
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch (error) {
    const { code, path } = error as NodeJS.ErrnoException;
    return { error: `Cannot read ${path ?? certFile}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}.` };
  }
}

/** `AB:CD:EF` and `abcdef` are the same fingerprint. */
function normalizeFingerprint(text: string): string {
  return text.replace(/:/g, '').toLowerCase();
}

/**
 * Opens a TLS connection and resolves once the handshake is done and the server is who we expect: its chain
 * verifies against `trust.ca` (or the system's CAs) for `host`, or its certificate has the pinned fingerprint.
 * Nothing is written before that, so a request never reaches a server we did not check.
 */
export function openSecure(host: string, port: number, trust: TlsTrust, timeoutMs: number): Promise<TLSSocket> {
  const pinned = trust.fingerprint === undefined ? null : normalizeFingerprint(trust.fingerprint);
  const socket = connectTls({
    host,
    port,
    servername: isIP(host) === 0 ? host : undefined, // SNI carries names only (RFC 6066 §3)
    ca: trust.ca,
    // A pin replaces the chain check, never skips it: the fingerprint is compared below, before any byte is sent.
    rejectUnauthorized: pinned === null,
  });
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(Object.assign(new Error(`TLS handshake with ${host}:${port} timed out`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.off('error', fail);
      clearTimeout(timer);
      if (pinned !== null && normalizeFingerprint(socket.getPeerCertificate().fingerprint256 ?? '') !== pinned) {
        socket.destroy();
        return reject(
          Object.assign(new Error(`the certificate of ${host}:${port} does not have the pinned SHA-256 fingerprint`), { code: 'CERT_PIN' }),
        );
      }
      resolve(socket);
    });
  });
}
