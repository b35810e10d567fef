import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../sim/scenario/load-scenario.js';
import { runScenario, type RunEventRecord } from '../../../sim/run/run-scenario.js';
import type { Scenario } from '../../../sim/scenario/types.js';

const GB = 1_000_000_000;

/** A small generated scenario: three models, an LRU limit of 2, four minutes of traffic. */
function scenario(extra: string = '', overrides: { loader?: string; models?: string; generator?: string } = {}): Scenario {
  const text = `
name: test-run
seed: 42
loader:
  lruLimit: 2
${overrides.loader ?? ''}
host:
  gpuMemoryBytes: ${80 * GB}
models:
${
  overrides.models ??
  `  - { id: a, sizeBytes: ${10 * GB}, loadMs: 2000, tokensPerSecond: 100, parallelSlots: 4 }
  - { id: b, sizeBytes: ${20 * GB}, loadMs: 4000, tokensPerSecond: 50, parallelSlots: 4 }
  - { id: c, sizeBytes: ${5 * GB}, loadMs: 1000, serviceMs: 300, parallelSlots: 2 }`
}
workload:
  generator:
${
  overrides.generator ??
  `    kind: poisson
    ratePerSecond: 2
    durationMs: 240000
    popularity: { kind: zipf, alpha: 1 }
    outputTokens: { kind: uniform, min: 20, max: 200 }`
}
${extra}
`;
  return parseScenario(text, '/scenarios/test-run.yaml');
}

