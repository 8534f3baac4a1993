/**
 * The peer's command line: defaults, and a sentence for each bad flag.
 * Tests for `apps/peer/options.ts` (the argparse block of WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import {
  parsePeerArgs,
  PASSWORD_WARNING,
  passwordFromFile,
  PEER_TLS_NEEDS_TRUST,
  TLS_NEEDS_BOTH,
  WEB_FROM_NEEDS_TLS,
} from '../../../apps/peer/options';
import { TRACKER_NEEDS_TRUST } from '../../../apps/peer/options';

describe('parsePeerArgs()', () => {
  it('reads the command of the document', () => {
    expect(parsePeerArgs(['--tracker', 'http://127.0.0.1:8000', '--port', '5001', '--name', 'Alice'])).to.deep.equal({
      ok: true,
      args: {
        trackerUrl: 'http://127.0.0.1:8000',
        ip: '127.0.0.1',
        port: 5001,
        name: 'Alice',
        heartbeatSeconds: 30,
        dataDir: 'data/127.0.0.1-5001',
      },
    });
  });

  it('defaults to port 5001, a name from the port and the local tracker', () => {
    expect(parsePeerArgs([])).to.deep.equal({
      ok: true,
      args: {
        trackerUrl: 'http://127.0.0.1:8000',
        ip: '127.0.0.1',
        port: 5001,
        name: 'Peer5001',
        heartbeatSeconds: 30,
        dataDir: 'data/127.0.0.1-5001',
      },
    });
  });

  it('takes --ip, --heartbeat and a tracker URL with a trailing slash', () => {
    const parsed = parsePeerArgs(['--ip', '192.168.1.20', '--heartbeat', '0.5', '--tracker', 'http://10.0.0.1:8000/']);
    expect(parsed).to.deep.equal({
      ok: true,
      args: {
        trackerUrl: 'http://10.0.0.1:8000',
        ip: '192.168.1.20',
        port: 5001,
        name: 'Peer5001',
        heartbeatSeconds: 0.5,
        dataDir: 'data/192.168.1.20-5001',
      },
    });
  });

  it('takes --data-dir, and by default keeps each peer id in a folder of its own, whatever its name', () => {
    const given = parsePeerArgs(['--data-dir', '/tmp/alice']);
    expect(given.ok === true && given.args.dataDir).to.equal('/tmp/alice');
    const renamed = parsePeerArgs(['--name', 'Alicia', '--port', '5001']);
    expect(renamed.ok === true && renamed.args.dataDir).to.equal('data/127.0.0.1-5001');
    const v6 = parsePeerArgs(['--ip', '::1', '--port', '5003']);
    expect(v6.ok === true && v6.args.dataDir).to.equal('data/__1-5003');
    expect(parsePeerArgs(['--data-dir', ' '])).to.deep.equal({
      ok: false,
      reason: '--data-dir must be a folder, such as data/127.0.0.1-5001',
    });
  });

  it('keeps using a folder of the layout before (data/<name>-<port>) while it is there', () => {
    const old = (folder: string) => folder === 'data/__a_b_c-5003';
    const odd = parsePeerArgs(['--name', '../a/b:c', '--port', '5003'], {}, old);
    expect(odd.ok === true && odd.args.dataDir).to.equal('data/__a_b_c-5003');
    const other = parsePeerArgs(['--name', 'Bob', '--port', '5003'], {}, old);
    expect(other.ok === true && other.args.dataDir).to.equal('data/127.0.0.1-5003');
  });

  it('takes a Vietnamese name with diacritics', () => {
    const parsed = parsePeerArgs(['--name', 'Dũng']);
    expect(parsed.ok === true && parsed.args.name).to.equal('Dũng');
  });

  it('takes a full name with spaces (quoted in the shell), trimmed', () => {
    const parsed = parsePeerArgs(['--name', ' Nguyễn Văn An ']);
    expect(parsed.ok === true && parsed.args.name).to.equal('Nguyễn Văn An');
  });

  const bad: Array<[string[], RegExp]> = [
    [['--port', '70000'], /--port must be a port number from 1 to 65535/],
    [['--port', 'abc'], /--port must be/],
    [['--port', '0'], /--port must be a port number from 1 to 65535/],
    [['--port', '5001.5'], /--port must be/],
    [['--name', 'Bob\u009b2J'], /--name must be 1 to 64 characters/], // a C1 control character, which other peers refuse
    [['--name', 'Tab\there'], /--name must be 1 to 64 characters/],
    [['--name', '   '], /--name must be 1 to 64 characters/],
    [['--name', 'x'.repeat(65)], /--name must be 1 to 64 characters/],
    [['--heartbeat', '0'], /--heartbeat must be a number of seconds above 0/],
    [['--tracker', 'ftp://x'], /--tracker must be an http:\/\/ or https:\/\/ URL/],
    [['--ip', 'not valid!'], /--ip must be the address/],
    [['--colour', 'red'], /Unknown option '--colour'/],
  ];
  for (const [argv, reason] of bad) {
    it(`refuses ${argv.join(' ')} with a sentence`, () => {
      const parsed = parsePeerArgs(argv);
      expect(parsed.ok).to.equal(false);
      expect((parsed as { reason: string }).reason).to.match(reason);
    });
  }

  it('answers npm run peer --port 5005 (npm keeps --port) with the command that works: npm run peer -- --port 5005', () => {
    const parsed = parsePeerArgs(['5005'], { npm_lifecycle_event: 'peer', npm_config_port: 'true' });
    expect(parsed).to.deep.equal({
      ok: false,
      reason:
        "Unexpected argument '5005'. This command does not take positional arguments." +
        ' npm kept --port for itself: options for the program go after "--", as in: npm run peer -- --port 5005',
    });
  });

  it("still takes the browser chat's --password, with a warning, and has none unless given", () => {
    const parsed = parsePeerArgs(['--password', 'correct horse']);
    expect(parsed.ok === true && parsed.args.password).to.equal('correct horse');
    expect(parsed.ok === true && parsed.warnings).to.deep.equal([PASSWORD_WARNING]);
    const without = parsePeerArgs([]);
    expect(without.ok === true && 'password' in without.args).to.equal(false);
    for (const bad of ['', 'a\tb', 'x'.repeat(1025)]) {
      const refused = parsePeerArgs(['--password', bad]);
      expect((refused as { reason: string }).reason).to.match(/^--password must be 1 to 1024 characters/);
    }
  });

  it('takes --password-file, else the password in WEAPROUS_PASSWORD, with no warning', () => {
    const file = parsePeerArgs(['--password-file', '/home/alice/.weaprous-password'], { WEAPROUS_PASSWORD: 'ignored' });
    expect(file).to.deep.include({ ok: true });
    expect(file.ok === true && [file.args.passwordFile, file.args.password, file.warnings]).to.deep.equal([
      '/home/alice/.weaprous-password',
      undefined,
      undefined,
    ]);
    const env = parsePeerArgs([], { WEAPROUS_PASSWORD: 'correct horse' });
    expect(env.ok === true && [env.args.password, env.warnings]).to.deep.equal(['correct horse', undefined]);
    expect(parsePeerArgs([], { WEAPROUS_PASSWORD: 'a\tb' })).to.deep.equal({
      ok: false,
      reason: 'WEAPROUS_PASSWORD must be 1 to 1024 characters without control characters (quote it for the shell)',
    });
    expect(parsePeerArgs(['--password', 'x', '--password-file', 'f'])).to.deep.equal({
      ok: false,
      reason: 'Give --password-file or --password, not both',
    });
  });

  it("reads a password file's first line, trimmed, and warns when others may read it", () => {
    expect(passwordFromFile('pw', ' correct horse \nsecond line\n', 0o100600)).to.deep.equal({ password: 'correct horse', warnings: [] });
    expect(passwordFromFile('pw', 'correct horse\r\n', 0o100644)).to.deep.equal({
      password: 'correct horse',
      warnings: ['[P2P] Warning: pw can be read by other users of this machine (mode 644); chmod 600 pw'],
    });
    expect(passwordFromFile('pw', '\nlater', 0o600)).to.deep.equal({
      reason: 'The first line of --password-file pw must be 1 to 1024 characters without control characters (quote it for the shell)',
    });
  });

  it('opens the browser chat to --web-from machines only with --tls-cert and --tls-key', () => {
    const ca = ['--tls-ca', 'cert.pem'];
    expect(parsePeerArgs(['--web-from', '127.0.0.2'])).to.deep.equal({ ok: false, reason: WEB_FROM_NEEDS_TLS });
    expect(parsePeerArgs(['--web-from', '127.0.0.2', '--tls-cert', 'cert.pem', ...ca])).to.deep.equal({
      ok: false,
      reason: TLS_NEEDS_BOTH,
    });
    const open = parsePeerArgs(['--web-from', '192.168.1.20, ::1', '--tls-cert', 'cert.pem', '--tls-key', 'key.pem', ...ca]);
    expect(open.ok === true && [open.args.webFrom, open.args.tlsCert, open.args.tlsKey, open.args.trackerCa]).to.deep.equal([
      ['192.168.1.20', '::1'],
      'cert.pem',
      'key.pem',
      'cert.pem',
    ]);
    const named = parsePeerArgs(['--web-from', 'bob.lan', '--tls-cert', 'c', '--tls-key', 'k', ...ca]);
    expect((named as { reason: string }).reason).to.match(/^--web-from must be IP addresses separated by commas/);
  });

  it('serves HTTPS only with a way to check the other HTTPS peers (--tls-ca or --tls-pin)', () => {
    expect(parsePeerArgs(['--tls-cert', 'cert.pem', '--tls-key', 'key.pem'])).to.deep.equal({ ok: false, reason: PEER_TLS_NEEDS_TRUST });
    expect(parsePeerArgs(['--tls-key', 'key.pem', '--tls-pin', 'ab'.repeat(32)])).to.deep.equal({ ok: false, reason: TLS_NEEDS_BOTH });
    const pinned = parsePeerArgs(['--tls-cert', 'cert.pem', '--tls-key', 'key.pem', '--tls-pin', 'ab'.repeat(32)]);
    expect(pinned.ok === true && [pinned.args.tlsCert, pinned.args.trackerPin]).to.deep.equal(['cert.pem', 'ab'.repeat(32)]);
  });

  it('checks an https:// tracker against --tls-ca or --tls-pin, and never not at all', () => {
    const tracker = ['--tracker', 'https://127.0.0.1:8443/'];
    const ca = parsePeerArgs([...tracker, '--tls-ca', 'cert/cert.pem']);
    expect(ca.ok === true && [ca.args.trackerUrl, ca.args.trackerCa, ca.args.trackerPin]).to.deep.equal([
      'https://127.0.0.1:8443',
      'cert/cert.pem',
      undefined,
    ]);
    const hex = 'AB:'.repeat(31) + 'CD';
    const pin = parsePeerArgs([...tracker, '--tls-pin', hex]);
    expect(pin.ok === true && [pin.args.trackerCa, pin.args.trackerPin]).to.deep.equal([undefined, hex]);
    expect(parsePeerArgs([...tracker, '--tls-pin', 'ab'.repeat(32)])).to.deep.include({ ok: true });
    expect(parsePeerArgs(tracker)).to.deep.equal({ ok: false, reason: TRACKER_NEEDS_TRUST });
    expect(parsePeerArgs([...tracker, '--tls-ca', 'c.pem', '--tls-pin', hex])).to.deep.equal({
      ok: false,
      reason: 'Give --tls-ca or --tls-pin, not both',
    });
    const short = parsePeerArgs([...tracker, '--tls-pin', 'AB:CD']);
    expect((short as { reason: string }).reason).to.match(/^--tls-pin must be a SHA-256 fingerprint, 64 hex digits/);
  });

  it('takes --tls-ca with an http:// tracker: it checks the peers that serve HTTPS', () => {
    const ca = parsePeerArgs(['--tls-ca', 'cert.pem']);
    expect(ca.ok === true && [ca.args.trackerUrl, ca.args.trackerCa]).to.deep.equal(['http://127.0.0.1:8000', 'cert.pem']);
  });

  it('takes --trace, and has none unless given', () => {
    const traced = parsePeerArgs(['--trace']);
    expect(traced.ok === true && traced.args.trace).to.equal(true);
    const plain = parsePeerArgs([]);
    expect(plain.ok === true && plain.args.trace).to.equal(undefined);
  });

  it('answers --help', () => {
    expect(parsePeerArgs(['--help'])).to.deep.equal({ ok: 'help' });
  });
});
