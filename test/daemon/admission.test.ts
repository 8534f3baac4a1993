/**
 * Admission, the counting alone: the server-wide cap, the per-address cap, the uncapped loopback addresses,
 * IPv4 clients seen in IPv6 form counted as themselves, when the server is crowded, and the body budget. No sockets (the caps on
 * real sockets are in limits.test.ts). Tests for `daemon/admission.ts` (new: WeApRous had no cap).
 */

import { expect } from 'chai';
import { Admission, DEFAULT_UNCAPPED_ADDRESSES, MemoryBudget, normalAddress } from '../../daemon/admission';

describe('Admission', () => {
  const make = (maxConnections = 10, maxConnectionsPerAddress = 3) =>
    new Admission({ maxConnections, maxConnectionsPerAddress, uncappedAddresses: DEFAULT_UNCAPPED_ADDRESSES });

  it('lets one address hold maxConnectionsPerAddress, and gives a slot back when one leaves', () => {
    const admission = make();
    const keys = [1, 2, 3].map(() => admission.admit('10.0.0.7'));
    expect(keys.map((k) => k.kind)).to.deep.equal(['admitted', 'admitted', 'admitted']);
    expect(admission.admit('10.0.0.7')).to.deep.equal({ kind: 'address-full' });
    expect(admission.admit('10.0.0.8')).to.deep.equal({ kind: 'admitted', key: '10.0.0.8' }); // another machine has its own
    expect(admission.size).to.equal(4);
    admission.leave('10.0.0.7');
    expect(admission.admit('10.0.0.7').kind).to.equal('admitted');
  });

  it('counts an IPv4 client the same whether the server sees it as IPv4 or IPv6-mapped', () => {
    const admission = make();
    admission.admit('10.0.0.7');
    admission.admit('::ffff:10.0.0.7');
    admission.admit('::FFFF:10.0.0.7');
    expect(admission.admit('10.0.0.7').kind).to.equal('address-full');
    expect(normalAddress('FE80::1')).to.equal('fe80::1');
  });

  it('does not cap loopback by address (the demo, tests, benchmarks and the proxy all come from there), only by the server cap', () => {
    const admission = make(10, 1);
    const local = Array.from({ length: 10 }, (_, i) => admission.admit(i % 2 === 0 ? '127.0.0.1' : '::ffff:127.0.0.1'));
    expect(local.every((a) => a.kind === 'admitted' && a.key === null)).to.equal(true);
    expect(admission.admit('::1')).to.deep.equal({ kind: 'server-full' });
    expect(make(10, 1).admit('127.0.0.2').kind).to.equal('admitted'); // 127.0.0.2 is capped: only the usual two are not
  });

  it('says the server is full before looking at the address, and counts nothing it refused', () => {
    const admission = make(2, 5);
    admission.admit('10.0.0.1');
    admission.admit('10.0.0.2');
    expect(admission.admit('10.0.0.3')).to.deep.equal({ kind: 'server-full' });
    expect(admission.size).to.equal(2);
    admission.leave('10.0.0.1');
    expect(admission.admit('10.0.0.3').kind).to.equal('admitted');
  });

  it('is crowded from three quarters of maxConnections', () => {
    const admission = make(8, 8);
    for (let i = 0; i < 5; i++) admission.admit('10.0.0.1');
    expect(admission.crowded()).to.equal(false);
    admission.admit(undefined); // a socket gone before it was counted still holds a slot until its close
    expect(admission.crowded()).to.equal(true);
    admission.leave(null);
    expect(admission.crowded()).to.equal(false);
  });
});

describe('MemoryBudget', () => {
  it('takes what fits, refuses what does not (taking nothing), and takes again what was given back', () => {
    const budget = new MemoryBudget(100);
    expect(budget.take(60)).to.equal(true);
    expect(budget.take(50)).to.equal(false);
    expect(budget.used).to.equal(60);
    budget.give(60);
    expect(budget.take(100)).to.equal(true);
  });
});
