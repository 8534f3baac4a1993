/**
 * Private channels belong to their key: a name created private stays held to its key's verifier after its members
 * expire, and across a restart through the vault's file; nobody without the key creates it again, public or
 * private. Tests for `apps/tracker/vault.ts` and its use in `channels.ts` (docs/protocol.md, "Channels").
 */

import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelRegistry } from '../../../apps/tracker/channels';
import { ChannelVault, HELD_PER_ADDRESS } from '../../../apps/tracker/vault';

const A = '127.0.0.1:5001';
const B = '127.0.0.2:5002';
const secret = (tag: string) => Buffer.alloc(32, `${tag}-verifier`).toString('base64');

describe('ChannelVault', () => {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'vault-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps a private name to its key after its members expire: 403 without the key, check-key with one', () => {
    const channels = new ChannelRegistry(1_000, 100, new ChannelVault());
    const s = secret('s');
    channels.join(A, 'team', s);
    channels.leave(A, 'team', 0);
    expect(channels.expire(2_000)).to.deep.equal(['team']);
    expect(channels.plan(B, 'team', false)).to.deep.include({ kind: 'refused', status: 403 });
    expect(channels.plan(B, 'team', true)).to.deep.equal({ kind: 'check-key', secret: s });
    expect(channels.join(B, 'team', secret('other'))).to.equal('changed');
    expect(channels.join(B, 'team', s)).to.equal('created');
  });

  it('reads the names back from its file (written whole, verifiers only), in a folder it creates', () => {
    const file = join(folder, 'deep', 'private-channels.json');
    new ChannelRegistry(1_000, 100, new ChannelVault(file)).join(A, 'secret', secret('k'), '127.0.0.3');
    expect(existsSync(`${file}.${process.pid}.tmp`)).to.equal(false);
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({
      channels: { secret: { verifier: secret('k'), owner: '127.0.0.3' } },
    });
    const restarted = new ChannelRegistry(1_000, 100, new ChannelVault(file));
    expect(restarted.plan(B, 'secret', false)).to.deep.include({ kind: 'refused', status: 403 });
    expect(restarted.plan(B, 'secret', true)).to.deep.include({ kind: 'check-key' });
  });

  it('lets an address hold its share of names, then lets its oldest go', () => {
    const vault = new ChannelVault();
    for (let n = 0; n <= HELD_PER_ADDRESS; n++) vault.hold(`x${n}`, secret('s'), '127.0.0.2');
    vault.hold('mine', secret('m'), '127.0.0.1');
    expect(vault.get('x0')).to.equal(undefined);
    expect(vault.get('x1')).to.not.equal(undefined);
    expect(vault.get('mine')).to.not.equal(undefined);
  });

  it('lets go of the entries of an older file (a scrypt hash, no verifier), so their members claim them again', () => {
    const file = join(folder, 'private-channels.json');
    writeFileSync(
      file,
      JSON.stringify({ channels: { old: { salt: 'aa', hash: 'bb', owner: null }, new: { verifier: secret('n'), owner: null } } }),
    );
    const vault = new ChannelVault(file);
    expect(vault.get('old')).to.equal(undefined);
    expect(vault.get('new')).to.equal(secret('n'));
  });

  it('refuses a file that is not a vault with a sentence', () => {
    const file = join(folder, 'private-channels.json');
    writeFileSync(file, 'not json');
    expect(() => new ChannelVault(file)).to.throw(/is not the tracker's private channel file/);
  });
});
