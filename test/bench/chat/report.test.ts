/**
 * How the chat benchmark prints: nearest-rank percentiles, one line and one table row per run, memory per
 * peer, and an SVG chart that is well-formed and draws one line per series.
 * Tests for `bench/chat/report.ts`.
 */

import { expect } from 'chai';
import type { RunResult } from '../../../bench/chat/run';
import { fmtMs, latencyChart, percentile, resultLine, resultTable, rssLine } from '../../../bench/chat/report';

function run(size: number, mode: 'peer' | 'document', latencies: number[], lost = 0): RunResult {
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
      'N=10 our peer, 1 at 10/s: 9/9 delivered, p50 5.00 ms, p99 9.00 ms, max 9.00 ms, 90 deliveries/s, 0 lost, 0 duplicates',
    );
    const table = resultTable([result, run(10, 'document', [1, 2], 7)]).split('\n');
    expect(table).to.have.length(4);
    expect(table[3]).to.match(/^\| 10 \| document's way \| 1 at 10\/s \| 2\/9 \| .* \| 7 \| 0 \|$/);
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
  });
});
