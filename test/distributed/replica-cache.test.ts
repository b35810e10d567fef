import { describe, expect, it } from 'vitest';
import { toScheduling } from '../../src/distributed/scheduling.js';
import { createClusterHarness, nodes, request } from './support/harness.js';

async function cachedCluster(frontends: number, refreshIntervalMs: number) {
  const h = await createClusterHarness(
    { nodes: nodes('a', 'b'), frontends, router: { replicaCache: { refreshIntervalMs } } },
    () => ({ callMs: 1_000 }),
  );
  const scheduling = toScheduling({ modelId: 'm', minReplicas: 2, maxReplicas: 2, request: request('m') });
  await h.settle(h.router.placeReplica(scheduling, 'min-replicas'));
  await h.settle(h.router.placeReplica(scheduling, 'min-replicas'));
  return h;
}

describe('ReplicaCache', () => {
  it('balances one frontend by its own counts', async () => {
    const h = await cachedCluster(1, 5_000);
    const routed = await h.settle(Promise.all([1, 2, 3, 4].map(() => h.router.route(request('m')))));
    expect(routed.map((r) => r.nodeId).sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('does not see the calls of other frontends', async () => {
    const h = await cachedCluster(2, 5_000);
    const [first, second] = h.cluster.routers;
    const fromFirst = await h.settle(first!.route(request('m')));
    const fromSecond = await h.settle(second!.route(request('m')));
    // Each frontend saw only its own pick, so both chose the same replica.
    expect(fromSecond.nodeId).toBe(fromFirst.nodeId);
  });

  it('still reports its calls to the registry', async () => {
    const h = await cachedCluster(1, 5_000);
    const routed = await h.settle(h.router.route(request('m')));
    const call = routed.client.predict({});
    await h.settle(h.router.settled());
    const replica = await h.cluster.registry.getReplica({ modelId: 'm', nodeId: routed.nodeId, replicaIndex: 0 });
    expect(replica?.inFlight).toBe(1);
    await h.settle(call);
    await h.settle(h.router.settled());
    expect((await h.cluster.registry.getReplica({ modelId: 'm', nodeId: routed.nodeId, replicaIndex: 0 }))?.inFlight).toBe(0);
  });

  it('sees a new replica only after its refresh interval', async () => {
    const h = await createClusterHarness({ nodes: nodes('a', 'b'), frontends: 2, router: { replicaCache: { refreshIntervalMs: 5_000 } } }, () => ({
      callMs: 100_000,
    }));
    const [first, second] = h.cluster.routers;
    const scheduling = toScheduling({ modelId: 'm', minReplicas: 1, maxReplicas: 2, request: request('m') });
    await h.settle(first!.placeReplica(scheduling, 'min-replicas'));
    await h.settle(first!.route(request('m')));

    await h.settle(second!.placeReplica(scheduling, 'scale-up'));
    const busy = await h.settle(first!.route(request('m')));
    expect(busy.nodeId).toBe('a');
    await h.clock.runUntil(h.clock.now() + 5_000);
    await h.settle(first!.route(request('m')));
    const fresh = await h.settle(first!.route(request('m')));
    expect(fresh.nodeId).toBe('b');
  });
});
