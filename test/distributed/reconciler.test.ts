import { describe, expect, it } from 'vitest';
import { ReplicaReconciler } from '../../src/distributed/reconciler.js';
import { createClusterHarness, nodes, request } from './support/harness.js';

async function harnessWithReconciler(minReplicas: number, maxReplicas: number, callMs = 0) {
  const h = await createClusterHarness(
    { nodes: nodes('a', 'b', 'c'), models: [{ modelId: 'm', minReplicas, maxReplicas, request: request('m') }] },
    () => ({ callMs }),
  );
  const reconciler = new ReplicaReconciler({ registry: h.cluster.registry, router: h.router, clock: h.clock, scaleDownIdleMs: 10_000 });
  return { h, reconciler };
}

describe('ReplicaReconciler', () => {
  it('starts replicas up to the minimum, one per pass', async () => {
    const { h, reconciler } = await harnessWithReconciler(2, 3);
    await h.settle(reconciler.runOnce());
    expect(await h.cluster.registry.listReplicas({ modelId: 'm' })).toHaveLength(1);
    await h.settle(reconciler.runOnce());
    const replicas = await h.cluster.registry.listReplicas({ modelId: 'm' });
    expect(replicas.map((r) => r.nodeId).sort()).toEqual(['a', 'b']);
    await h.settle(reconciler.runOnce());
    expect(await h.cluster.registry.listReplicas({ modelId: 'm' })).toHaveLength(2);
  });

  it('adds a replica when every replica is busy', async () => {
    const { h, reconciler } = await harnessWithReconciler(1, 2, 60_000);
    await h.settle(reconciler.runOnce());
    const routed = await h.settle(h.router.route(request('m')));
    void routed.client.predict({});

    const [action] = await h.settle(reconciler.runOnce());
    expect(action).toMatchObject({ kind: 'placed', purpose: 'scale-up', result: { kind: 'started' } });
    expect(await h.cluster.registry.listReplicas({ modelId: 'm' })).toHaveLength(2);
  });

  it('scales up no further than the maximum', async () => {
    const { h, reconciler } = await harnessWithReconciler(1, 1, 60_000);
    await h.settle(reconciler.runOnce());
    const routed = await h.settle(h.router.route(request('m')));
    void routed.client.predict({});
    expect(await h.settle(reconciler.runOnce())).toEqual([]);
  });

  it('stops a replica idle above the minimum', async () => {
    const { h, reconciler } = await harnessWithReconciler(1, 2, 60_000);
    await h.settle(reconciler.runOnce());
    const routed = await h.settle(h.router.route(request('m')));
    const call = routed.client.predict({});
    await h.settle(reconciler.runOnce());
    await h.clock.runUntil(h.clock.now() + 60_000);
    await h.settle(call);

    await h.clock.runUntil(h.clock.now() + 10_000);
    const [action] = await h.settle(reconciler.runOnce());
    expect(action).toMatchObject({ kind: 'scaled-down' });
    expect(await h.cluster.registry.listReplicas({ modelId: 'm' })).toHaveLength(1);
    expect(h.eventsOf('replica-removed').map((e) => e.reason)).toEqual(['scale-down']);
  });

  it('keeps the minimum however idle', async () => {
    const { h, reconciler } = await harnessWithReconciler(1, 2);
    await h.settle(reconciler.runOnce());
    await h.clock.runUntil(h.clock.now() + 100_000);
    expect(await h.settle(reconciler.runOnce())).toEqual([]);
    expect(await h.cluster.registry.listReplicas({ modelId: 'm' })).toHaveLength(1);
  });
});
