import { describe, expect, it, vi } from 'vitest';
import { BackendCallError } from '../../src/errors.js';
import { createHarness, request } from './harness.js';

describe('ModelLoader resident path', () => {
  it('serves a resident model without a second spawn', async () => {
    const h = createHarness();
    const first = await h.settle(h.loader.load(request('a')));
    const second = await h.settle(h.loader.load(request('a')));
    expect(second).toBe(first);
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.eventsOf('resident-hit')).toHaveLength(1);
  });

  it('refreshes last-used time on a resident hit', async () => {
    const h = createHarness();
    await h.settle(h.loader.load(request('a')));
    await h.clock.runUntil(5_000);
    await h.settle(h.loader.load(request('a')));
    expect(h.loader.get('a')?.lastUsedMs).toBe(5_000);
  });

  it('probes health only after the health TTL', async () => {
    const h = createHarness({ healthTtlMs: 30_000 });
    await h.settle(h.loader.load(request('a')));
    const health = vi.spyOn(h.launcher.launches[0]!.process.client, 'health');
    await h.clock.runUntil(10_000);
    await h.settle(h.loader.load(request('a')));
    expect(health).not.toHaveBeenCalled();
    await h.clock.runUntil(31_000);
    await h.settle(h.loader.load(request('a')));
    expect(health).toHaveBeenCalledTimes(1);
  });

  it('reloads a model whose local process died', async () => {
    const h = createHarness();
    await h.settle(h.loader.load(request('a')));
    h.launcher.launches[0]!.process.crash(139);
    await h.settle(h.loader.load(request('a')));
    expect(h.launcher.launches).toHaveLength(2);
    const exits = h.eventsOf('backend-exited');
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ modelId: 'a', exitCode: 139, intentional: false });
  });

  it('evicts an attached backend that refuses connections', async () => {
    let refuse = false;
    const h = createHarness(
      { backends: { remote: { address: '127.0.0.1:1' } }, healthTtlMs: 0 },
      () => ({ get refuseConnections() { return refuse; } }),
    );
    await h.settle(h.loader.load(request('a', { backend: 'remote' })));
    refuse = true;
    await h.clock.runUntil(1);
    await h.settle(h.loader.load(request('a', { backend: 'remote' })));
    expect(h.eventsOf('evicted').map((e) => e.reason)).toEqual(['connection-error']);
    expect(h.launcher.launches).toHaveLength(2);
  });

  it('keeps a resident backend whose health check only times out', async () => {
    const h = createHarness({ healthTtlMs: 0 });
    await h.settle(h.loader.load(request('a')));
    vi.spyOn(h.launcher.launches[0]!.process.client, 'health').mockRejectedValue(
      new BackendCallError('Health', 'memory://a', 'deadline', 'deadline exceeded'),
    );
    await h.clock.runUntil(1);
    await h.settle(h.loader.load(request('a')));
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.eventsOf('evicted')).toHaveLength(0);
  });

  it('evicts an attached backend after a call fails with a connection error', async () => {
    const h = createHarness({ backends: { remote: { address: '127.0.0.1:1' } } });
    const client = await h.settle(h.loader.load(request('a', { backend: 'remote' })));
    vi.spyOn(h.launcher.launches[0]!.process.client, 'predict').mockRejectedValue(
      new BackendCallError('Predict', 'memory://a', 'connection', 'connection reset'),
    );
    await expect(h.settle(client.predict({ Prompt: 'x' }))).rejects.toThrow(/connection reset/);
    await h.clock.run();
    expect(h.eventsOf('evicted').map((e) => e.reason)).toEqual(['connection-error']);
    await h.settle(h.loader.load(request('a', { backend: 'remote' })));
    expect(h.launcher.launches).toHaveLength(2);
  });
});

