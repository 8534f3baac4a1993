/**
 * The command line shared by the start scripts: `--server-ip` / `--server-port` (and a script's extra flags)
 * read into values or a sentence, and each way `listen` can fail turned into what to do.
 * Tests for `apps/cli.ts` (the argparse blocks of WeApRous `start_proxy.py`, `start_backend.py`, `start_sampleapp.py`).
 */

import { expect } from 'chai';
import { listenFailure, npmHint, parseServerFlags } from '../../apps/cli';

const DEFAULTS = { ip: '0.0.0.0', port: 8080 };

describe('npmHint()', () => {
  it('says nothing outside npm run, or for an argument that is a flag', () => {
    expect(npmHint('5005', ['port'], {})).to.equal('');
    expect(npmHint('--colour', ['port'], { npm_lifecycle_event: 'peer' })).to.equal('');
  });

  it('names the flags npm kept (npm_config_<flag>=true) and the command that works', () => {
    const env = { npm_lifecycle_event: 'peer', npm_config_port: 'true', npm_config_audit: 'true' };
    expect(npmHint('5005', ['port', 'name'], env)).to.equal(
      ' npm kept --port for itself: options for the program go after "--", as in: npm run peer -- --port 5005',
    );
    const two = { ...env, npm_config_name: 'true' };
    expect(npmHint('5005', ['port', 'name'], two)).to.equal(
      ' npm kept --port, --name for itself: options for the program go after "--", as in: npm run peer -- <options>',
    );
    expect(npmHint('5005', ['port'], { npm_lifecycle_event: 'peer' })).to.equal(
      ' npm keeps the options before "--" for itself: options for the program go after "--", as in: npm run peer -- <options>',
    );
  });
});

describe('parseServerFlags()', () => {
  it('keeps the defaults when no flag is given', () => {
    expect(parseServerFlags([], DEFAULTS)).to.deep.equal({ ip: '0.0.0.0', port: 8080, extra: {} });
  });

  it('reads --server-ip, --server-port and the extra flags asked for, spaced or with "="', () => {
    expect(
      parseServerFlags(['--server-ip', '127.0.0.1', '--server-port=8081', '--config', 'my.conf'], DEFAULTS, ['--config']),
    ).to.deep.equal({ ip: '127.0.0.1', port: 8081, extra: { '--config': 'my.conf' } });
  });

  it('takes --trace, a flag without a value, on every start script', () => {
    expect(parseServerFlags(['--trace', '--server-port', '8081'], DEFAULTS)).to.deep.equal({
      ip: '0.0.0.0',
      port: 8081,
      extra: {},
      trace: true,
    });
    expect(parseServerFlags(['--trace=yes'], DEFAULTS)).to.deep.equal({ error: '--trace takes no value.' });
  });

  it('explains a bad port, a bad address, a missing value and an unknown flag', () => {
    expect(parseServerFlags(['--server-port', '99999'], DEFAULTS))
      .to.have.property('error')
      .that.includes('not a port number');
    expect(parseServerFlags(['--server-ip', 'my-laptop'], DEFAULTS))
      .to.have.property('error')
      .that.includes('not an IP address');
    expect(parseServerFlags(['--server-port'], DEFAULTS))
      .to.have.property('error')
      .that.includes('needs a value');
    expect(parseServerFlags(['--config', 'x'], DEFAULTS))
      .to.have.property('error')
      .that.includes('Unknown option "--config"');
    expect(parseServerFlags(['-h'], DEFAULTS)).to.deep.equal({ help: true });
  });

  it('says to put the flags after "--" when npm run kept one for itself (npm run backend --server-port 9002)', () => {
    const npm = { npm_lifecycle_event: 'backend', npm_config_server_port: 'true' };
    expect(parseServerFlags(['9002'], DEFAULTS, [], npm)).to.deep.equal({
      error:
        'Unknown option "9002". npm kept --server-port for itself: options for the program go after "--", as in: npm run backend -- --server-port 9002',
    });
  });

  it('turns listen errors into a sentence with what to do', () => {
    const failure = (code: string) => listenFailure(Object.assign(new Error(code), { code }), '0.0.0.0', 80);
    expect(failure('EADDRINUSE')).to.include('already in use');
    expect(failure('EACCES')).to.include('above 1024');
    expect(failure('EADDRNOTAVAIL')).to.include('not an address of this machine');
    expect(failure('EMFILE')).to.equal('Could not listen on 0.0.0.0:80: EMFILE');
  });
});
