/**
 * A peer's address as the wire carries it, with no network: the `ip:port` id, and the `"ip"` and `"port"`
 * checks that refuse look-alikes and unreachable addresses with a sentence saying what to send.
 * Tests for `apps/address.ts` (new: WeApRous `apps/sampleApp.py` and `apps/peer.py` had no such checks).
 */

import { expect } from 'chai';
import { peerId, requireIp, requirePort, requireReachableIp, unreachableReason } from '../../apps/address';
import { refusal } from '../helpers/bodies';

describe('apps/address.ts', () => {
  it('peerId() joins address and port as the document does', () => {
    expect(peerId('127.0.0.1', 5001)).to.equal('127.0.0.1:5001');
  });

  it('requireIp() takes IPv4, IPv6 and host names, and refuses the rest', () => {
    for (const ip of ['127.0.0.1', '::1', 'my-laptop.local']) expect(requireIp({ ip })).to.equal(ip);
    expect(refusal(() => requireIp({}))).to.match(/^Missing "ip"/);
    expect(refusal(() => requireIp({ ip: 'not an ip!' }))).to.match(/must be an IP address or host name/);
  });

  it('requireIp() refuses an IPv6 zone ("%eth0"): it names an interface of the sender\'s machine', () => {
    expect(refusal(() => requireIp({ ip: 'fe80::1%eth0' }))).to.match(/without a "%" zone/);
    expect(refusal(() => requireIp({ ip: `::1%${':'.repeat(90)}` }))).to.match(/without a "%" zone/);
  });

  it('requireIp() refuses a host name over 100 characters: a peer id names its outbox file', () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.example`;
    expect(refusal(() => requireIp({ ip: long }))).to.equal(`"ip" is longer than 100 characters; use the peer's IP address instead`);
    const fits = `${'a'.repeat(60)}.${'b'.repeat(39)}`;
    expect(requireIp({ ip: fits })).to.equal(fits);
  });

  it('requireReachableIp() keeps loopback, private ranges and host names', () => {
    for (const ip of ['127.0.0.1', '10.0.0.7', '192.168.1.20', '172.16.0.1', '::1', 'fd00::1', '8.8.8.8', 'my-laptop.local', 'localhost'])
      expect(requireReachableIp({ ip })).to.equal(ip);
  });

  it('requireReachableIp() refuses addresses no peer can be reached at, with a sentence', () => {
    const cases: Array<[string, RegExp]> = [
      ['0.0.0.0', /"any address"/],
      ['0.1.2.3', /"any address"/],
      ['::', /"any address"/],
      ['::ffff:0.0.0.0', /"any address"/],
      ['169.254.10.1', /link-local/],
      ['fe80::1', /link-local/],
      ['FEBF::1', /link-local/],
      ['224.0.0.1', /multicast/],
      ['239.255.255.250', /multicast/],
      ['ff02::1', /multicast/],
      ['::ffff:224.0.0.1', /multicast/],
      ['255.255.255.255', /broadcast/],
      ['240.0.0.1', /reserved/],
      ['0', /looks like an IPv4 address/],
      ['127.1', /looks like an IPv4 address/],
      ['999.1.1.1', /looks like an IPv4 address/],
    ];
    for (const [ip, why] of cases) {
      const sentence = refusal(() => requireReachableIp({ ip }));
      expect(sentence, ip).to.match(why);
      expect(sentence).to.include(`"ip" ${ip} `);
      expect(sentence).to.match(/send the address other peers reach this peer at, e\.g\. "ip":"127\.0\.0\.1"/);
    }
    expect(unreachableReason('127.0.0.1')).to.equal(null);
  });

  it('requirePort() takes 1-65535 as a number or a string of digits', () => {
    expect(requirePort({ port: 5001 })).to.equal(5001);
    expect(requirePort({ port: '5001' })).to.equal(5001);
    for (const port of [0, 65536, 1.5, 'abc', true]) expect(refusal(() => requirePort({ port }))).to.match(/integer from 1 to 65535/);
  });
});
