import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leastLoadedPicker, pickBest, type PickCandidate } from '../../src/distributed/picker.js';
import type { PlacementRequest } from '../../src/distributed/placement/node-state.js';
import { planPlacement } from '../../src/distributed/placement/pipeline.js';
import { ReplicaReconciler } from '../../src/distributed/reconciler.js';
import { InMemoryRegistry } from '../../src/distributed/registry/memory-registry.js';
import { DistributedRouter } from '../../src/distributed/router.js';
import { toScheduling } from '../../src/distributed/scheduling.js';
import {
  matchesSelector,
  replicaId,
  sameReplica,
  sharesGroup,
  type ClusterView,
  type ModelScheduling,
  type NodeRecord,
  type ReplicaRecord,
} from '../../src/distributed/types.js';
import { GiB } from './support/builders.js';
import { CheckedRegistry } from './support/checked-registry.js';
import { propertyRuns } from './support/property-runs.js';
import { ScheduledFleet, SchedulerClock, Script } from './support/scheduled-fakes.js';

const MODELS = ['m0', 'm1', 'm2', 'm3', 'm4'];
const GROUPS = ['g1', 'g2'];

// ---- Arbitraries ----

const modelArb = fc.record({
  groups: fc.subarray(GROUPS),
  minReplicas: fc.integer({ min: 0, max: 2 }),
  sizeGiB: fc.option(fc.integer({ min: 5, max: 40 }), { nil: undefined }),
  selector: fc.constantFrom<Record<string, string>>({}, {}, { gpu: 'a' }),
});

const nodeArb = fc.record({
  totalGiB: fc.integer({ min: 10, max: 80 }),
  slots: fc.integer({ min: 1, max: 2 }),
  gpu: fc.constantFrom('a', 'b'),
  status: fc.constantFrom<NodeRecord['status']>('healthy', 'healthy', 'healthy', 'unhealthy', 'draining'),
});

const replicaArb = fc.record({
  model: fc.integer({ min: 0, max: MODELS.length - 1 }),
  node: fc.nat(),
  loading: fc.boolean(),
  inFlight: fc.integer({ min: 0, max: 2 }),
  lastUsedMs: fc.integer({ min: 0, max: 100 }),
});

/** A consistent cluster: replicas respect slots, memory figures add up. */
const clusterArb = fc
  .record({
    models: fc.array(modelArb, { minLength: MODELS.length, maxLength: MODELS.length }),
    nodes: fc.array(nodeArb, { minLength: 1, maxLength: 4 }),
    replicas: fc.array(replicaArb, { maxLength: 10 }),
    pinnedModel: fc.option(fc.integer({ min: 0, max: MODELS.length - 1 }), { nil: undefined }),
  })
  .map(({ models, nodes, replicas, pinnedModel }): ClusterView => {
    const schedulings: ModelScheduling[] = models.map((m, i) =>
      toScheduling({
        modelId: MODELS[i]!,
        minReplicas: m.minReplicas,
        maxReplicas: 3,
        groups: m.groups,
        sizeBytes: m.sizeGiB === undefined ? undefined : m.sizeGiB * GiB,
        nodeSelector: m.selector,
      }),
    );
    const records: ReplicaRecord[] = [];
    const used = new Map<string, number>();
    const reserved = new Map<string, number>();
    for (const r of replicas) {
      const nodeIndex = r.node % nodes.length;
      const nodeId = `n${nodeIndex}`;
      const model = schedulings[r.model]!;
      const index = records.filter((x) => x.nodeId === nodeId && x.modelId === model.modelId).length;
      const size = model.sizeBytes ?? 0;
      const total = nodes[nodeIndex]!.totalGiB * GiB;
      // The registry drops an unhealthy node's replicas, so such a node holds none.
      if (nodes[nodeIndex]!.status === 'unhealthy' || index >= nodes[nodeIndex]!.slots || (used.get(nodeId) ?? 0) + (reserved.get(nodeId) ?? 0) + size > total) {
        continue;
      }
      const loading = r.loading;
      (loading ? reserved : used).set(nodeId, ((loading ? reserved : used).get(nodeId) ?? 0) + size);
      records.push({
        modelId: model.modelId,
        nodeId,
        replicaIndex: index,
        state: loading ? 'loading' : 'loaded',
        address: loading ? undefined : `${nodeId}/${model.modelId}/${index}`,
        inFlight: loading ? 0 : r.inFlight,
        lastUsedMs: r.lastUsedMs,
        sizeBytes: model.sizeBytes,
        reservedMemoryBytes: loading ? size : 0,
        groups: model.groups,
        pinned: r.model === pinnedModel,
      });
    }
    const nodeRecords: NodeRecord[] = nodes.map((n, i) => ({
      id: `n${i}`,
      agentAddress: `agent-n${i}`,
      status: n.status,
      labels: { gpu: n.gpu },
      totalMemoryBytes: n.totalGiB * GiB,
      availableMemoryBytes: n.totalGiB * GiB - (used.get(`n${i}`) ?? 0),
      reservedMemoryBytes: reserved.get(`n${i}`) ?? 0,
      replicaSlotsPerModel: n.slots,
      lastHeartbeatMs: 0,
    }));
    return { nowMs: 1_000, nodes: nodeRecords, replicas: records, models: new Map(schedulings.map((s) => [s.modelId, s])) };
  });

