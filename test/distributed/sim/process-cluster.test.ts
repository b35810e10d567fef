import { describe, expect, it } from 'vitest';
import { createProcessCluster, type ProcessClusterEnvironment } from '../../../sim/distributed/process-cluster.js';
import { createProcessEnvironment } from '../../../sim/run/process-environment.js';
import { runDistributedScenario } from '../../../sim/distributed/run-distributed.js';
import { parseScenario } from '../../../sim/scenario/load-scenario.js';
import { RealClock } from '../../../src/clock/real-clock.js';

const SCENARIO = `
name: two-agent-processes
seed: 3
models:
  - { id: chat, sizeBytes: 1000000000, loadMs: 200, serviceMs: 100, parallelSlots: 2, minReplicas: 2, maxReplicas: 2 }
nodes:
  - { id: node-a, gpuMemoryBytes: 8000000000 }
  - { id: node-b, gpuMemoryBytes: 8000000000 }
workload:
  generator:
    kind: poisson
    ratePerSecond: 10
    durationMs: 2000
    popularity: { kind: uniform }
    promptTokens: { kind: constant, value: 10 }
    outputTokens: { kind: constant, value: 1 }
`;

/** True while any process of the group exists (signal 0 checks without delivering). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('process cluster', () => {
  it('replays with agents as processes and leaves none', async () => {
    const scenario = parseScenario(SCENARIO, '/tmp/two-agent-processes.yaml');
    let cluster: ProcessClusterEnvironment | undefined;
    const { summary } = await runDistributedScenario(scenario, {
      clusterEnvironment: (s, context) => {
        cluster = createProcessCluster(s, { local: createProcessEnvironment(s, { ...context, speed: 1 }) });
        return cluster;
      },
    });

    expect(summary.mode).toBe('process');
    expect(summary.requests.total).toBeGreaterThan(5);
    expect(summary.requests.failed).toBe(0);
    expect(summary.replicaBalance?.perModel[0]?.replicas).toBe(2);
    const groups = cluster!.processGroups();
    expect(groups).toHaveLength(2);
    const clock = new RealClock();
    for (let waitedMs = 0; groups.some(groupAlive) && waitedMs < 5_000; waitedMs += 50) {
      await clock.sleep(50);
    }
    expect(groups.filter(groupAlive)).toEqual([]);
  });
});
