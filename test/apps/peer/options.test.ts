/**
 * The peer's command line: defaults, and a sentence for each bad flag.
 * Tests for `apps/peer/options.ts` (the argparse block of WeApRous `apps/peer.py`).
 */

import { expect } from 'chai';
import { parsePeerArgs } from '../../../apps/peer/options';

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
        dataDir: 'data/Alice-5001',
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
        dataDir: 'data/Peer5001-5001',
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
        dataDir: 'data/Peer5001-5001',
      },
    });
  });

  it('takes --data-dir, and by default keeps each name and port in a folder of its own', () => {
    const given = parsePeerArgs(['--data-dir', '/tmp/alice']);
    expect(given.ok === true && given.args.dataDir).to.equal('/tmp/alice');
    const odd = parsePeerArgs(['--name', '../a/b:c', '--port', '5003']);
    expect(odd.ok === true && odd.args.dataDir).to.equal('data/__a_b_c-5003');
    expect(parsePeerArgs(['--data-dir', ' '])).to.deep.equal({ ok: false, reason: '--data-dir must be a folder, such as data/Alice-5001' });
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
    [['--tracker', 'ftp://x'], /--tracker must be an http:\/\/ URL/],
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

  it("takes the browser chat's --password, and has none unless given", () => {
    const parsed = parsePeerArgs(['--password', 'correct horse']);
    expect(parsed.ok === true && parsed.args.password).to.equal('correct horse');
    const without = parsePeerArgs([]);
    expect(without.ok === true && 'password' in without.args).to.equal(false);
    for (const bad of ['', 'a\tb', 'x'.repeat(1025)]) {
      const refused = parsePeerArgs(['--password', bad]);
      expect((refused as { reason: string }).reason).to.match(/^--password must be 1 to 1024 characters/);
    }
  });

  it('answers --help', () => {
    expect(parsePeerArgs(['--help'])).to.deep.equal({ ok: 'help' });
  });
});
