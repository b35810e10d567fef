import { EVICTION_REASONS, type EvictionReason } from '../../../src/loader/events.js';
import type { LatencyStats, RunSummary } from '../../../sim/metrics/summary.js';
import type { RunTimeline } from '../../../sim/metrics/timeline.js';

/** A model id that is also markup: the report must show it as text. */
export const HOSTILE_MODEL = '<script>alert(1)</script>';

function byReason(values: Partial<Record<EvictionReason, number>>): Record<EvictionReason, number> {
  return Object.fromEntries(EVICTION_REASONS.map((reason) => [reason, values[reason] ?? 0])) as Record<EvictionReason, number>;
}

function latency(p50Ms: number, p99Ms: number, count: number): LatencyStats {
  return { count, meanMs: (p50Ms + p99Ms) / 2, p50Ms, p90Ms: (p50Ms + p99Ms) / 2, p99Ms, maxMs: p99Ms * 2 };
}

/** Builds a small hand-made run: two models, one of them named like a script tag, over 60 s. */
export function sampleSummary(): RunSummary {
  return {
    schemaVersion: 1,
    scenario: { name: 'report <b>sample</b>', description: 'Two models & one "hostile" name' },
    seed: '42',
    mode: 'sim',
    codeVersion: 'loaderlab@0.1.0+abc123',
    config: {
      lruLimit: 1,
      evictionPolicy: 'lru',
      forceEvictionWhenBusy: false,
      idleTimeoutMs: null,
      busyTimeoutMs: 300_000,
      memoryThreshold: 0.8,
      gpuMemoryBytes: 80 * 2 ** 30,
      requestTimeoutMs: 60_000,
      models: 2,
    },
    workload: { source: 'requests.jsonl', skippedRows: 2, firstArrivalMs: 0, lastArrivalMs: 59_000 },
    durationMs: 60_000,
    requests: {
      total: 120,
      succeeded: 118,
      failed: 2,
      failedByReason: { cooldown: 0, 'all-busy': 0, 'load-failed': 2, 'backend-error': 0, timeout: 0 },
    },
    hitRatio: 0.9,
    loads: {
      cold: 12,
      succeeded: 11,
      failed: 1,
      coalescedWaiters: 3,
      perThousandRequests: 100,
      loadTimeMs: { total: 22_000, mean: 2_000, p50: 2_000, p99: 2_500, max: 2_500 },
    },
    evictions: {
      total: 10,
      byReason: byReason({ lru: 9, idle: 1 }),
      perThousandRequests: 83.33,
      perThousandRequestsByReason: byReason({ lru: 75, idle: 8.33 }),
      thrash: { count: 4, windowMs: 60_000 },
    },
    admissionWait: { count: 0, totalMs: 0, maxMs: 0 },
    latency: latency(120, 2_400, 118),
    models: [
      { modelId: HOSTILE_MODEL, requests: 40, succeeded: 40, failed: 0, hits: 34, coldLoads: 6, evictions: 5, residentMs: 20_000, latency: latency(100, 2_300, 40) },
      { modelId: 'llama-8b', requests: 80, succeeded: 78, failed: 2, hits: 74, coldLoads: 6, evictions: 5, residentMs: 38_000, latency: latency(130, 2_400, 78) },
    ],
    memory: {
      totalBytes: 80 * 2 ** 30,
      peakBytes: 70 * 2 ** 30,
      peakFraction: 0.875,
      meanUsedBytes: 40 * 2 ** 30,
      thresholdFraction: 0.8,
      timeAboveThresholdMs: 1_000,
    },
    invariants: {
      lruOverflows: 1,
      groupCoResidences: 0,
      unexplained: 0,
      violations: [
        { timeMs: 5_000, kind: 'lru', modelId: HOSTILE_MODEL, residents: [HOSTILE_MODEL, 'llama-8b'], groups: [], explained: true, reason: 'llama-8b was busy' },
      ],
    },
    offlineOptimum: { lruLimit: 1, coldLoads: 8, ratio: 1.5 },
    faults: [{ timeMs: 30_000, kind: 'crash', modelId: HOSTILE_MODEL, nodeId: null, durationMs: 0, hit: true }],
    expectations: {
      passed: false,
      results: [
        { name: 'p99LatencyMs', metric: 'latency.p99Ms', bound: 'max', limit: 2_000, measured: 2_400, passed: false },
        { name: 'minHitRatio', metric: 'hitRatio', bound: 'min', limit: 0.5, measured: 0.9, passed: true },
      ],
    },
  };
}

export function sampleTimeline(): RunTimeline {
  const latencySamples: RunTimeline['latencySamples'] = [];
  for (let index = 0; index < 120; index += 1) {
    const modelId = index % 3 === 0 ? HOSTILE_MODEL : 'llama-8b';
    latencySamples.push({ timeMs: index * 500, modelId, latencyMs: index % 10 === 0 ? 2_100 + index : 90 + (index % 7) * 10, outcome: 'succeeded' });
  }
  return {
    schemaVersion: 1,
    startMs: 0,
    endMs: 60_000,
    models: [HOSTILE_MODEL, 'llama-8b'],
    residency: [
      { modelId: HOSTILE_MODEL, nodeId: 'local', loadStartMs: 0, readyMs: 2_000, endMs: 10_000, endReason: 'lru' },
      { modelId: 'llama-8b', nodeId: 'local', loadStartMs: 10_000, readyMs: 12_000, endMs: 30_000, endReason: 'lru' },
      { modelId: HOSTILE_MODEL, nodeId: 'local', loadStartMs: 30_000, readyMs: 32_000, endMs: 40_000, endReason: 'crash' },
      { modelId: 'llama-8b', nodeId: 'local', loadStartMs: 40_000, readyMs: 42_000, endMs: 60_000, endReason: 'run-end' },
    ],
    loads: [
      { timeMs: 0, modelId: HOSTILE_MODEL, nodeId: 'local', durationMs: 2_000, outcome: 'succeeded' },
      { timeMs: 10_000, modelId: 'llama-8b', nodeId: 'local', durationMs: 2_000, outcome: 'succeeded' },
      { timeMs: 30_000, modelId: HOSTILE_MODEL, nodeId: 'local', durationMs: 2_000, outcome: 'succeeded' },
      { timeMs: 40_000, modelId: 'llama-8b', nodeId: 'local', durationMs: 2_000, outcome: 'succeeded' },
      { timeMs: 50_000, modelId: HOSTILE_MODEL, nodeId: 'local', durationMs: 500, outcome: 'failed' },
    ],
    evictions: [
      { timeMs: 10_000, modelId: HOSTILE_MODEL, nodeId: 'local', reason: 'lru', forced: false, forModelId: 'llama-8b' },
      { timeMs: 30_000, modelId: 'llama-8b', nodeId: 'local', reason: 'lru', forced: false, forModelId: HOSTILE_MODEL },
    ],
    latencySamples,
    memory: [
      {
        nodeId: 'local',
        totalBytes: 80 * 2 ** 30,
        thresholdFraction: 0.8,
        samples: [
          { timeMs: 0, usedBytes: 16 * 2 ** 30 },
          { timeMs: 10_000, usedBytes: 0 },
          { timeMs: 10_000, usedBytes: 70 * 2 ** 30 },
          { timeMs: 30_000, usedBytes: 16 * 2 ** 30 },
        ],
      },
    ],
    truncated: { residency: false, loads: false, evictions: false, latencySampleStride: 1 },
  };
}