describe('ModelLoader cold path', () => {
  it('evicts group conflicts oldest first before loading', async () => {
    const h = createHarness();
    await h.settle(h.loader.load(request('a', { groups: ['big'] })));
    await h.clock.runUntil(1_000);
    await h.settle(h.loader.load(request('b', { groups: ['big', 'other'] })));
    expect(h.resident()).toEqual(['b']);
    await h.clock.runUntil(2_000);
    await h.settle(h.loader.load(request('c')));
    await h.settle(h.loader.load(request('d', { groups: ['other'] })));
    expect(h.resident()).toEqual(['c', 'd']);
    expect(h.eventsOf('evicted').map((e) => [e.modelId, e.reason, e.forModelId])).toEqual([
      ['a', 'group', 'b'],
      ['b', 'group', 'd'],
    ]);
  });

  it('evicts the least recently used model at the LRU limit', async () => {
    const h = createHarness({ lruLimit: 2 });
    await h.settle(h.loader.load(request('a')));
    await h.clock.runUntil(1_000);
    await h.settle(h.loader.load(request('b')));
    await h.clock.runUntil(2_000);
    await h.settle(h.loader.load(request('a')));
    await h.settle(h.loader.load(request('c')));
    expect(h.resident()).toEqual(['a', 'c']);
    expect(h.eventsOf('evicted').map((e) => [e.modelId, e.reason])).toEqual([['b', 'lru']]);
  });

  it('evicts the largest model first under the size-aware policy', async () => {
    const h = createHarness({ lruLimit: 2, evictionPolicy: 'size-aware' });
    await h.settle(h.loader.load(request('small', { sizeBytes: 1e9 })));
    await h.clock.runUntil(1_000);
    await h.settle(h.loader.load(request('large', { sizeBytes: 8e9 })));
    await h.settle(h.loader.load(request('next', { sizeBytes: 2e9 })));
    expect(h.resident()).toEqual(['next', 'small']);
  });

  it('keeps a pinned model and overflows after the retry window', async () => {
    const h = createHarness({ lruLimit: 1, evictionRetries: 3, evictionRetryIntervalMs: 1_000 });
    await h.settle(h.loader.load(request('a', { pinned: true })));
    await h.settle(h.loader.load(request('b')));
    expect(h.resident()).toEqual(['a', 'b']);
    const overflow = h.eventsOf('overflow');
    expect(overflow).toEqual([{ type: 'overflow', timeMs: 3_000, modelId: 'b', kind: 'lru', blockers: ['a'] }]);
    expect(h.logger.records.some((r) => r.level === 'warn' && r.fields['modelId'] === 'b')).toBe(true);
    expect(h.eventsOf('evicted')).toHaveLength(0);
  });

  it('loads as soon as a busy blocker goes idle', async () => {
    const h = createHarness({ lruLimit: 1 }, (id) => (id === 'a' ? { callMs: 2_500 } : {}));
    const client = await h.settle(h.loader.load(request('a')));
    const call = client.predict({ Prompt: 'hi' });
    const loadB = h.loader.load(request('b'));
    await h.settle(Promise.all([call, loadB]));
    const started = h.eventsOf('load-started').find((e) => e.modelId === 'b');
    // Woken by the call's end at 2.5 s, not by the next 1 s poll at 3 s.
    expect(started?.timeMs).toBe(2_500);
    expect(h.eventsOf('admission-waited')).toEqual([
      { type: 'admission-waited', timeMs: 2_500, modelId: 'b', waitedMs: 2_500 },
    ]);
    expect(h.resident()).toEqual(['b']);
  });

  it('waits for the next poll with waking turned off', async () => {
    const h = createHarness({ lruLimit: 1, wakeWaitingLoads: false }, (id) => (id === 'a' ? { callMs: 2_500 } : {}));
    const client = await h.settle(h.loader.load(request('a')));
    await h.settle(Promise.all([client.predict({ Prompt: 'hi' }), h.loader.load(request('b'))]));
    expect(h.eventsOf('load-started').find((e) => e.modelId === 'b')?.timeMs).toBe(3_000);
  });

  it('stops a busy victim by force when force-when-busy is on', async () => {
    const h = createHarness({ lruLimit: 1, forceEvictionWhenBusy: true }, (id) => (id === 'a' ? { hangCalls: true } : {}));
    const client = await h.settle(h.loader.load(request('a')));
    const call = client.predict({ Prompt: 'hi' });
    call.catch(() => {});
    await h.settle(h.loader.load(request('b')));
    expect(h.eventsOf('evicted')).toEqual([
      expect.objectContaining({ modelId: 'a', reason: 'lru', forced: true, forModelId: 'b' }),
    ]);
    await expect(call).rejects.toThrow(/backend exited/);
  });

  it('never leaves two resident when two models load concurrently at limit 1', async () => {
    const h = createHarness({ lruLimit: 1 }, () => ({ loadMs: 100 }));
    const peak = { value: 0 };
    h.loader.events.on(() => {
      const holdingSlot = h.loader.list().filter((m) => m.state === 'ready' || m.state === 'loading');
      peak.value = Math.max(peak.value, holdingSlot.length);
    });
    await h.settle(Promise.all([h.loader.load(request('a')), h.loader.load(request('b'))]));
    expect(peak.value).toBe(1);
    expect(h.resident()).toHaveLength(1);
    expect(h.eventsOf('overflow')).toHaveLength(0);
  });

  it('waits out a slow load in the way past the retry window', async () => {
    const h = createHarness({ lruLimit: 1, evictionRetries: 2, evictionRetryIntervalMs: 1_000 }, () => ({ loadMs: 60_000 }));
    await h.settle(Promise.all([h.loader.load(request('a')), h.loader.load(request('b'))]));
    expect(h.eventsOf('overflow')).toHaveLength(0);
    expect(h.resident()).toHaveLength(1);
    expect(h.clock.now()).toBe(120_000);
  });

  it('counts the retry window only after a blocking load finishes', async () => {
    const h = createHarness({ lruLimit: 1, evictionRetries: 2, evictionRetryIntervalMs: 1_000 }, (id) =>
      id === 'a' ? { loadMs: 5_000, hangCalls: true } : {},
    );
    const loadA = h.loader.load(request('a')).then((client) => {
      client.predict({ Prompt: 'hold' }).catch(() => {});
    });
    await h.settle(Promise.all([loadA, h.loader.load(request('b'))]));
    expect(h.eventsOf('overflow')).toEqual([
      { type: 'overflow', timeMs: 7_000, modelId: 'b', kind: 'lru', blockers: ['a'] },
    ]);
  });

  it('returns to the LRU limit once the blocker goes idle', async () => {
    const h = createHarness({ lruLimit: 1, evictionRetries: 2, evictionRetryIntervalMs: 1_000 }, (id) =>
      id === 'a' ? { callMs: 40_000 } : {},
    );
    const client = await h.settle(h.loader.load(request('a')));
    const call = client.predict({ Prompt: 'long' });
    await h.settle(h.loader.load(request('b')));
    expect(h.resident()).toEqual(['a', 'b']);
    await h.settle(call);
    await h.clock.runUntil(40_001);
    expect(h.resident()).toEqual(['b']);
    expect(h.eventsOf('evicted')).toEqual([expect.objectContaining({ modelId: 'a', reason: 'lru', forModelId: 'b', timeMs: 40_000 })]);
  });

  it('evicts a group blocker once it goes idle', async () => {
    const h = createHarness({ evictionRetries: 2, evictionRetryIntervalMs: 1_000 }, (id) =>
      id === 'a' ? { callMs: 40_000 } : {},
    );
    const client = await h.settle(h.loader.load(request('a', { groups: ['big'] })));
    const call = client.predict({ Prompt: 'long' });
    await h.settle(h.loader.load(request('b', { groups: ['big'] })));
    expect(h.eventsOf('overflow')).toEqual([expect.objectContaining({ modelId: 'b', kind: 'group', blockers: ['a'] })]);
    await h.settle(call);
    await h.clock.runUntil(40_001);
    expect(h.resident()).toEqual(['b']);
    expect(h.eventsOf('evicted')).toEqual([expect.objectContaining({ modelId: 'a', reason: 'group', forModelId: 'b' })]);
  });

  it('stays past the limit while the blocker is pinned', async () => {
    const h = createHarness({ lruLimit: 1, evictionRetries: 1, evictionRetryIntervalMs: 1_000 });
    await h.settle(h.loader.load(request('a', { pinned: true })));
    await h.settle(h.loader.load(request('b')));
    await h.clock.runUntil(60_000);
    expect(h.resident()).toEqual(['a', 'b']);
    h.loader.pin('a', false);
    await h.clock.runUntil(60_001);
    expect(h.resident()).toEqual(['b']);
  });

  it('resolves backend aliases', async () => {
    const h = createHarness({ backends: { 'llama-cpp': { executable: '/bin/llama' } } });
    await h.settle(h.loader.load(request('a', { backend: 'llama' })));
    expect(h.launcher.launches[0]?.backend).toBe('llama-cpp');
  });

  it('rejects an unknown backend before evicting anything', async () => {
    const h = createHarness({ lruLimit: 1 });
    await h.settle(h.loader.load(request('a')));
    await expect(h.settle(h.loader.load(request('b', { backend: 'vllm' })))).rejects.toMatchObject({ code: 'BACKEND_NOT_FOUND' });
    expect(h.resident()).toEqual(['a']);
    expect(h.eventsOf('evicted')).toHaveLength(0);
  });

  it('rejects an unknown backend naming the known ones', async () => {
    const h = createHarness();
    await expect(h.settle(h.loader.load(request('a', { backend: 'vllm' })))).rejects.toMatchObject({
      code: 'BACKEND_NOT_FOUND',
      known: ['loaderlab-fake'],
    });
    expect(h.launcher.launches).toHaveLength(0);
  });

  it('tries eligible backends in order and skips other file types', async () => {
    const h = createHarness(
      {
        backends: {
          whisper: { executable: '/bin/whisper', fileTypes: ['.bin'] },
          first: { executable: '/bin/first', fileTypes: ['.gguf'] },
          second: { executable: '/bin/second' },
        },
      },
      (_id, backend) => (backend === 'first' ? { failLoad: 'unsupported architecture' } : {}),
    );
    await h.settle(h.loader.load(request('a', { backend: undefined })));
    expect(h.launcher.launches.map((l) => l.backend)).toEqual(['first', 'second']);
    expect(h.loader.get('a')?.backend).toBe('second');
    expect(h.launcher.running().map((l) => l.backend)).toEqual(['second']);
  });

  it('lists every backend failure when automatic selection finds none', async () => {
    const h = createHarness(
      { backends: { one: { executable: '/bin/one' }, two: { executable: '/bin/two' } } },
      (_id, backend) => (backend === 'one' ? { failLoad: 'out of memory' } : { exitBeforeReady: { exitCode: 3, stderr: 'bad magic' } }),
    );
    const error = await h.settle(h.loader.load(request('a', { backend: undefined }))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ALL_BACKENDS_FAILED' });
    expect((error as Error).message).toContain('one: out of memory');
    expect((error as Error).message).toContain('exit code 3');
    expect((error as Error).message).toContain('bad magic');
  });

  it('rejects a model file outside the models directory', async () => {
    const h = createHarness();
    await expect(h.loader.load(request('a', { modelFile: '../etc/passwd' }))).rejects.toMatchObject({
      code: 'PATH_OUTSIDE_MODELS_DIR',
    });
    expect(h.launcher.launches).toHaveLength(0);
  });

  it('stops the process when LoadModel fails', async () => {
    const h = createHarness({}, () => ({ failLoad: 'corrupt file' }));
    await expect(h.settle(h.loader.load(request('a')))).rejects.toThrow(/corrupt file/);
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.launcher.running()).toHaveLength(0);
    expect(h.loader.list()).toHaveLength(0);
  });
});

