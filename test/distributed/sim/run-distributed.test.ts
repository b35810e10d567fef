import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareRouting } from '../../../sim/distributed/compare-routing.js';
import { runScenario } from '../../../sim/run/run-scenario.js';
import { loadScenario } from '../../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../../sim/scenario/types.js';

const scenarioPath = (name: string): string => fileURLToPath(new URL(`../../../scenarios/${name}`, import.meta.url));

/** Shortens a generated workload, to keep a test in seconds. */
function shortened(scenario: Scenario, durationMs: number): Scenario {
  const source = scenario.workload.source;
  if (source.kind !== 'generator') throw new Error(`${scenario.name} does not generate its workload`);
  return { ...scenario, workload: { ...scenario.workload, source: { ...source, durationMs } } };
}

describe('runDistributedScenario', () => {
  it('replays the three-node cluster', async () => {
    const scenario = shortened(await loadScenario(scenarioPath('cluster-three-nodes.yaml')), 120_000);
    const { summary, timeline } = await runScenario(scenario);

    expect(summary.requests.failed).toBe(0);
    expect(summary.invariants.groupCoResidences).toBe(0);
    expect(summary.distributed?.nodes).toBe(3);
    expect(new Set(timeline.residency.map((r) => r.nodeId))).toEqual(new Set(['node-a', 'node-b', 'node-c']));
    // The 70B model only runs on H100 nodes.
    const chat70 = timeline.residency.filter((r) => r.modelId === 'chat-70b-q4').map((r) => r.nodeId);
    expect(chat70.length).toBeGreaterThan(0);
    expect(chat70.every((nodeId) => nodeId !== 'node-c')).toBe(true);
    expect(summary.replicaBalance?.perModel.find((m) => m.modelId === 'chat-8b')?.replicas).toBeGreaterThanOrEqual(2);
    expect(timeline.memory.map((series) => series.nodeId).sort()).toEqual(['node-a', 'node-b', 'node-c']);
  });

  it('gives identical summaries for one seed', async () => {
    const scenario = shortened(await loadScenario(scenarioPath('cluster-three-nodes.yaml')), 60_000);
    const first = await runScenario(scenario);
    const second = await runScenario(scenario);
    expect(JSON.stringify(second.summary)).toBe(JSON.stringify(first.summary));
  });

  it('recovers from a lost node', async () => {
    const scenario = await loadScenario(scenarioPath('cluster-node-loss.yaml'));
    const { summary, timeline } = await runScenario(scenario);

    expect(summary.distributed?.nodesLost).toBe(1);
    expect(summary.faults.map((f) => f.hit)).toEqual([true, true]);
    expect(summary.requests.failed).toBeLessThanOrEqual(60);
    expect(summary.requests.failedByReason['backend-error']).toBe(summary.requests.failed);
    // Node-b's replicas ended with the node, and it took new ones after it came back.
    const [down, up] = summary.faults;
    const onB = timeline.residency.filter((r) => r.nodeId === 'node-b');
    const ended = onB.filter((r) => r.endMs >= down!.timeMs && r.endMs <= down!.timeMs + 5_000);
    expect(ended.length).toBeGreaterThan(0);
    expect(ended.every((r) => r.endReason === 'connection-error' || r.endReason === 'crash')).toBe(true);
    expect(onB.some((r) => r.loadStartMs > up!.timeMs)).toBe(true);
  });

  it('shows cached frontends herding calls', async () => {
    const scenario = shortened(await loadScenario(scenarioPath('cluster-replica-cache.yaml')), 300_000);
    const { rows } = await compareRouting(scenario, { frontendCounts: [8] });
    const [registry, cache] = rows;

    expect(registry?.replicaCache).toBe(false);
    expect(cache?.replicaCache).toBe(true);
    expect(cache!.inFlightJainIndex!).toBeLessThan(registry!.inFlightJainIndex!);
    expect(registry!.pickCallsPerRequest).toBeGreaterThanOrEqual(1);
    expect(cache!.pickCallsPerRequest).toBeLessThan(registry!.pickCallsPerRequest);
  });
});
