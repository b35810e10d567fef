import { describe, expect, it } from 'vitest';
import type { LoaderEvent } from '../../../src/loader/events.js';
import { MetricsCollector, type MetricsCollectorOptions } from '../../../sim/metrics/metrics-collector.js';

const GIB = 1024 ** 3;

function collector(overrides: Partial<MetricsCollectorOptions> = {}): MetricsCollector {
  return new MetricsCollector({
    models: [
      { modelId: 'a', groups: ['big'], pinned: false },
      { modelId: 'b', groups: ['big'], pinned: false },
      { modelId: 'c', groups: [], pinned: false },
    ],
    lruLimit: 2,
    gpuMemoryBytes: 100 * GIB,
    memoryThreshold: 0.5,
    thrashWindowMs: 1_000,
    ...overrides,
  });
}

function load(metrics: MetricsCollector, modelId: string, startMs: number, durationMs: number): void {
  metrics.onLoaderEvent({ type: 'load-started', timeMs: startMs, modelId, backend: 'sim' });
  metrics.onLoaderEvent({
    type: 'load-succeeded',
    timeMs: startMs + durationMs,
    modelId,
    backend: 'sim',
    address: `sim://${modelId}`,
    durationMs,
  });
}

function evict(metrics: MetricsCollector, modelId: string, timeMs: number, reason: 'lru' | 'idle' = 'lru'): void {
  metrics.onLoaderEvent({ type: 'evicted', timeMs, modelId, reason, forced: false });
}

