/**
 * Admission, the counting alone: the server-wide cap, the per-address cap, the uncapped loopback addresses,
 * IPv4 clients seen in IPv6 form counted as themselves, when the server is crowded, and the body budget with its
 * share per address. No sockets (the caps on real sockets are in limits.test.ts, body-budget.e2e.test.ts). Tests for `daemon/admission.ts` (new: WeApRous had no cap).
 */

import { expect } from 'chai';
import { Admission, DEFAULT_UNCAPPED_ADDRESSES, MemoryBudget, normalAddress, shareOf } from '../../daemon/admission';

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
    expect(budget.take(60)).to.equal('taken');
    expect(budget.take(50)).to.equal('server-full');
    expect(budget.used).to.equal(60);
    budget.give(60);
    expect(budget.take(100)).to.equal('taken');
  });

  it("refuses an address over its share while other addresses' bodies still fit", () => {
    const budget = new MemoryBudget(64, 8);
    for (let i = 0; i < 8; i++) expect(budget.take(1, '127.0.0.2')).to.equal('taken');
    expect(budget.take(1, '127.0.0.2')).to.equal('address-full');
    expect(budget.take(8, '127.0.0.3')).to.equal('taken'); // another machine has a share of its own
    expect(budget.heldBy('127.0.0.2')).to.equal(8);
    expect(budget.used).to.equal(16);
  });

  it('refuses a body bigger than what is left of the share, taking nothing, and takes it once some is given back', () => {
    const budget = new MemoryBudget(64, 8);
    budget.take(5, '10.0.0.7');
    expect(budget.take(4, '10.0.0.7')).to.equal('address-full');
    expect(budget.heldBy('10.0.0.7')).to.equal(5);
    budget.give(5, '10.0.0.7');
    expect(budget.heldBy('10.0.0.7')).to.equal(0);
    expect(budget.take(8, '10.0.0.7')).to.equal('taken');
  });

  it('takes eight full shares to fill the whole budget, and then says the server is full', () => {
    const budget = new MemoryBudget(64, 8);
    for (let i = 1; i <= 8; i++) expect(budget.take(8, `10.0.0.${i}`)).to.equal('taken');
    expect(budget.take(1, '10.0.0.9')).to.equal('server-full');
    expect(budget.heldBy('10.0.0.9')).to.equal(0);
  });

  it('gives uncapped connections (key null: loopback) no share of their own, only the whole budget', () => {
    const budget = new MemoryBudget(64, 8);
    expect(budget.take(60, null)).to.equal('taken');
    expect(budget.take(8, '10.0.0.1')).to.equal('server-full');
  });

  it("charges one connection's account to its own address", () => {
    const budget = new MemoryBudget(64, 8);
    const [a, b] = [budget.account('10.0.0.1'), budget.account('10.0.0.1')];
    expect(a.take(5)).to.equal('taken');
    expect(b.take(5)).to.equal('address-full'); // the same address's share, from another connection
    a.give(5);
    expect(b.take(5)).to.equal('taken');
    expect(budget.heldBy('10.0.0.1')).to.equal(5);
  });
});

describe('shareOf()', () => {
  it('counts another machine against its own address, IPv4 clients of a dual-stack socket as IPv4', () => {
    expect(shareOf('127.0.0.2')).to.equal('127.0.0.2');
    expect(shareOf('::ffff:10.0.0.2')).to.equal('10.0.0.2');
  });

  it("counts this machine's own loopback against no share, and nothing without an address", () => {
    expect([shareOf('127.0.0.1'), shareOf('::1'), shareOf('::ffff:127.0.0.1'), shareOf(undefined)]).to.deep.equal([null, null, null, null]);
  });
});