describe('ModelLoader coalescing and cooldown', () => {
  it('makes one spawn and one LoadModel for ten concurrent loads', async () => {
    const h = createHarness({}, () => ({ startMs: 50, loadMs: 200 }));
    const clients = await h.settle(Promise.all(Array.from({ length: 10 }, () => h.loader.load(request('a')))));
    expect(new Set(clients).size).toBe(1);
    expect(h.launcher.launches).toHaveLength(1);
    expect(h.launcher.loadModelCalls('a')).toBe(1);
    expect(h.eventsOf('load-coalesced')).toHaveLength(9);
  });

  it('rejects loads inside the cooldown window with retry-after', async () => {
    const h = createHarness({ cooldownInitialMs: 10_000 }, () => ({ failLoad: 'no' }));
    await expect(h.settle(h.loader.load(request('a')))).rejects.toMatchObject({ code: 'LOAD_FAILED' });
    await h.clock.runUntil(4_000);
    const error = await h.loader.load(request('a')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOAD_COOLDOWN', retryAfterMs: 6_000, consecutiveFailures: 1 });
    expect(h.launcher.launches).toHaveLength(1);
  });

  it('doubles the cooldown per failure up to the maximum', async () => {
    const h = createHarness({ cooldownInitialMs: 10_000, cooldownMaxMs: 25_000 }, () => ({ failLoad: 'no' }));
    const windows: number[] = [];
    for (let i = 0; i < 4; i++) {
      await h.settle(h.loader.load(request('a'))).catch(() => {});
      const failed = h.eventsOf('load-failed').at(-1)!;
      windows.push(failed.cooldownMs);
      await h.clock.runUntil(h.clock.now() + failed.cooldownMs);
    }
    expect(windows).toEqual([10_000, 20_000, 25_000, 25_000]);
  });

  it('clears the cooldown after a success', async () => {
    let fail = true;
    const h = createHarness({ cooldownInitialMs: 1_000 }, () => (fail ? { failLoad: 'no' } : {}));
    await h.settle(h.loader.load(request('a'))).catch(() => {});
    await h.clock.runUntil(1_000);
    fail = false;
    await h.settle(h.loader.load(request('a')));
    await h.settle(h.loader.shutdownModel('a'));
    fail = true;
    await h.settle(h.loader.load(request('a'))).catch(() => {});
    expect(h.eventsOf('load-failed').map((e) => e.cooldownMs)).toEqual([1_000, 1_000]);
  });

  it('hands coalesced waiters of a failed load the cooldown with its cause', async () => {
    const h = createHarness({}, () => ({ loadMs: 100, failLoad: 'bad weights' }));
    const results = await h.settle(
      Promise.allSettled(Array.from({ length: 3 }, () => h.loader.load(request('a')))),
    );
    expect(h.launcher.launches).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'LOAD_FAILED' } });
    for (const waiter of results.slice(1)) {
      expect(waiter).toMatchObject({
        status: 'rejected',
        reason: { code: 'LOAD_COOLDOWN', cause: expect.objectContaining({ code: 'LOAD_FAILED' }) },
      });
    }
  });
});