describe('MetricsCollector', () => {
  it('accounts every request in one outcome', () => {
    const metrics = collector();
    const outcomes = ['succeeded', 'succeeded', 'cooldown', 'timeout', 'load-failed'] as const;
    outcomes.forEach((outcome, i) => {
      metrics.recordArrival('c', i * 10);
      metrics.recordRequest({ modelId: 'c', arrivalMs: i * 10, endMs: i * 10 + 5 + i, hit: i > 0, outcome });
    });
    const { summary } = metrics.finish(100);
    expect(summary.requests.total).toBe(5);
    expect(summary.requests.succeeded).toBe(2);
    expect(summary.requests.failed).toBe(3);
    expect(summary.requests.failedByReason).toEqual({ cooldown: 1, 'all-busy': 0, 'load-failed': 1, 'backend-error': 0, timeout: 1 });
    expect(summary.hitRatio).toBeCloseTo(0.8);
    expect(summary.latency).toMatchObject({ count: 2, p50Ms: 5, maxMs: 6 });
    expect(summary.models.find((m) => m.modelId === 'c')).toMatchObject({ requests: 5, succeeded: 2, failed: 3, hits: 4 });
  });

  it('counts loads, evictions and thrash', () => {
    const metrics = collector();
    load(metrics, 'a', 0, 100);
    metrics.onLoaderEvent({ type: 'load-coalesced', timeMs: 10, modelId: 'a' });
    evict(metrics, 'a', 500);
    load(metrics, 'a', 1_200, 100);
    evict(metrics, 'a', 5_000, 'idle');
    load(metrics, 'a', 7_000, 300);
    const { summary } = metrics.finish(10_000);
    expect(summary.loads).toMatchObject({ cold: 3, succeeded: 3, failed: 0, coalescedWaiters: 1 });
    expect(summary.loads.loadTimeMs).toMatchObject({ total: 500, max: 300, p50: 100 });
    expect(summary.evictions.byReason).toMatchObject({ lru: 1, idle: 1 });
    // Only the reload 700 ms after the first eviction is inside the 1,000 ms window.
    expect(summary.evictions.thrash).toEqual({ count: 1, windowMs: 1_000 });
  });

  it('flags an LRU overflow the loader did not report', () => {
    const metrics = collector({ models: [] });
    load(metrics, 'x', 0, 10);
    load(metrics, 'y', 20, 10);
    load(metrics, 'z', 40, 10);
    const { summary } = metrics.finish(100);
    expect(summary.invariants.lruOverflows).toBe(1);
    expect(summary.invariants.unexplained).toBe(1);
    expect(summary.invariants.violations[0]).toMatchObject({
      kind: 'lru',
      modelId: 'z',
      residents: ['x', 'y', 'z'],
      explained: false,
      timeMs: 50,
    });
  });

  it('explains an overflow the loader reported', () => {
    const metrics = collector({ models: [] });
    load(metrics, 'x', 0, 10);
    load(metrics, 'y', 20, 10);
    metrics.onLoaderEvent({ type: 'overflow', timeMs: 40, modelId: 'z', kind: 'lru', blockers: ['x', 'y'] });
    load(metrics, 'z', 40, 10);
    const { summary } = metrics.finish(100);
    expect(summary.invariants.lruOverflows).toBe(1);
    expect(summary.invariants.unexplained).toBe(0);
    expect(summary.invariants.violations[0]!.reason).toContain('x, y');
  });

  it('flags two models of one group resident together', () => {
    const metrics = collector({ lruLimit: 0 });
    load(metrics, 'a', 0, 10);
    load(metrics, 'c', 20, 10);
    load(metrics, 'b', 40, 10);
    const { summary } = metrics.finish(100);
    expect(summary.invariants.groupCoResidences).toBe(1);
    expect(summary.invariants.violations[0]).toMatchObject({ kind: 'group', modelId: 'b', groups: ['big'] });
  });

  it('stops counting a crashed model as resident', () => {
    const metrics = collector({ lruLimit: 1, models: [] });
    load(metrics, 'x', 0, 10);
    metrics.onLoaderEvent({ type: 'backend-exited', timeMs: 50, modelId: 'x', exitCode: null, signal: 'SIGSEGV', intentional: false });
    load(metrics, 'y', 60, 10);
    const { summary, timeline } = metrics.finish(100);
    expect(summary.invariants.lruOverflows).toBe(0);
    expect(timeline.residency).toEqual([
      { modelId: 'x', nodeId: 'local', loadStartMs: 0, readyMs: 10, endMs: 50, endReason: 'crash' },
      { modelId: 'y', nodeId: 'local', loadStartMs: 60, readyMs: 70, endMs: 100, endReason: 'run-end' },
    ]);
    expect(summary.models.find((m) => m.modelId === 'x')!.residentMs).toBe(40);
  });

  it('measures peak memory and time above the threshold', () => {
    const metrics = collector();
    metrics.recordMemory(100, 40 * GIB);
    metrics.recordMemory(200, 70 * GIB);
    metrics.recordMemory(500, 20 * GIB);
    const { summary, timeline } = metrics.finish(1_000);
    expect(summary.memory.peakBytes).toBe(70 * GIB);
    expect(summary.memory.peakFraction).toBeCloseTo(0.7);
    expect(summary.memory.timeAboveThresholdMs).toBe(300);
    // (40 GiB × 100 ms + 70 GiB × 300 ms + 20 GiB × 500 ms) / 1,000 ms.
    expect(summary.memory.meanUsedBytes).toBeCloseTo(35 * GIB);
    expect(timeline.memory[0]!.samples.map((s) => s.timeMs)).toEqual([0, 100, 200, 500]);
  });

  it('compares cold loads with the offline optimum', () => {
    const metrics = collector({ models: [], lruLimit: 2 });
    for (const modelId of ['a', 'b', 'c', 'a', 'b', 'c']) metrics.recordArrival(modelId, 0);
    for (let i = 0; i < 6; i++) metrics.onLoaderEvent({ type: 'load-started', timeMs: i, modelId: 'm', backend: 'sim' } as LoaderEvent);
    const { summary } = metrics.finish(10);
    expect(summary.offlineOptimum).toEqual({ lruLimit: 2, coldLoads: 4, ratio: 1.5 });
  });
});

describe('MetricsCollector invariant attribution', () => {
  it('explains a breach left by an earlier reported overflow', () => {
    const metrics = collector({ models: [] });
    load(metrics, 'x', 0, 10);
    load(metrics, 'y', 20, 10);
    metrics.onLoaderEvent({ type: 'load-started', timeMs: 30, modelId: 'slow', backend: 'sim' });
    metrics.onLoaderEvent({ type: 'overflow', timeMs: 40, modelId: 'z', kind: 'lru', blockers: ['x', 'y'] });
    load(metrics, 'z', 40, 10);
    evict(metrics, 'x', 60);
    metrics.onLoaderEvent({ type: 'load-succeeded', timeMs: 70, modelId: 'slow', backend: 'sim', address: 'sim://slow', durationMs: 40 });
    const { summary } = metrics.finish(100);
    expect(summary.invariants.lruOverflows).toBe(2);
    expect(summary.invariants.unexplained).toBe(0);
    expect(summary.invariants.violations[1]!.reason).toContain('z had been loaded past the LRU limit');
  });
});
