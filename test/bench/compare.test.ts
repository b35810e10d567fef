import { describe, expect, it } from 'vitest';
import { compareRuns, type BenchRun } from '../../bench/compare.js';
import type { ComparisonResult } from '../../bench/comparison.js';

function result(id: string, ratio: number): ComparisonResult {
  return {
    id,
    suite: 's',
    params: {},
    baselineName: 'b',
    subjectName: 's',
    baselineMeanUs: 1,
    subjectMeanUs: ratio,
    ratio,
    baselineRmePercent: 1,
    subjectRmePercent: 1,
  };
}

function run(...results: ComparisonResult[]): BenchRun {
  return { startedAt: 't', node: 'v20', results };
}

describe('compareRuns', () => {
  it('flags a ratio that grew past the tolerance', () => {
    const checks = compareRuns(run(result('a', 13), result('b', 11)), run(result('a', 10), result('b', 10)), 0.2);
    expect(checks.map((c) => [c.id, c.regressed])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('skips comparisons missing from the earlier run', () => {
    expect(compareRuns(run(result('new', 5)), run(result('old', 5)))).toEqual([]);
  });
});
