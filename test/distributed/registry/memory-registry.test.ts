import { describe, expect, it } from 'vitest';
import { leastLoadedPicker } from '../../../src/distributed/picker.js';
import type { PlacementPlan } from '../../../src/distributed/placement/plan.js';
import { InMemoryRegistry } from '../../../src/distributed/registry/memory-registry.js';
import type { ReplicaTemplate } from '../../../src/distributed/registry/registry.js';
import { GiB } from '../support/builders.js';

const template: ReplicaTemplate = { modelId: 'm', sizeBytes: 10 * GiB, groups: [], pinned: false };

function placeOn(nodeId: string, replicaIndex = 0, reserveBytes = 10 * GiB): () => PlacementPlan {
  return () => ({ kind: 'place', nodeId, replicaIndex, reserveBytes, victims: [], groupRuleRelaxed: false });
}

async function twoNodes(): Promise<InMemoryRegistry> {
  const registry = new InMemoryRegistry();
  await registry.registerNode({ id: 'a', agentAddress: 'agent-a', totalMemoryBytes: 80 * GiB, labels: { gpu: 'h100' } }, 0);
  await registry.registerNode({ id: 'b', agentAddress: 'agent-b', totalMemoryBytes: 80 * GiB }, 0);
  return registry;
}

describe('InMemoryRegistry', () => {
  it('reserves memory while loading and turns it into used memory when loaded', async () => {
    const registry = await twoNodes();
    const outcome = await registry.reserveReplica(template, placeOn('a'), 5);
    expect(outcome.kind).toBe('reserved');
    expect((await registry.getNode('a'))?.reservedMemoryBytes).toBe(10 * GiB);

    await registry.completeLoad({ modelId: 'm', nodeId: 'a', replicaIndex: 0 }, 'addr', 6);
    const node = await registry.getNode('a');
    expect(node?.reservedMemoryBytes).toBe(0);
    expect(node?.availableMemoryBytes).toBe(70 * GiB);
  });

  it('releases the reservation when a loading replica is removed', async () => {
    const registry = await twoNodes();
    await registry.reserveReplica(template, placeOn('a'), 5);
    await registry.removeReplica({ modelId: 'm', nodeId: 'a', replicaIndex: 0 });
    expect((await registry.getNode('a'))?.reservedMemoryBytes).toBe(0);
    expect(await registry.listReplicas()).toEqual([]);
  });

  it('rejects a plan that takes a slot already held', async () => {
    const registry = await twoNodes();
    await registry.reserveReplica(template, placeOn('a'), 5);
    await expect(registry.reserveReplica(template, placeOn('a'), 6)).rejects.toThrow(/slot is taken/);
  });

  it('rejects a replica index beyond the slot count', async () => {
    const registry = await twoNodes();
    await expect(registry.reserveReplica(template, placeOn('a', 1), 5)).rejects.toThrow(/outside the node's 1 slot/);
  });

  it('acquires the least loaded replica and raises its count', async () => {
    const registry = await twoNodes();
    for (const nodeId of ['a', 'b']) {
      await registry.reserveReplica(template, placeOn(nodeId), 0);
      await registry.completeLoad({ modelId: 'm', nodeId, replicaIndex: 0 }, `addr-${nodeId}`, 1);
    }
    const first = await registry.acquireReplica('m', {}, leastLoadedPicker, 10);
    const second = await registry.acquireReplica('m', {}, leastLoadedPicker, 11);
    expect([first?.nodeId, second?.nodeId].sort()).toEqual(['a', 'b']);
    expect(first?.inFlight).toBe(1);
    expect(first?.lastUsedMs).toBe(10);
  });

  it('acquires only on nodes matching the selector', async () => {
    const registry = await twoNodes();
    await registry.reserveReplica(template, placeOn('b'), 0);
    await registry.completeLoad({ modelId: 'm', nodeId: 'b', replicaIndex: 0 }, 'addr-b', 1);
    expect(await registry.acquireReplica('m', { gpu: 'h100' }, leastLoadedPicker, 2)).toBeUndefined();
  });

  it('never lowers an in-flight count below zero', async () => {
    const registry = await twoNodes();
    await registry.reserveReplica(template, placeOn('a'), 0);
    const key = { modelId: 'm', nodeId: 'a', replicaIndex: 0 };
    expect((await registry.addInFlight(key, -1, 1))?.inFlight).toBe(0);
  });

  it('removes the replicas of a node marked unhealthy', async () => {
    const registry = await twoNodes();
    await registry.reserveReplica(template, placeOn('a'), 0);
    const removed = await registry.setNodeStatus('a', 'unhealthy', 1);
    expect(removed.map((r) => r.nodeId)).toEqual(['a']);
    expect(await registry.listReplicas()).toEqual([]);
    expect((await registry.getNode('a'))?.reservedMemoryBytes).toBe(0);
  });

  it('rejects draining a node that is unhealthy', async () => {
    const registry = await twoNodes();
    await registry.setNodeStatus('a', 'unhealthy', 1);
    await expect(registry.setNodeStatus('a', 'draining', 2)).rejects.toThrow(/healthy after unhealthy/);
  });

  it('takes the selected victim in the same step', async () => {
    const registry = await twoNodes();
    await registry.reserveReplica(template, placeOn('a'), 0);
    const victim = await registry.takeReplica((v) => v.replicas[0], 1);
    expect(victim?.nodeId).toBe('a');
    expect(await registry.takeReplica((v) => v.replicas[0], 2)).toBeUndefined();
  });

  it('hands out frozen snapshots', async () => {
    const registry = await twoNodes();
    const node = await registry.getNode('a');
    expect(Object.isFrozen(node)).toBe(true);
  });
});
