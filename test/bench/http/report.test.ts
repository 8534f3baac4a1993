/**
 * The table and verdicts `npm run bench` prints, from made-up runs: ratios are to node:http, the raw
 * bound is in the same table, latency is never "0 ms". Tests for `bench/http/report.ts` (no WeApRous twin).
 */

import { expect } from 'chai';
import type { RunResult } from '../../../bench/http/load';
import { caveats, roundRatios, summaryTable, tlsCosts, verdicts, type ScenarioRuns } from '../../../bench/http/report';

function run(requestsPerSecond: number, p50Micros = 400, p99Micros = 900): RunResult {
  return {
    requestsPerSecond,
    p50Micros,
    p99Micros,
    problems: { non2xx: 0, errors: 0, timeouts: 0 },
    serverCpu: 0.98,
    generatorCpu: 0.5,
    serverMicrosPerRequest: 20,
  };
}

const KEEP_ALIVE: ScenarioRuns = {
  scenario: { name: 'keep-alive 50 conns', connections: 50, pipelining: 1, target: 1.2 },
  runs: {
    raw: [run(90_000), run(80_000)],
    node: [run(40_000), run(50_000)],
    daemon: [run(52_000), run(55_000, 1500, 12_340)],
  },
};

describe('roundRatios()', () => {
  it('divides by node:http within each round, then takes the median', () => {
    expect(roundRatios(KEEP_ALIVE.runs, 'daemon')).to.deep.equal({ median: (1.3 + 1.1) / 2, low: 1.1, high: 1.3 });
  });
});

describe('summaryTable()', () => {
  const table = summaryTable([KEEP_ALIVE]);

  it('has a row for the raw-socket bound, node:http as the 1.00x baseline, and the daemon', () => {
    expect(table).to.match(/\| raw socket \(bound\) \| 85,000 \| 1\.93x +\| 1\.60-2\.25x/);
    expect(table).to.match(/\| node:http +\| 45,000 \| 1\.00x \(baseline\)/);
    expect(table).to.match(/\| WeApRous daemon +\| 53,500 \| 1\.20x +\| 1\.10-1\.30x/);
  });

  it('prints sub-millisecond latency in microseconds and longer ones to a tenth of a millisecond', () => {
    expect(table).to.include('| 400 µs');
    expect(table).to.include('| 6.6 ms'); // median of 900 µs and 12.34 ms
    expect(table).not.to.match(/\b0 ms/);
  });
});

describe('medians over rounds', () => {
  it('leave out a latency the generator could not give (NaN) instead of printing n/a for the scenario', () => {
    const lost: ScenarioRuns = { ...KEEP_ALIVE, runs: { ...KEEP_ALIVE.runs, node: [run(40_000, 400, NaN), run(50_000, 400, 700)] } };
    expect(summaryTable([lost])).to.match(/\| node:http +\| 45,000 \| 1\.00x \(baseline\) \| - +\| 400 µs \| 700 µs/);
  });
});

describe('caveats()', () => {
  it('names every server that had less than a core while the generator had less too', () => {
    const starved = { ...run(40_000), serverCpu: 0.6, generatorCpu: 0.4 };
    const notes = caveats([{ ...KEEP_ALIVE, runs: { ...KEEP_ALIVE.runs, node: [starved, starved] } }]);
    expect(notes).to.have.length(1);
    expect(notes[0]).to.include('node:http 60% / 40%');
  });
});

describe('verdicts()', () => {
  it('says whether the daemon met its target and how close it came to the bound', () => {
    expect(verdicts([KEEP_ALIVE])).to.deep.equal([
      'keep-alive 50 conns: daemon 1.20x node:http, target 1.20x met (by server CPU per request: 1.00x);' +
        ' the daemon reached 63% of the raw-socket bound.',
    ]);
  });
});

describe('tlsCosts()', () => {
  const HTTPS: ScenarioRuns = {
    scenario: { name: 'https keep-alive 50 conns', connections: 50, pipelining: 1, https: true },
    runs: { raw: [run(45_000)], node: [run(30_000)], daemon: [run(26_750)] },
  };

  it('compares each server over TLS with the same keep-alive run over plain HTTP', () => {
    const costs = tlsCosts([KEEP_ALIVE, HTTPS]);
    expect(costs).to.have.length(3);
    expect(costs[2]).to.equal(
      'TLS cost, WeApRous daemon: 53,500 → 26,750 req/s (50% of plain HTTP), server CPU 20.0 µs → 20.0 µs per request',
    );
  });

  it('names the HTTPS servers in the table and says the HTTPS run has no target', () => {
    expect(summaryTable([HTTPS])).to.match(/\| node:https +\| 30,000 \| 1\.00x \(baseline\)/);
    expect(verdicts([HTTPS])[0]).to.match(/^https keep-alive 50 conns: daemon 0\.89x node:https, no target .* raw-TLS bound\.$/);
  });

  it('says nothing without both runs', () => {
    expect(tlsCosts([KEEP_ALIVE])).to.deep.equal([]);
  });
});