describe('ModelLoader shutdown', () => {
  it('waits for in-flight calls, runs unload hooks and calls Free', async () => {
    const h = createHarness({}, () => ({ callMs: 700 }));
    const client = await h.settle(h.loader.load(request('a')));
    const unloaded: string[] = [];
    h.loader.onUnload((modelId, reason) => {
      unloaded.push(`${modelId}:${reason}:${h.clock.now()}`);
    });
    const free = vi.spyOn(h.launcher.launches[0]!.process.client, 'free');
    const call = client.predict({ Prompt: 'x' });
    await h.settle(Promise.all([call, h.loader.shutdownModel('a')]));
    expect(unloaded).toEqual(['a:explicit:700']);
    expect(free).toHaveBeenCalledTimes(1);
    expect(h.launcher.running()).toHaveLength(0);
    expect(h.eventsOf('evicted')).toEqual([expect.objectContaining({ modelId: 'a', reason: 'explicit', forced: false })]);
  });

  it('throws ModelBusyError when calls outlast the graceful deadline', async () => {
    const h = createHarness({ shutdownBusyTimeoutMs: 2_000 }, () => ({ hangCalls: true }));
    const client = await h.settle(h.loader.load(request('a')));
    client.predict({ Prompt: 'x' }).catch(() => {});
    await expect(h.settle(h.loader.shutdownModel('a'))).rejects.toMatchObject({ code: 'MODEL_BUSY', inFlight: 1 });
    expect(h.resident()).toEqual(['a']);
  });

  it('stops a hung call at once when forced', async () => {
    const h = createHarness({}, () => ({ hangCalls: true }));
    const client = await h.settle(h.loader.load(request('a')));
    const free = vi.spyOn(h.launcher.launches[0]!.process.client, 'free');
    const call = client.predict({ Prompt: 'x' }).catch((error: unknown) => error);
    await h.settle(h.loader.shutdownModel('a', { force: true }));
    expect(await call).toMatchObject({ kind: 'connection' });
    expect(free).not.toHaveBeenCalled();
    expect(h.clock.now()).toBe(0);
  });

  it('throws ModelNotFoundError for a model that is not loaded', async () => {
    const h = createHarness();
    await expect(h.settle(h.loader.shutdownModel('ghost'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('does not wait for another model to load', async () => {
    const h = createHarness({}, (id) => (id === 'slow' ? { loadMs: 60_000 } : {}));
    await h.settle(h.loader.load(request('a')));
    const slow = h.loader.load(request('slow'));
    await h.clock.runUntil(10);
    await h.settle(h.loader.shutdownModel('a'));
    expect(h.clock.now()).toBe(10);
    await h.settle(slow);
  });

  it('waits for the model’s own load before stopping it', async () => {
    const h = createHarness({}, () => ({ loadMs: 5_000 }));
    const load = h.loader.load(request('a'));
    await h.clock.runUntil(10);
    await h.settle(h.loader.shutdownModel('a'));
    await load;
    expect(h.clock.now()).toBe(5_000);
    expect(h.loader.list()).toHaveLength(0);
  });

  it('stops every backend and rejects later loads after loader shutdown', async () => {
    const h = createHarness({}, (id) => (id === 'busy' ? { hangCalls: true } : {}));
    await h.settle(h.loader.load(request('a')));
    const busy = await h.settle(h.loader.load(request('busy')));
    busy.predict({ Prompt: 'x' }).catch(() => {});
    await h.settle(h.loader.shutdown());
    expect(h.launcher.running()).toHaveLength(0);
    await expect(h.loader.load(request('a'))).rejects.toMatchObject({ code: 'LOADER_CLOSED' });
  });

  it('aborts a load still starting when the loader shuts down', async () => {
    const h = createHarness({}, () => ({ startMs: 10_000 }));
    const load = h.loader.load(request('a'));
    load.catch(() => {});
    await h.clock.runUntil(100);
    await h.settle(h.loader.shutdown());
    await expect(load).rejects.toMatchObject({ code: expect.stringMatching(/LOADER_CLOSED|LOAD_FAILED/) });
    expect(h.launcher.running()).toHaveLength(0);
  });
});

describe('ModelLoader calls', () => {
  it('serializes calls to a backend that is not parallel', async () => {
    const h = createHarness({}, () => ({ callMs: 100 }));
    const client = await h.settle(h.loader.load(request('a', { parallel: false })));
    const ends: number[] = [];
    const calls = [1, 2, 3].map(() => client.predict({ Prompt: 'x' }).then(() => ends.push(h.clock.now())));
    expect(h.loader.get('a')?.inFlight).toBe(3);
    await h.settle(Promise.all(calls));
    expect(ends).toEqual([100, 200, 300]);
    expect(h.loader.get('a')?.inFlight).toBe(0);
  });

  it('runs calls to a parallel backend concurrently', async () => {
    const h = createHarness({}, () => ({ callMs: 100 }));
    const client = await h.settle(h.loader.load(request('a')));
    const ends: number[] = [];
    const calls = [1, 2, 3].map(() => client.predict({ Prompt: 'x' }).then(() => ends.push(h.clock.now())));
    await h.settle(Promise.all(calls));
    expect(ends).toEqual([100, 100, 100]);
  });

  it('tracks busy-since as the start of the oldest in-flight call', async () => {
    const h = createHarness({}, () => ({ callMs: 1_000 }));
    const client = await h.settle(h.loader.load(request('a')));
    const first = client.predict({ Prompt: '1' });
    await h.clock.runUntil(400);
    const second = client.predict({ Prompt: '2' });
    expect(h.loader.get('a')?.busySinceMs).toBe(0);
    await h.clock.runUntil(1_000);
    expect(h.loader.get('a')?.busySinceMs).toBe(400);
    await h.settle(Promise.all([first, second]));
    expect(h.loader.get('a')).toMatchObject({ inFlight: 0, busySinceMs: undefined, idleSinceMs: 1_400 });
  });
});
