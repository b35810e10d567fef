import { describe, expect, it } from 'vitest';
import { AgentCore } from '../../src/agent/agent-core.js';
import { BackendCatalog } from '../../src/backend/backend-catalog.js';
import { createClusterHarness, nodes, request } from './support/harness.js';

async function healthHarness() {
  return createClusterHarness({ nodes: nodes('a', 'b'), health: { heartbeatIntervalMs: 1_000, missedHeartbeats: 3 } });
}

describe('NodeHealthMonitor', () => {
  it('records heartbeat memory readings', async () => {
    const h = await healthHarness();
    await h.settle(h.cluster.health!.runOnce());
    const node = await h.cluster.registry.getNode('a');
    expect(node?.lastHeartbeatMs).toBe(0);
    expect(node?.status).toBe('healthy');
  });

  it('marks a silent node unhealthy and drops its replicas', async () => {
    const h = await healthHarness();
    const routed = await h.settle(h.router.route(request('m')));
    expect(routed.nodeId).toBe('a');
    h.downNodes.add('a');
    h.cluster.start();

    await h.clock.runUntil(3_000);
    expect((await h.cluster.registry.getNode('a'))?.status).toBe('healthy');
    await h.clock.runUntil(4_000);
    expect((await h.cluster.registry.getNode('a'))?.status).toBe('unhealthy');
    expect(await h.cluster.registry.listReplicas()).toEqual([]);
    expect(h.eventsOf('replica-removed')).toMatchObject([{ modelId: 'm', nodeId: 'a', reason: 'node-lost' }]);
    await h.cluster.close();
  });

  it('routes around a lost node', async () => {
    const h = await healthHarness();
    await h.settle(h.router.route(request('m')));
    h.downNodes.add('a');
    h.cluster.start();
    await h.clock.runUntil(4_000);

    const routed = await h.settle(h.router.route(request('m')));
    expect(routed.nodeId).toBe('b');
    await h.cluster.close();
  });

  it('brings a returning node back empty', async () => {
    const h = await healthHarness();
    await h.settle(h.router.route(request('m')));
    h.downNodes.add('a');
    h.cluster.start();
    await h.clock.runUntil(4_000);

    h.downNodes.delete('a');
    await h.clock.runUntil(5_000);
    expect((await h.cluster.registry.getNode('a'))?.status).toBe('healthy');
    // The backend that kept running while the node was unreachable is stopped.
    expect(h.runningOn('a')).toEqual([]);
    expect(await h.cluster.registry.listReplicas({ nodeId: 'a' })).toEqual([]);
    await h.cluster.close();
  });

  it('drops the replicas of an agent that restarted', async () => {
    const h = await healthHarness();
    await h.settle(h.cluster.health!.runOnce());
    await h.settle(h.router.route(request('m')));

    // A restarted agent has a new id and none of the old backends.
    await h.settle(h.cores.get('a')!.shutdown({ force: true }));
    const restarted = new AgentCore({
      launcher: h.launcher,
      catalog: new BackendCatalog({ 'loaderlab-fake': { executable: '/bin/fake-backend' } }),
      modelsDir: '/models',
      agentId: 'a-2',
    });
    h.cores.set('a', restarted);
    await h.settle(h.cluster.health!.runOnce());

    expect(await h.cluster.registry.listReplicas({ nodeId: 'a' })).toEqual([]);
    expect((await h.cluster.registry.getNode('a'))?.status).toBe('healthy');
  });
});
