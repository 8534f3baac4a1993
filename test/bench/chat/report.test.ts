/**
 * How the chat benchmark prints: nearest-rank percentiles, one line and one table row per run (with CPU per
 * delivery), idle CPU and memory per peer, and an SVG chart that is well-formed and draws one line per series.
 * Tests for `bench/chat/report.ts`.
 */

import { expect } from 'chai';
import type { RunResult } from '../../../bench/chat/run';
import { encryptionPairs } from '../../../bench/chat/encryption';
import { costLine, fmtMs, idleLine, latencyChart, percentile, resultLine, resultTable, rssLine } from '../../../bench/chat/report';

function run(size: number, mode: 'peer' | 'document' | 'floor', latencies: number[], lost = 0): RunResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  const expected = sorted.length + lost;
  return {
    spec: { mode, rate: 10, messages: expected / (size - 1) },
    size,
    expected,
    delivered: sorted.length,
    lost,
    duplicates: 0,
    latencies: sorted,
    perSecond: 90,
    receiverCpu: 0.4,
    senderCpu: mode === 'peer' ? 0.125 : NaN,
  };
}

describe('chat benchmark report', () => {
  it('percentile() is the nearest rank of a sorted list; NaN with no deliveries', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 99), percentile(values, 100)]).to.deep.equal([50, 99, 100]);
    expect(percentile([], 50)).to.be.NaN;
    expect([fmtMs(0.844), fmtMs(12.34), fmtMs(NaN)]).to.deep.equal(['0.84 ms', '12.3 ms', 'n/a']);
  });

  it('prints one line and one table row per run, with losses and duplicates', () => {
    const result = run(10, 'peer', [1, 2, 3, 4, 5, 6, 7, 8, 9], 0);
    expect(resultLine(result)).to.equal(
      'N=10 our peer, 1 at 10/s: 9/9 delivered, p50 5.00 ms, p99 9.00 ms, max 9.00 ms, 90 deliveries/s, ' +
        'CPU ms per delivery 0.40 at a receiver, 0.13 at the sender, 0 lost, 0 duplicates',
    );
    const table = resultTable([result, run(10, 'document', [1, 2], 7)]).split('\n');
    expect(table).to.have.length(4);
    expect(table[3]).to.match(/^\| 10 \| document's way \| 1 at 10\/s \| 2\/9 \| .* \| 0\.40 \| n\/a \| 7 \| 0 \|$/);
    expect(idleLine(10, { perPeer: 0.314, tracker: 0.2 }, 5)).to.equal('N=10: idle CPU 0.31 ms/s per peer, tracker 0.20 ms/s (over 5 s)');
    expect(rssLine(10, [60 * 1024 * 1024, 64 * 1024 * 1024, 70 * 1024 * 1024])).to.equal('N=10: RSS per peer median 64 MB, max 70 MB');
  });

  it('draws a well-formed SVG with a line per series and N on the x axis', () => {
    const svg = latencyChart([
      run(10, 'peer', [1, 2, 3]),
      run(50, 'peer', [4, 5, 6]),
      run(10, 'document', [2, 3, 4]),
      run(50, 'document', [8, 9, 10]),
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
    expect(svg.trim().endsWith('</svg>')).to.equal(true);
    expect(svg.match(/<polyline /g)).to.have.length(4);
    expect(svg).to.include('>10</text>');
    expect(svg).to.include('>50</text>');
    expect(svg).not.to.include('NaN');
    expect(svg).not.to.include('the floor');
    // With the floor's runs (every run of a process per peer has them), two lines more.
    const withFloor = latencyChart([run(10, 'peer', [1, 2, 3]), run(10, 'document', [2, 3, 4]), run(10, 'floor', [1, 1, 2])]);
    expect(withFloor.match(/<polyline /g)).to.have.length(6);
    expect(withFloor).to.include('>the floor, p99</text>');
  });

  it('costLine() sets a run with encryption against the same pattern without, by deliveries/s and p99', () => {
    const sealed = { ...run(10, 'peer', [1, 2, 3]), spec: { mode: 'direct' as const, rate: 0, messages: 9, label: 'sealed direct' } };
    const clear = {
      ...run(10, 'peer', [1, 2, 6]),
      spec: { mode: 'document-direct' as const, rate: 0, messages: 9, label: 'key-less direct (curl)' },
      perSecond: 120,
    };
    expect(costLine(sealed, clear)).to.equal(
      'N=10 sealed direct against key-less direct (curl), burst of 9: 90 against 120 deliveries/s (75%), p99 3.00 ms against 6.00 ms',
    );
  });

  it('encryptionPairs() pairs each encrypted run with the same pattern in clear, steady then burst', () => {
    const pairs = encryptionPairs({ rate: 10, messages: 100, burst: 1000 });
    expect(pairs.map(([a, b]) => [a.mode, b.mode, a.rate, a.messages === b.messages && a.rate === b.rate])).to.deep.equal([
      ['direct', 'document-direct', 10, true],
      ['direct', 'document-direct', 0, true],
      ['peer', 'peer', 10, true],
      ['peer', 'peer', 0, true],
    ]);
    expect(pairs[2].map((spec) => spec.channel)).to.deep.equal(['bench-private', 'bench-public']);
  });
});
