import { describe, expect, it } from 'vitest';
import { AllReplicasBusyError, LoadFailedError, NoMatchingNodeError } from '../../src/errors.js';
import { ModelLoader } from '../../src/loader/model-loader.js';
import { toScheduling } from '../../src/distributed/scheduling.js';
import { GiB } from './support/builders.js';
import { createClusterHarness, nodes, request } from './support/harness.js';

describe('DistributedRouter', () => {
  it('places a first request and loads the model', async () => {
    const h = await createClusterHarness({ nodes: nodes('a', 'b') });
    const routed = await h.settle(h.router.route(request('m')));

    expect(routed.nodeId).toBe('a');
    expect(h.runningOn('a')).toEqual(['m#0']);
    const [replica] = await h.cluster.registry.listReplicas({ modelId: 'm' });
    expect(replica?.state).toBe('loaded');
    expect(replica?.inFlight).toBe(1);
    expect(h.launcher.loadModelCalls('m')).toBe(1);
  });

  it('shares one placement among concurrent first requests', async () => {
    const h = await createClusterHarness({ nodes: nodes('a', 'b') }, () => ({ loadMs: 500 }));
    const routes = Array.from({ length: 6 }, () => h.router.route(request('m')));
    const routed = await h.settle(Promise.all(routes));

    expect(new Set(routed.map((r) => r.nodeId))).toEqual(new Set(['a']));
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.launcher.loadModelCalls('m')).toBe(1);
    expect(h.eventsOf('replica-load-started')).toHaveLength(1);
  });

  it('spreads requests over replicas by in-flight count', async () => {
    const h = await createClusterHarness({ nodes: nodes('a', 'b', 'c'), models: [{ modelId: 'm', minReplicas: 3, maxReplicas: 3 }] }, () => ({
      callMs: 100,
    }));
    const scheduling = toScheduling({ modelId: 'm', minReplicas: 3, maxReplicas: 3, request: request('m') });
    for (let i = 0; i < 3; i += 1) {
      await h.settle(h.router.placeReplica(scheduling, 'min-replicas'));
    }

    const routed = await h.settle(Promise.all([1, 2, 3].map(() => h.router.route(request('m')))));
    expect(routed.map((r) => r.nodeId).sort()).toEqual(['a', 'b', 'c']);
  });

  it('releases the in-flight count after success, failure and cancel', async () => {
    const h = await createClusterHarness({ nodes: nodes('a') }, () => ({ callMs: 100 }));
    const key = { modelId: 'm', nodeId: 'a', replicaIndex: 0 };

    const ok = await h.settle(h.router.route(request('m')));
    await h.settle(ok.client.predict({ Prompt: 'hi' }));
    expect((await h.cluster.registry.getReplica(key))?.inFlight).toBe(0);

    const cancelled = await h.settle(h.router.route(request('m')));
    const abort = new AbortController();
    const call = cancelled.client.predict({ Prompt: 'hi' }, { signal: abort.signal });
    abort.abort();
    await expect(h.settle(call)).rejects.toThrow(/cancelled/);
    await h.settle(h.router.settled());
    expect((await h.cluster.registry.getReplica(key))?.inFlight).toBe(0);

    const failing = await h.settle(h.router.route(request('m')));
    const pending = failing.client.predict({ Prompt: 'hi' });
    h.processAt(failing.address)!.crash();
    await expect(h.settle(pending)).rejects.toThrow(/backend exited/);
    await h.settle(h.router.settled());
    expect((await h.cluster.registry.getReplica(key))?.inFlight ?? 0).toBe(0);
  });

  it('counts every later call on a client separately', async () => {
    const h = await createClusterHarness({ nodes: nodes('a') }, () => ({ callMs: 100 }));
    const routed = await h.settle(h.router.route(request('m')));
    const calls = [routed.client.predict({}), routed.client.predict({}), routed.client.predict({})];
    await h.settle(h.router.settled());
    expect((await h.cluster.registry.getReplica({ modelId: 'm', nodeId: 'a', replicaIndex: 0 }))?.inFlight).toBe(3);
    await h.settle(Promise.all(calls));
    await h.settle(h.router.settled());
    expect((await h.cluster.registry.getReplica({ modelId: 'm', nodeId: 'a', replicaIndex: 0 }))?.inFlight).toBe(0);
  });

  it('expires a pick whose call never comes', async () => {
    const h = await createClusterHarness({ nodes: nodes('a'), router: { pickLeaseTimeoutMs: 1_000 } });
    await h.settle(h.router.route(request('m')));
    await h.clock.runUntil(1_000);
    await h.settle(h.router.settled());
    expect((await h.cluster.registry.getReplica({ modelId: 'm', nodeId: 'a', replicaIndex: 0 }))?.inFlight).toBe(0);
    expect(h.eventsOf('replica-released')).toHaveLength(1);
  });

  it('removes an unreachable replica and places a new one', async () => {
    const h = await createClusterHarness({ nodes: nodes('a', 'b'), router: { reachabilityTtlMs: 0 } });
    const first = await h.settle(h.router.route(request('m')));
    first.client.close();
    h.processAt(first.address)!.crash();

    const second = await h.settle(h.router.route(request('m')));
    expect(second.address).not.toBe(first.address);
    expect(h.eventsOf('replica-removed').map((e) => e.reason)).toEqual(['connection-error']);
  });

  it('releases reservation and slot when a load fails', async () => {
    const h = await createClusterHarness({ nodes: nodes('a') }, () => ({ failLoad: 'bad weights' }));
    await expect(h.settle(h.router.route(request('m', { sizeBytes: 10 * GiB })))).rejects.toBeInstanceOf(LoadFailedError);

    expect(await h.cluster.registry.listReplicas()).toEqual([]);
    expect((await h.cluster.registry.getNode('a'))?.reservedMemoryBytes).toBe(0);
    expect(h.runningOn('a')).toEqual([]);
  });

  it('fails with all busy after its retries', async () => {
    const h = await createClusterHarness(
      { nodes: [{ id: 'a', agentAddress: 'agent-a', totalMemoryBytes: 40 * GiB }], router: { busyRetries: 2, busyRetryIntervalMs: 100 } },
      (modelId) => (modelId === 'x' ? { hangCalls: true } : {}),
    );
    const x = await h.settle(h.router.route(request('x', { sizeBytes: 30 * GiB })));
    void x.client.predict({}).catch(() => undefined);

    const error = await h.settle(h.router.route(request('y', { sizeBytes: 30 * GiB }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllReplicasBusyError);
    expect(h.eventsOf('placement-waited')).toHaveLength(2);
    expect((await h.cluster.registry.getNode('a'))?.reservedMemoryBytes).toBe(0);
  });

  it('evicts an idle replica to make room', async () => {
    const h = await createClusterHarness({ nodes: [{ id: 'a', agentAddress: 'agent-a', totalMemoryBytes: 40 * GiB }] });
    const x = await h.settle(h.router.route(request('x', { sizeBytes: 30 * GiB })));
    await h.settle(x.client.predict({}));

    await h.settle(h.router.route(request('y', { sizeBytes: 30 * GiB })));
    expect(h.runningOn('a')).toEqual(['y#0']);
    expect(h.eventsOf('replica-removed')).toMatchObject([{ modelId: 'x', reason: 'cluster-lru', forModelId: 'y' }]);
  });

  it('places again when an agent is unreachable', async () => {
    const h = await createClusterHarness({ nodes: nodes('a', 'b') });
    h.downNodes.add('a');
    const routed = await h.settle(h.router.route(request('m')));

    expect(routed.nodeId).toBe('b');
    expect(h.eventsOf('replica-load-failed').map((e) => e.nodeId)).toEqual(['a']);
    const next = await h.settle(h.router.placeReplica(toScheduling({ modelId: 'x', request: request('x') }), 'min-replicas'));
    expect(next).toMatchObject({ kind: 'started', replica: { nodeId: 'b' } });
  });

  it('fails when every agent is unreachable', async () => {
    const h = await createClusterHarness({ nodes: nodes('a', 'b') });
    h.downNodes.add('a');
    h.downNodes.add('b');
    await expect(h.settle(h.router.route(request('m')))).rejects.toBeInstanceOf(LoadFailedError);
    expect(h.eventsOf('replica-load-failed')).toHaveLength(3);
    expect(await h.cluster.registry.listReplicas()).toEqual([]);
  });

  it('rejects a selector no node matches', async () => {
    const h = await createClusterHarness({ nodes: nodes('a'), models: [{ modelId: 'm', nodeSelector: { gpu: 'h100' } }] });
    await expect(h.settle(h.router.route(request('m')))).rejects.toBeInstanceOf(NoMatchingNodeError);
  });

  it('stops every replica on shutdown of a model', async () => {
    const h = await createClusterHarness({ nodes: nodes('a', 'b') });
    const routed = await h.settle(h.router.route(request('m')));
    await h.settle(routed.client.predict({}));

    expect(await h.settle(h.router.shutdownModel('m', { force: false }))).toBe(true);
    expect(h.runningOn('a')).toEqual([]);
    expect(await h.settle(h.router.shutdownModel('m', { force: false }))).toBe(false);
  });

  it('serves a ModelLoader in distributed mode', async () => {
    const h = await createClusterHarness({ nodes: nodes('a', 'b') });
    const loader = new ModelLoader({ launcher: h.launcher, clock: h.clock, router: h.router, modelsDir: '/models' });
    const client = await h.settle(loader.load(request('m')));
    const reply = await h.settle(client.predict({ Prompt: 'hello' }));

    expect(new TextDecoder().decode(reply.message)).toBe('echo:hello');
    expect(loader.list().map((m) => [m.modelId, m.nodeId])).toEqual([['m', 'a']]);
    await h.settle(loader.shutdownModel('m'));
    expect(h.runningOn('a')).toEqual([]);
    await h.settle(loader.shutdown());
  });
});
