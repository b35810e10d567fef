import { describe, expect, it } from 'vitest';
import { planPlacement } from '../../../src/distributed/placement/pipeline.js';
import { GiB, coldRequest, node, replica, scheduling, view } from '../support/builders.js';

describe('planPlacement', () => {
  it('rejects a selector no healthy node matches', () => {
    const cluster = view([node('a', { labels: { gpu: 'a100' } }), node('b', { labels: { gpu: 'h100' }, status: 'unhealthy' })]);
    expect(planPlacement(cluster, coldRequest('m', { nodeSelector: { gpu: 'h100' } }))).toEqual({ kind: 'no-matching-node' });
  });

  it('places on the node matching the selector', () => {
    const cluster = view([node('a', { labels: { gpu: 'a100' } }), node('b', { labels: { gpu: 'h100' } })]);
    const plan = planPlacement(cluster, coldRequest('m', { nodeSelector: { gpu: 'h100' } }));
    expect(plan).toMatchObject({ kind: 'place', nodeId: 'b', replicaIndex: 0, victims: [] });
  });

  it('avoids a node holding a model of the same group', () => {
    const cluster = view([node('a'), node('b')], [replica('big', 'a', { groups: ['gpu-heavy'], inFlight: 1 })]);
    const plan = planPlacement(cluster, coldRequest('m', { groups: ['gpu-heavy'] }));
    expect(plan).toMatchObject({ kind: 'place', nodeId: 'b', groupRuleRelaxed: false });
  });

  it('relaxes group rule when all nodes conflict', () => {
    const cluster = view(
      [node('a'), node('b')],
      [replica('x', 'a', { groups: ['g'], inFlight: 2 }), replica('y', 'b', { groups: ['g'], inFlight: 0 })],
    );
    const plan = planPlacement(cluster, coldRequest('m', { groups: ['g'] }));
    expect(plan).toMatchObject({
      kind: 'place',
      nodeId: 'b',
      groupRuleRelaxed: true,
      victims: [{ key: { modelId: 'y', nodeId: 'b', replicaIndex: 0 }, reason: 'group' }],
    });
  });

  it('prefers an idle node, then the least loaded', () => {
    const busy = view([node('a'), node('b')], [replica('x', 'a', { inFlight: 1 }), replica('y', 'b', { inFlight: 0 })]);
    expect(planPlacement(busy, coldRequest('m'))).toMatchObject({ kind: 'place', nodeId: 'b' });
    const loaded = view([node('a'), node('b')], [replica('x', 'a', { inFlight: 3 }), replica('y', 'b', { inFlight: 2 })]);
    expect(planPlacement(loaded, coldRequest('m'))).toMatchObject({ kind: 'place', nodeId: 'b' });
  });

  it('reserves the model size on a node where it fits after reservations', () => {
    const cluster = view([
      node('a', { availableMemoryBytes: 40 * GiB, reservedMemoryBytes: 30 * GiB }),
      node('b', { availableMemoryBytes: 20 * GiB }),
    ]);
    const plan = planPlacement(cluster, coldRequest('m', { sizeBytes: 15 * GiB }));
    expect(plan).toMatchObject({ kind: 'place', nodeId: 'b', reserveBytes: 15 * GiB });
  });

  it('evicts the least recently used idle replica when nothing fits', () => {
    const models = [scheduling('old'), scheduling('new'), scheduling('busy')];
    const cluster = view(
      [node('a', { availableMemoryBytes: 0 }), node('b', { availableMemoryBytes: 0 })],
      [
        replica('busy', 'a', { lastUsedMs: 1, inFlight: 1, sizeBytes: 40 * GiB }),
        replica('old', 'b', { lastUsedMs: 5, sizeBytes: 40 * GiB }),
        replica('new', 'a', { lastUsedMs: 9, sizeBytes: 40 * GiB }),
      ],
      models,
    );
    const plan = planPlacement(cluster, coldRequest('m', { sizeBytes: 30 * GiB }));
    expect(plan).toMatchObject({
      kind: 'place',
      nodeId: 'b',
      victims: [{ key: { modelId: 'old', nodeId: 'b' }, reason: 'cluster-lru' }],
    });
  });

  it('spares replicas its model needs for its minimum', () => {
    const cluster = view(
      [node('a', { availableMemoryBytes: 0 }), node('b', { availableMemoryBytes: 0 })],
      [replica('kept', 'a', { lastUsedMs: 1, sizeBytes: 40 * GiB }), replica('spare', 'b', { lastUsedMs: 9, sizeBytes: 40 * GiB })],
      [scheduling('kept', { minReplicas: 1 })],
    );
    const plan = planPlacement(cluster, coldRequest('m', { sizeBytes: 30 * GiB }));
    expect(plan).toMatchObject({ kind: 'place', nodeId: 'b', victims: [{ key: { modelId: 'spare' } }] });
  });

  it('reports busy when only replicas with calls in flight are in the way', () => {
    const cluster = view([node('a', { availableMemoryBytes: 0 })], [replica('x', 'a', { inFlight: 1, sizeBytes: 80 * GiB })]);
    const plan = planPlacement(cluster, coldRequest('m', { sizeBytes: 10 * GiB }));
    expect(plan).toEqual({ kind: 'busy', blockers: [{ modelId: 'x', nodeId: 'a', replicaIndex: 0 }] });
  });

  it('reports no capacity for a model larger than every node', () => {
    const plan = planPlacement(view([node('a')]), coldRequest('m', { sizeBytes: 81 * GiB }));
    expect(plan.kind).toBe('no-capacity');
  });

  it('reports no capacity when only pinned replicas are in the way', () => {
    const cluster = view([node('a', { availableMemoryBytes: 0 })], [replica('x', 'a', { pinned: true, sizeBytes: 80 * GiB })]);
    expect(planPlacement(cluster, coldRequest('m', { sizeBytes: 10 * GiB })).kind).toBe('no-capacity');
  });

  it('waits for a replica of the model that is already loading', () => {
    const cluster = view([node('a'), node('b')], [replica('m', 'a', { state: 'loading' })]);
    expect(planPlacement(cluster, coldRequest('m'))).toEqual({
      kind: 'wait-for-loading',
      replica: { modelId: 'm', nodeId: 'a', replicaIndex: 0 },
    });
  });

  it('takes the lowest free replica index for a scale-up', () => {
    const cluster = view([node('a', { replicaSlotsPerModel: 3 })], [replica('m', 'a', { replicaIndex: 0 }), replica('m', 'a', { replicaIndex: 2 })]);
    const plan = planPlacement(cluster, coldRequest('m', { purpose: 'scale-up', maxReplicas: 3, allowEviction: false }));
    expect(plan).toMatchObject({ kind: 'place', nodeId: 'a', replicaIndex: 1 });
  });

  it('stops a scale-up at the maximum replicas', () => {
    const cluster = view([node('a'), node('b')], [replica('m', 'a')]);
    const plan = planPlacement(cluster, coldRequest('m', { purpose: 'scale-up', maxReplicas: 1, allowEviction: false }));
    expect(plan).toEqual({ kind: 'at-max-replicas', replicas: 1 });
  });

  it('keeps a node to its slot count', () => {
    const cluster = view([node('a')], [replica('m', 'a')]);
    const plan = planPlacement(cluster, coldRequest('m', { purpose: 'scale-up', maxReplicas: 2, allowEviction: false }));
    expect(plan.kind).toBe('no-capacity');
  });
});
