/**
 * Test helper: a throwaway self-signed certificate for 127.0.0.1 and localhost, made with `openssl` in a temp
 * folder that is removed when mocha exits. Null when openssl is not installed (the caller skips, saying so).
 * New; no WeApRous twin.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/** `openssl req -x509` with a P-256 key, valid one day, subjectAltName IP:127.0.0.1 and DNS:localhost. */
export function makeTestCert(): TestCert | null {
  const dir = mkdtempSync(join(tmpdir(), 'weaprous-tls-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat([
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ]),
      { stdio: 'ignore' },
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}
