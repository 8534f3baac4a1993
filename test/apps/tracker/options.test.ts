/**
 * The tracker's command line: defaults, and a sentence for each bad flag.
 * Tests for `apps/tracker/options.ts` (the argparse block of WeApRous `apps/sampleApp.py`).
 */

import { expect } from 'chai';
import { parseTrackerArgs } from '../../../apps/tracker/options';

describe('parseTrackerArgs()', () => {
  it('defaults to 0.0.0.0:8000, a TTL of 300 s and data/tracker-8000', () => {
    expect(parseTrackerArgs([])).to.deep.equal({
      ok: true,
      args: { ip: '0.0.0.0', port: 8000, ttlSeconds: 300, registry: 'memory', quiet: false, dataDir: 'data/tracker-8000' },
    });
  });

  it('reads --server-ip, --server-port, --ttl, --registry, --quiet and --data-dir', () => {
    const argv = ['--server-ip', '127.0.0.1', '--server-port', '9000', '--ttl', '60', '--registry', 'redis://127.0.0.1:6379', '--quiet'];
    expect(parseTrackerArgs(['--server-port', '9000'])).to.deep.include({ ok: true });
    expect((parseTrackerArgs(['--server-port', '9000']) as { args: { dataDir: string } }).args.dataDir).to.equal('data/tracker-9000');
    expect((parseTrackerArgs(['--data-dir', '/tmp/t']) as { args: { dataDir: string } }).args.dataDir).to.equal('/tmp/t');
    expect(parseTrackerArgs(argv)).to.deep.equal({
      ok: true,
      args: { ip: '127.0.0.1', port: 9000, ttlSeconds: 60, registry: 'redis://127.0.0.1:6379', quiet: true, dataDir: 'data/tracker-9000' },
    });
  });

  it('reads --tls-cert and --tls-key, the files to serve HTTPS with', () => {
    const parsed = parseTrackerArgs(['--tls-cert', 'cert/cert.pem', '--tls-key', 'cert/key.pem']);
    expect(parsed).to.have.nested.property('args.tlsCert', 'cert/cert.pem');
    expect(parsed).to.have.nested.property('args.tlsKey', 'cert/key.pem');
  });

  it('reads --tls-ca, the CA that HTTPS peers are checked against when their key is bound', () => {
    expect(parseTrackerArgs(['--tls-ca', 'cert/cert.pem'])).to.have.nested.property('args.tlsCa', 'cert/cert.pem');
    expect(parseTrackerArgs([])).not.to.have.nested.property('args.tlsCa');
  });

  const bad: Array<[string[], RegExp]> = [
    [['--server-port', '99999'], /--server-port must be a port number/],
    [['--server-port', '80x'], /--server-port must be a port number from 0 to 65535, not "80x"/],
    [['--server-ip', 'nowhere'], /--server-ip must be an IP address/],
    [['--ttl', '0'], /--ttl must be a number of seconds above 0/],
    [['--data-dir', ' '], /--data-dir must be a folder/],
    [['--port', '8000'], /Unknown option '--port'/],
    [['--registry', 'redis'], /--registry must be "memory" or a Redis URL such as redis:\/\/127.0.0.1:6379, not "redis"/],
    [['--registry', 'http://127.0.0.1:6379'], /--registry must be "memory" or a Redis URL/],
    [['--registry', 'redis://:secret@127.0.0.1:6379'], /--registry must be "memory" or a Redis URL/],
    [['--tls-cert', 'cert/cert.pem'], /HTTPS needs both --tls-cert FILE and --tls-key FILE/],
  ];
  it('answers npm run tracker --server-port 8001 with the command that works: npm run tracker -- --server-port 8001', () => {
    const parsed = parseTrackerArgs(['8001'], { npm_lifecycle_event: 'tracker', npm_config_server_port: 'true' });
    expect(parsed)
      .to.have.property('error')
      .that.match(/as in: npm run tracker -- --server-port 8001$/);
  });

  for (const [argv, reason] of bad) {
    it(`refuses ${argv.join(' ')} with a sentence`, () => {
      const parsed = parseTrackerArgs(argv);
      expect(parsed.ok).to.equal(false);
      expect((parsed as { error: string }).error).to.match(reason);
    });
  }

  it('takes --trace, and has none unless given', () => {
    const traced = parseTrackerArgs(['--trace']);
    expect(traced.ok === true && traced.args.trace).to.equal(true);
    const plain = parseTrackerArgs([]);
    expect(plain.ok === true && plain.args.trace).to.equal(undefined);
  });
});
