import { describe, expect, it } from 'vitest';
import { compareModes } from '../../../sim/run/fidelity.js';
import type { RunSummary } from '../../../sim/metrics/summary.js';

function summary(p50Ms: number, failed: number, evictions: number): RunSummary {
  return {
    requests: { succeeded: 100, failed },
    hitRatio: 0.5,
    loads: { cold: 4, loadTimeMs: { mean: 1000 } },
    evictions: { total: evictions },
    latency: { meanMs: p50Ms, p50Ms, p90Ms: p50Ms, p99Ms: p50Ms, maxMs: p50Ms },
    memory: { peakBytes: 10 },
    offlineOptimum: { ratio: null },
  } as unknown as RunSummary;
}

describe('compareModes', () => {
  it('measures relative error against the process run', () => {
    const fidelity = compareModes(summary(110, 0, 3), summary(100, 0, 3), 2);
    const p50 = fidelity.entries.find((entry) => entry.metric === 'latency.p50Ms');
    expect(p50).toEqual({ metric: 'latency.p50Ms', sim: 110, process: 100, relativeError: expect.closeTo(0.1, 10) as number });
    expect(fidelity.processSpeed).toBe(2);
    expect(fidelity.maxRelativeError).toBeCloseTo(0.1, 10);
  });

  it('leaves the error undefined when only the process value is zero', () => {
    const fidelity = compareModes(summary(100, 2, 1), summary(100, 0, 0), 1);
    expect(fidelity.entries.find((entry) => entry.metric === 'requests.failed')!.relativeError).toBeNull();
    expect(fidelity.entries.find((entry) => entry.metric === 'evictions.total')!.relativeError).toBeNull();
  });

  it('skips metrics without a value in either run', () => {
    const fidelity = compareModes(summary(100, 0, 0), summary(100, 0, 0), 1);
    expect(fidelity.entries.map((entry) => entry.metric)).not.toContain('offlineOptimum.ratio');
    expect(fidelity.maxRelativeError).toBe(0);
  });
});