function placementRequest(view: ClusterView, modelId: string, purpose: PlacementRequest['purpose']): PlacementRequest {
  const s = view.models.get(modelId)!;
  return {
    modelId,
    sizeBytes: s.sizeBytes,
    groups: s.groups,
    nodeSelector: s.nodeSelector,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    purpose,
    allowEviction: purpose !== 'scale-up',
  };
}

// ---- The pick order ----

const candidateArb = fc
  .uniqueArray(
    fc.record({
      node: fc.constantFrom('a', 'b', 'c', 'd'),
      index: fc.integer({ min: 0, max: 2 }),
      inFlight: fc.integer({ min: 0, max: 3 }),
      lastUsedMs: fc.integer({ min: 0, max: 3 }),
      memory: fc.integer({ min: 0, max: 3 }),
    }),
    { selector: (c) => `${c.node}#${c.index}`, minLength: 1, maxLength: 8 },
  )
  .map((list) =>
    list.map(
      (c): PickCandidate => ({
        replica: {
          modelId: 'm',
          nodeId: c.node,
          replicaIndex: c.index,
          state: 'loaded',
          address: `${c.node}#${c.index}`,
          inFlight: c.inFlight,
          lastUsedMs: c.lastUsedMs,
          sizeBytes: undefined,
          reservedMemoryBytes: 0,
          groups: [],
          pinned: false,
        },
        inFlight: c.inFlight,
        lastUsedMs: c.lastUsedMs,
        availableMemoryBytes: c.memory,
      }),
    ),
  );

