import type { ScenarioExpectations } from '../scenario/types.js';
import { EXPECTATION_KEYS } from '../scenario/types.js';
import type { ExpectationResult, RunSummary } from '../metrics/summary.js';

/** The summary number each expectation bounds, and in which direction. */
export const EXPECTATION_METRICS: Readonly<
  Record<keyof ScenarioExpectations, { metric: string; bound: 'max' | 'min'; read: (summary: RunSummary) => number | null }>
> = {
  maxGroupViolations: { metric: 'invariants.groupCoResidences', bound: 'max', read: (s) => s.invariants.groupCoResidences },
  maxLruOverflows: { metric: 'invariants.lruOverflows', bound: 'max', read: (s) => s.invariants.lruOverflows },
  p50LatencyMs: { metric: 'latency.p50Ms', bound: 'max', read: (s) => s.latency.p50Ms },
  p99LatencyMs: { metric: 'latency.p99Ms', bound: 'max', read: (s) => s.latency.p99Ms },
  maxEvictionsPer1000: { metric: 'evictions.perThousandRequests', bound: 'max', read: (s) => s.evictions.perThousandRequests },
  maxColdLoadsPer1000: { metric: 'loads.perThousandRequests', bound: 'max', read: (s) => s.loads.perThousandRequests },
  minHitRatio: { metric: 'hitRatio', bound: 'min', read: (s) => s.hitRatio },
  maxColdLoadRatioToOptimum: { metric: 'offlineOptimum.ratio', bound: 'max', read: (s) => s.offlineOptimum.ratio },
  maxFailedRequests: { metric: 'requests.failed', bound: 'max', read: (s) => s.requests.failed },
  maxThrashEvictions: { metric: 'evictions.thrash.count', bound: 'max', read: (s) => s.evictions.thrash.count },
  maxPeakMemoryBytes: { metric: 'memory.peakBytes', bound: 'max', read: (s) => s.memory.peakBytes },
};

/**
 * Checks each bound the scenario sets against the summary, in the schema's key order. A
 * bound whose metric has no value (the optimum ratio of a run without requests) fails, so
 * a CI check never passes on nothing.
 */
export function evaluateExpectations(expect: ScenarioExpectations, summary: RunSummary): ExpectationResult[] {
  const results: ExpectationResult[] = [];
  for (const name of EXPECTATION_KEYS) {
    const limit = expect[name];
    if (limit === undefined) continue;
    const { metric, bound, read } = EXPECTATION_METRICS[name];
    const measured = read(summary);
    const passed = measured !== null && (bound === 'max' ? measured <= limit : measured >= limit);
    results.push({ name, metric, bound, limit, measured, passed });
  }
  return results;
}

/** Formats a failed expectation for the terminal: name, measured value and bound. */
export function describeExpectation(result: ExpectationResult): string {
  const measured = result.measured === null ? 'no value' : String(round(result.measured));
  const relation = result.bound === 'max' ? 'at most' : 'at least';
  return `${result.name}: measured ${measured} (${result.metric}), expected ${relation} ${result.limit}`;
}

function round(value: number): number {
  return Number.isInteger(value) ? value : Number(value.toPrecision(6));
}
