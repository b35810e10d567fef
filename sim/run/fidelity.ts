import type { FidelityEntry, FidelitySummary, RunSummary } from '../metrics/summary.js';

/** The metrics compared between a `sim` and a `process` run of one scenario. */
export const FIDELITY_METRICS: ReadonlyArray<{ metric: string; read: (summary: RunSummary) => number | null }> = [
  { metric: 'requests.succeeded', read: (s) => s.requests.succeeded },
  { metric: 'requests.failed', read: (s) => s.requests.failed },
  { metric: 'hitRatio', read: (s) => s.hitRatio },
  { metric: 'loads.cold', read: (s) => s.loads.cold },
  { metric: 'loads.loadTimeMs.mean', read: (s) => s.loads.loadTimeMs.mean },
  { metric: 'evictions.total', read: (s) => s.evictions.total },
  { metric: 'latency.meanMs', read: (s) => s.latency.meanMs },
  { metric: 'latency.p50Ms', read: (s) => s.latency.p50Ms },
  { metric: 'latency.p90Ms', read: (s) => s.latency.p90Ms },
  { metric: 'latency.p99Ms', read: (s) => s.latency.p99Ms },
  { metric: 'latency.maxMs', read: (s) => s.latency.maxMs },
  { metric: 'memory.peakBytes', read: (s) => s.memory.peakBytes },
  { metric: 'offlineOptimum.ratio', read: (s) => s.offlineOptimum.ratio },
];

/**
 * Compares a `sim` run with a `process` run of the same scenario and seed, metric by
 * metric. The process run is the reference: relative error is `|sim - process| / |process|`.
 */
export function compareModes(sim: RunSummary, processRun: RunSummary, processSpeed: number): FidelitySummary {
  const entries: FidelityEntry[] = [];
  for (const { metric, read } of FIDELITY_METRICS) {
    const simValue = read(sim);
    const processValue = read(processRun);
    if (simValue === null || processValue === null) continue;
    entries.push({ metric, sim: simValue, process: processValue, relativeError: relativeError(simValue, processValue) });
  }
  const defined = entries.map((entry) => entry.relativeError).filter((error): error is number => error !== null);
  return { processSpeed, entries, maxRelativeError: defined.length > 0 ? Math.max(...defined) : 0 };
}

function relativeError(simValue: number, processValue: number): number | null {
  if (processValue === 0) return simValue === 0 ? 0 : null;
  return Math.abs(simValue - processValue) / Math.abs(processValue);
}