describe('distributed invariants', () => {
  it('pick order is strict and total', () => {
    fc.assert(
      fc.property(candidateArb, (candidates) => {
        const compare = leastLoadedPicker.compare;
        for (const a of candidates) {
          expect(compare(a, a)).toBe(0);
          for (const b of candidates) {
            if (a !== b) {
              expect(compare(a, b)).not.toBe(0);
              expect(Math.sign(compare(a, b))).toBe(-Math.sign(compare(b, a)));
            }
            for (const c of candidates) {
              if (compare(a, b) < 0 && compare(b, c) < 0) {
                expect(compare(a, c)).toBeLessThan(0);
              }
            }
          }
        }
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('picked replica is never beaten', () => {
    fc.assert(
      fc.property(candidateArb, (candidates) => {
        const picked = pickBest(leastLoadedPicker, candidates)!;
        for (const other of candidates) {
          const beats =
            other.inFlight < picked.inFlight ||
            (other.inFlight === picked.inFlight && other.lastUsedMs < picked.lastUsedMs) ||
            (other.inFlight === picked.inFlight && other.lastUsedMs === picked.lastUsedMs && other.availableMemoryBytes > picked.availableMemoryBytes);
          expect(beats).toBe(false);
        }
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('registry acquires the first-ranked replica', async () => {
    await fc.assert(
      fc.asyncProperty(clusterArb, fc.constantFrom(...MODELS), async (view, modelId) => {
        const registry = await registryFrom(view);
        const acquired = await registry.acquireReplica(modelId, {}, leastLoadedPicker, 5_000);
        const eligible = view.replicas.filter((r) => {
          const node = view.nodes.find((n) => n.id === r.nodeId)!;
          return r.modelId === modelId && r.state === 'loaded' && node.status === 'healthy';
        });
        const expected = pickBest(
          leastLoadedPicker,
          eligible.map((r) => {
            const node = view.nodes.find((n) => n.id === r.nodeId)!;
            return { replica: r, inFlight: r.inFlight, lastUsedMs: r.lastUsedMs, availableMemoryBytes: node.availableMemoryBytes - node.reservedMemoryBytes };
          }),
        );
        expect(acquired && replicaId(acquired)).toBe(expected && replicaId(expected.replica));
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  // ---- Single placements ----

  it('placement spares busy and minimum replicas', () => {
    fc.assert(
      fc.property(clusterArb, fc.constantFrom(...MODELS), fc.constantFrom<PlacementRequest['purpose']>('cold', 'min-replicas', 'scale-up'), (view, modelId, purpose) => {
        const request = placementRequest(view, modelId, purpose);
        const plan = planPlacement(view, request);
        if (plan.kind !== 'place') {
          return;
        }
        const victims = plan.victims.map((v) => view.replicas.find((r) => sameReplica(r, v.key))!);
        const node = view.nodes.find((n) => n.id === plan.nodeId)!;
        const remaining = view.replicas.filter((r) => r.nodeId === node.id && !victims.includes(r));

        // Victims: never busy, loading or pinned, and no model below its minimum.
        for (const victim of victims) {
          expect(victim.inFlight).toBe(0);
          expect(victim.state).toBe('loaded');
          expect(victim.pinned).toBe(false);
          const left = view.replicas.filter((r) => r.modelId === victim.modelId && !victims.includes(r)).length;
          expect(left).toBeGreaterThanOrEqual(view.models.get(victim.modelId)!.minReplicas);
        }
        if (purpose === 'scale-up') {
          expect(victims).toEqual([]);
        }

        // Slots.
        expect(remaining.filter((r) => r.modelId === modelId).length + 1).toBeLessThanOrEqual(node.replicaSlotsPerModel);
        expect(remaining.some((r) => r.modelId === modelId && r.replicaIndex === plan.replicaIndex)).toBe(false);

        // Memory fits after reservations and victims.
        const freed = victims.reduce((sum, r) => sum + (r.sizeBytes ?? 0), 0);
        expect(node.availableMemoryBytes - node.reservedMemoryBytes + freed).toBeGreaterThanOrEqual(request.sizeBytes ?? 0);
        expect(plan.reserveBytes).toBe(request.sizeBytes ?? 0);

        // Next to a conflicting group only when every candidate holds one.
        expect(node.status).toBe('healthy');
        expect(matchesSelector(node.labels, request.nodeSelector)).toBe(true);
        const conflict = (nodeId: string, replicas: readonly ReplicaRecord[]) =>
          replicas.some((r) => r.nodeId === nodeId && r.modelId !== modelId && sharesGroup(r.groups, request.groups));
        if (conflict(node.id, remaining)) {
          const candidates = view.nodes.filter((n) => n.status === 'healthy' && matchesSelector(n.labels, request.nodeSelector));
          expect(candidates.every((n) => conflict(n.id, view.replicas))).toBe(true);
          expect(plan.groupRuleRelaxed).toBe(true);
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('reservations return to zero', async () => {
    await fc.assert(
      fc.asyncProperty(clusterArb, fc.array(fc.record({ model: fc.constantFrom(...MODELS), fails: fc.boolean() }), { maxLength: 6 }), async (view, loads) => {
        const registry = await registryFrom(view);
        for (const replica of view.replicas.filter((r) => r.state === 'loading')) {
          await registry.completeLoad(replica, 'addr', 2_000);
        }
        const reservedKeys = [];
        for (const load of loads) {
          const scheduling = (await registry.getModel(load.model))!;
          const outcome = await registry.reserveReplica(
            { modelId: load.model, sizeBytes: scheduling.sizeBytes, groups: scheduling.groups, pinned: false },
            (v) => planPlacement(v, placementRequest(v, load.model, 'min-replicas')),
            2_000,
          );
          if (outcome.kind === 'reserved') {
            reservedKeys.push({ key: outcome.replica, fails: load.fails });
          }
          for (const node of await registry.listNodes()) {
            expect(node.reservedMemoryBytes).toBeGreaterThanOrEqual(0);
          }
        }
        for (const { key, fails } of reservedKeys) {
          if (fails) await registry.removeReplica(key);
          else await registry.completeLoad(key, 'addr', 3_000);
        }
        for (const node of await registry.listNodes()) {
          expect(node.reservedMemoryBytes).toBe(0);
        }
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  // ---- Concurrent routes, calls and evictions (fc.scheduler) ----

  it('concurrent routes keep every invariant', async () => {
    const operationArb = fc.oneof(
      fc.record({ kind: fc.constant('route' as const), model: fc.constantFrom(...MODELS), calls: fc.array(fc.constantFrom('finish', 'cancel', 'abandon'), { maxLength: 2 }) }),
      fc.record({ kind: fc.constant('drop' as const), model: fc.constantFrom(...MODELS) }),
      fc.record({ kind: fc.constant('reconcile' as const) }),
      fc.record({ kind: fc.constant('shutdown' as const), model: fc.constantFrom(...MODELS), force: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(modelArb, { minLength: MODELS.length, maxLength: MODELS.length }),
        fc.array(nodeArb.map((n) => ({ ...n, status: 'healthy' as const })), { minLength: 1, maxLength: 3 }),
        fc.array(operationArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { maxLength: 4 }),
        fc.array(fc.boolean(), { maxLength: 4 }),
        fc.array(fc.constantFrom<'ok' | 'error'>('ok', 'ok', 'error'), { maxLength: 4 }),
        async (s, models, nodes, operations, startFailures, loadFailures, callOutcomes) => {
          const inner = new InMemoryRegistry();
          const registry = new CheckedRegistry(inner, s);
          for (const [i, n] of nodes.entries()) {
            await inner.registerNode({ id: `n${i}`, agentAddress: `agent-n${i}`, totalMemoryBytes: n.totalGiB * GiB, labels: { gpu: n.gpu }, replicaSlotsPerModel: n.slots }, 0);
          }
          for (const [i, m] of models.entries()) {
            const modelId = MODELS[i]!;
            await inner.updateModel(modelId, () =>
              toScheduling({
                modelId,
                minReplicas: m.minReplicas,
                maxReplicas: 2,
                groups: m.groups,
                sizeBytes: m.sizeGiB === undefined ? undefined : m.sizeGiB * GiB,
                request: { modelId, modelFile: `${modelId}.gguf`, backend: 'fake' },
              }),
            );
          }

          const fleet = new ScheduledFleet(s, new Script(startFailures), new Script(loadFailures), new Script(callOutcomes));
          const clock = new SchedulerClock(s);
          const router = new DistributedRouter({
            registry,
            clock,
            connectAgent: (node) => fleet.agent(node.id, node.agentAddress),
            connectBackend: (address) => fleet.backend(address),
            reachabilityTtlMs: 0,
            busyRetries: 1,
            pickLeaseTimeoutMs: 0,
            shutdownBusyTimeoutMs: 0,
          });
          const reconciler = new ReplicaReconciler({ registry, router, clock, scaleDownIdleMs: 0 });
          let acquired = 0;
          router.events.on((event) => {
            if (event.type === 'replica-acquired') acquired += 1;
            if (event.type === 'replica-released') acquired -= 1;
          });

          const run = async (operation: (typeof operations)[number]): Promise<void> => {
            switch (operation.kind) {
              case 'route': {
                const routed = await router.route({ modelId: operation.model, modelFile: `${operation.model}.gguf`, backend: 'fake' });
                const calls = operation.calls.length === 0 ? ['finish'] : operation.calls;
                await Promise.allSettled(
                  calls.map(async (how) => {
                    if (how === 'abandon') {
                      routed.client.close();
                      return;
                    }
                    const abort = new AbortController();
                    const call = routed.client.predict({}, { signal: abort.signal });
                    if (how === 'cancel') abort.abort();
                    await call;
                  }),
                );
                routed.client.close();
                return;
              }
              case 'drop': {
                const [replica] = await registry.listReplicas({ modelId: operation.model, state: 'loaded' });
                if (replica) await router.dropReplica(replica.modelId, replica.nodeId, replica.replicaIndex);
                return;
              }
              case 'reconcile':
                await reconciler.runOnce();
                return;
              case 'shutdown':
                await router.shutdownModel(operation.model, { force: operation.force });
                return;
            }
          };

          const all = Promise.allSettled(operations.map((operation) => run(operation)));
          await s.waitFor(all);
          await s.waitFor(router.settled());
          await s.waitIdle();

          expect(registry.violations).toEqual([]);
          // Every in-flight count returned to zero, whatever failed.
          expect(acquired).toBe(0);
          for (const replica of await inner.listReplicas()) {
            expect(replica.inFlight, replicaId(replica)).toBe(0);
          }
          // No load is in progress, so nothing stays reserved.
          for (const node of await inner.listNodes()) {
            expect(node.reservedMemoryBytes, node.id).toBe(0);
          }
          await router.close();
        },
      ),
      { numRuns: propertyRuns(200, 0.5) },
    );
  });
});

async function registryFrom(view: ClusterView): Promise<InMemoryRegistry> {
  const registry = new InMemoryRegistry();
  for (const node of view.nodes) {
    await registry.registerNode(
      {
        id: node.id,
        agentAddress: node.agentAddress,
        labels: node.labels,
        totalMemoryBytes: node.totalMemoryBytes,
        replicaSlotsPerModel: node.replicaSlotsPerModel,
      },
      0,
    );
  }
  for (const scheduling of view.models.values()) {
    await registry.updateModel(scheduling.modelId, () => scheduling);
  }
  for (const replica of view.replicas) {
    const outcome = await registry.reserveReplica(
      { modelId: replica.modelId, sizeBytes: replica.sizeBytes, groups: replica.groups, pinned: replica.pinned },
      () => ({ kind: 'place', nodeId: replica.nodeId, replicaIndex: replica.replicaIndex, reserveBytes: replica.sizeBytes ?? 0, victims: [], groupRuleRelaxed: false }),
      0,
    );
    expect(outcome.kind).toBe('reserved');
    if (replica.state === 'loaded') {
      await registry.completeLoad(replica, replica.address!, replica.lastUsedMs);
      await registry.addInFlight(replica, replica.inFlight, replica.lastUsedMs);
    }
  }
  // Node status last: the registry accepts placements on healthy nodes only.
  for (const node of view.nodes) {
    if (node.status !== 'healthy') {
      await registry.setNodeStatus(node.id, node.status, 0);
    }
  }
  return registry;
}