describe('runScenario', () => {
  it('gives byte-identical summaries for one seed', async () => {
    const withFaults = scenario(`faults:
  - { kind: crash, atMs: 60000, modelId: a }
  - { kind: hang, atMs: 90000, modelId: b, durationMs: 5000 }`);
    const first = await runScenario(withFaults);
    const second = await runScenario(withFaults);
    expect(JSON.stringify(second.summary)).toBe(JSON.stringify(first.summary));
    expect(JSON.stringify(second.timeline)).toBe(JSON.stringify(first.timeline));
  });

  it('gives a different run for another seed', async () => {
    const first = await runScenario(scenario(), { seed: 1 });
    const second = await runScenario(scenario(), { seed: 2 });
    expect(second.summary.seed).toBe('2');
    expect(second.summary.requests.total).not.toBe(first.summary.requests.total);
  });

  it('accounts for every request exactly once', async () => {
    const events: RunEventRecord[] = [];
    const { summary } = await runScenario(scenario(), { onEvent: (event) => events.push(event) });
    const ended = events.filter((event) => event.type === 'request-ended');
    const failed = Object.values(summary.requests.failedByReason).reduce((sum, count) => sum + count, 0);
    expect(summary.requests.total).toBeGreaterThan(300);
    expect(ended).toHaveLength(summary.requests.total);
    expect(summary.requests.succeeded + failed).toBe(summary.requests.total);
    expect(summary.requests.failed).toBe(failed);
  });

  it('measures loads, evictions and latency', async () => {
    const { summary, timeline } = await runScenario(scenario(), { jitterFraction: 0 });
    expect(summary.loads.cold).toBeGreaterThanOrEqual(3);
    expect(summary.evictions.byReason.lru).toBeGreaterThan(0);
    expect(summary.latency.count).toBe(summary.requests.succeeded);
    expect(summary.latency.p50Ms).toBeGreaterThan(0);
    expect(summary.offlineOptimum.lruLimit).toBe(2);
    expect(summary.memory.peakBytes).toBeLessThanOrEqual(30 * GB);
    expect(timeline.residency.length).toBe(summary.loads.succeeded);
  });

  it('reloads a model after its backend crashes', async () => {
    const events: RunEventRecord[] = [];
    const { summary } = await runScenario(scenario('faults:\n  - { kind: crash, atMs: 60000, modelId: a }'), {
      onEvent: (event) => events.push(event),
    });
    const crash = events.find((event) => event.type === 'backend-exited' && !event.intentional);
    expect(crash).toMatchObject({ modelId: 'a', timeMs: 60000 });
    const reload = events.find((event) => event.type === 'load-started' && event.modelId === 'a' && event.timeMs > 60000);
    expect(reload).toBeDefined();
    expect(summary.faults).toEqual([{ timeMs: 60000, kind: 'crash', modelId: 'a', nodeId: null, durationMs: 0, hit: true }]);
  });

  it('fails requests that outlive the request timeout', async () => {
    const hung = scenario('faults:\n  - { kind: hang, atMs: 30000, modelId: a, durationMs: 100000 }', { loader: '  busyTimeoutMs: 0' });
    const { summary } = await runScenario(hung, { requestTimeoutMs: 20_000 });
    expect(summary.requests.failedByReason.timeout).toBeGreaterThan(0);
    expect(summary.config.requestTimeoutMs).toBe(20_000);
  });

  it('rejects requests during a failure cooldown', async () => {
    const failing = scenario('faults:\n  - { kind: fail-load, atMs: 0, modelId: a, count: 1 }');
    const { summary } = await runScenario(failing);
    expect(summary.loads.failed).toBeGreaterThanOrEqual(1);
    expect(summary.requests.failedByReason['load-failed']).toBeGreaterThanOrEqual(1);
    expect(summary.requests.failedByReason.cooldown).toBeGreaterThan(0);
  });

  it('keeps models of one group apart', async () => {
    const grouped = scenario('', {
      models: `  - { id: a, sizeBytes: ${10 * GB}, loadMs: 2000, serviceMs: 200, parallelSlots: 8, groups: [big] }
  - { id: b, sizeBytes: ${20 * GB}, loadMs: 4000, serviceMs: 200, parallelSlots: 8, groups: [big] }
  - { id: c, sizeBytes: ${5 * GB}, loadMs: 1000, serviceMs: 200, parallelSlots: 8 }`,
      generator: `    kind: poisson
    ratePerSecond: 0.5
    durationMs: 600000
    popularity: { kind: uniform }`,
    });
    const { summary } = await runScenario(grouped);
    expect(summary.evictions.byReason.group).toBeGreaterThan(0);
    expect(summary.invariants.groupCoResidences).toBe(0);
  });

  it('never evicts a pinned model', async () => {
    const pinned = scenario('', {
      models: `  - { id: a, sizeBytes: ${10 * GB}, loadMs: 2000, serviceMs: 200, parallelSlots: 8, pinned: true }
  - { id: b, sizeBytes: ${20 * GB}, loadMs: 4000, serviceMs: 200, parallelSlots: 8 }
  - { id: c, sizeBytes: ${5 * GB}, loadMs: 1000, serviceMs: 200, parallelSlots: 8 }`,
      generator: `    kind: poisson
    ratePerSecond: 0.5
    durationMs: 600000
    popularity: { kind: uniform }`,
    });
    const { summary } = await runScenario(pinned);
    expect(summary.evictions.total).toBeGreaterThan(0);
    expect(summary.models.find((model) => model.modelId === 'a')!.evictions).toBe(0);
  });

  it('reclaims memory above the threshold', async () => {
    const tight = scenario('', {
      loader: '  memoryReclaimerThreshold: 0.5',
      models: `  - { id: a, sizeBytes: ${30 * GB}, loadMs: 2000, serviceMs: 200, parallelSlots: 8 }
  - { id: b, sizeBytes: ${30 * GB}, loadMs: 2000, serviceMs: 200, parallelSlots: 8 }`,
      generator: `    kind: poisson
    ratePerSecond: 0.2
    durationMs: 600000
    popularity: { kind: uniform }`,
    });
    const { summary } = await runScenario(tight);
    expect(summary.evictions.byReason.memory).toBeGreaterThan(0);
    expect(summary.memory.thresholdFraction).toBe(0.5);
    expect(summary.memory.timeAboveThresholdMs).toBeGreaterThan(0);
  });

  it('checks the expectations of the scenario', async () => {
    const expecting = scenario('expect:\n  maxLruOverflows: 1000\n  minHitRatio: 0.999\n  p99LatencyMs: 1');
    const { summary } = await runScenario(expecting);
    expect(summary.expectations.passed).toBe(false);
    expect(summary.expectations.results.map((r) => [r.name, r.passed])).toEqual([
      ['maxLruOverflows', true],
      ['p99LatencyMs', false],
      ['minHitRatio', false],
    ]);
    expect(summary.expectations.results[1]!.measured).toBe(summary.latency.p99Ms);
  });
});
