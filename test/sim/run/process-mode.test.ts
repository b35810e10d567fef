import { describe, expect, it } from 'vitest';
import { processChildRegistry } from '../../../src/backend/process/child-registry.js';
import { parseScenario } from '../../../sim/scenario/load-scenario.js';
import { createProcessEnvironment } from '../../../sim/run/process-environment.js';
import { runScenario, type RunEventRecord } from '../../../sim/run/run-scenario.js';

const tiny = parseScenario(
  `name: process-mode-test
seed: 4
loader: { lruLimit: 1, evictionRetryIntervalMs: 100 }
models:
  - { id: a, sizeBytes: 1000000000, loadMs: 2000, tokensPerSecond: 400, parallelSlots: 4 }
  - { id: b, sizeBytes: 2000000000, loadMs: 2000, serviceMs: 50, parallelSlots: 2 }
workload:
  generator:
    kind: poisson
    ratePerSecond: 1.5
    durationMs: 4000
    popularity: { kind: uniform }
    outputTokens: { kind: constant, value: 20 }
faults:
  - { kind: crash, atMs: 3000, modelId: a }
`,
  '/scenarios/process-mode-test.yaml',
);

describe('process mode', () => {
  it('replays a tiny scenario against real backends', async () => {
    const events: RunEventRecord[] = [];
    const { summary } = await runScenario(tiny, {
      environment: (scenario) => createProcessEnvironment(scenario),
      onEvent: (event) => events.push(event),
    });
    const failed = Object.values(summary.requests.failedByReason).reduce((sum, count) => sum + count, 0);
    expect(summary.mode).toBe('process');
    expect(summary.requests.total).toBeGreaterThan(0);
    expect(summary.requests.succeeded + failed).toBe(summary.requests.total);
    expect(events.filter((event) => event.type === 'request-ended')).toHaveLength(summary.requests.total);
    expect(summary.requests.succeeded).toBeGreaterThan(0);
    expect(summary.loads.succeeded).toBeGreaterThan(0);
    expect(summary.config.jitterFraction).toBe(0);
    expect(processChildRegistry.size).toBe(0);
  }, 90_000);
});
