/**
 * New keys made from random bytes (`apps/peer/identity/new-key.ts`): they sign, verify and agree as generated
 * keys do; no code of ours calls `generateKeyPairSync`, whose garbage-collected job deadlocked a peer exporting
 * its new key (Node 20); and making, exporting and sealing with thousands of keys under a collection every 97
 * allocations ends. Tests for `apps/peer/identity/new-key.ts`.
 */

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createPublicKey, diffieHellman, sign, verify } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { newPrivateKey } from '../../../../apps/peer/identity/new-key';

const ROOT = resolve(__dirname, '..', '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('newPrivateKey()', () => {
  it('makes an Ed25519 key that signs what its public key verifies, a new one each time', () => {
    const key = newPrivateKey('ed25519');
    expect(key.asymmetricKeyType).to.equal('ed25519');
    const signature = sign(null, Buffer.from('hello'), key);
    expect(verify(null, Buffer.from('hello'), createPublicKey(key), signature)).to.equal(true);
    const text = (k: ReturnType<typeof newPrivateKey>) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(text(newPrivateKey('ed25519'))).to.not.equal(text(key));
  });

  it('makes X25519 keys that agree on one secret (RFC 7748 §6.1)', () => {
    const [alice, bob] = [newPrivateKey('x25519'), newPrivateKey('x25519')];
    expect(alice.asymmetricKeyType).to.equal('x25519');
    const one = diffieHellman({ privateKey: alice, publicKey: createPublicKey(bob) });
    const two = diffieHellman({ privateKey: bob, publicKey: createPublicKey(alice) });
    expect(one.equals(two)).to.equal(true);
  });

  it('is the only way keys are made in apps/ and scripts/: generateKeyPairSync could hang the peer', () => {
    const callers = [...sourceFiles(join(ROOT, 'apps')), ...sourceFiles(join(ROOT, 'scripts'))]
      .filter((file) => !file.endsWith('new-key.ts'))
      .filter((file) => /generateKeyPair(Sync)?\s*\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(callers).to.deep.equal([]);
  });

  it('makes, exports and seals with 2,000 keys while the collector runs every 97 allocations, and ends', function () {
    this.timeout(60_000);
    const script = [
      "const { createPublicKey } = require('node:crypto');",
      "const { newPrivateKey } = require('./apps/peer/identity/new-key');",
      "const { boxKeyText, seal } = require('./apps/peer/identity/envelope');",
      "const header = { from: 'a', to: 'b', id: 'a/1', clock: 1, timestamp: 1, channel: '@b' };",
      "const bob = boxKeyText(createPublicKey(newPrivateKey('x25519')));",
      "for (let i = 0; i < 2000; i++) { boxKeyText(createPublicKey(newPrivateKey('x25519'))); seal('hi', header, bob); }",
      "console.log('ended');",
    ].join('\n');
    const args = ['--gc-interval=97', '-r', 'ts-node/register/transpile-only', '-e', script];
    return new Promise<void>((done, fail) => {
      execFile(process.execPath, args, { cwd: ROOT, timeout: 50_000, env: { ...process.env, NODE_OPTIONS: '' } }, (error, stdout) => {
        if (error) return fail(new Error(`did not end: ${error.message}`));
        expect(stdout.trim()).to.equal('ended');
        done();
      });
    });
  });
});
