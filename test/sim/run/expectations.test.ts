import { describe, expect, it } from 'vitest';
import { describeExpectation, evaluateExpectations } from '../../../sim/run/expectations.js';
import type { RunSummary } from '../../../sim/metrics/summary.js';

/** The few summary fields the expectations read; the rest does not matter here. */
function summary(): RunSummary {
  return {
    invariants: { groupCoResidences: 0, lruOverflows: 2 },
    latency: { p50Ms: 120, p99Ms: 900 },
    evictions: { perThousandRequests: 12.5, thrash: { count: 3 } },
    loads: { perThousandRequests: 20 },
    hitRatio: 0.75,
    offlineOptimum: { ratio: null },
    requests: { failed: 4 },
    memory: { peakBytes: 1_000 },
  } as unknown as RunSummary;
}

describe('evaluateExpectations', () => {
  it('checks only the bounds a scenario sets', () => {
    expect(evaluateExpectations({}, summary())).toEqual([]);
  });

  it('passes and fails maximum bounds', () => {
    const results = evaluateExpectations({ maxLruOverflows: 2, p99LatencyMs: 500 }, summary());
    expect(results).toEqual([
      { name: 'maxLruOverflows', metric: 'invariants.lruOverflows', bound: 'max', limit: 2, measured: 2, passed: true },
      { name: 'p99LatencyMs', metric: 'latency.p99Ms', bound: 'max', limit: 500, measured: 900, passed: false },
    ]);
  });

  it('passes and fails minimum bounds', () => {
    expect(evaluateExpectations({ minHitRatio: 0.7 }, summary())[0]!.passed).toBe(true);
    expect(evaluateExpectations({ minHitRatio: 0.8 }, summary())[0]!.passed).toBe(false);
  });

  it('fails a bound whose metric has no value', () => {
    const [result] = evaluateExpectations({ maxColdLoadRatioToOptimum: 2 }, summary());
    expect(result).toMatchObject({ measured: null, passed: false });
    expect(describeExpectation(result!)).toBe(
      'maxColdLoadRatioToOptimum: measured no value (offlineOptimum.ratio), expected at most 2',
    );
  });

  it('describes a failure with value and bound', () => {
    const [result] = evaluateExpectations({ maxEvictionsPer1000: 10 }, summary());
    expect(describeExpectation(result!)).toBe(
      'maxEvictionsPer1000: measured 12.5 (evictions.perThousandRequests), expected at most 10',
    );
  });
});
