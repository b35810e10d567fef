import { describe, expect, it } from 'vitest';
import type { MemoryReading } from '../../src/watchdog/memory-probe.js';
import { WatchDog } from '../../src/watchdog/watchdog.js';
import { createHarness, request } from '../loader/harness.js';

function probeOf(reading: () => MemoryReading | undefined) {
  return { read: async () => reading() };
}

describe('WatchDog', () => {
  it('force-stops a backend busy past the busy timeout', async () => {
    const h = createHarness({}, () => ({ hangCalls: true }));
    const watchdog = new WatchDog(h.loader, { clock: h.clock, busyTimeoutMs: 5_000, idleCheck: false });
    const client = await h.settle(h.loader.load(request('a')));
    const call = client.predict({ Prompt: 'x' }).catch((e: unknown) => e);
    await h.clock.runUntil(5_000);
    expect((await h.settle(watchdog.check())).actions).toEqual([]);
    await h.clock.runUntil(5_001);
    const { actions } = await h.settle(watchdog.check());
    expect(actions).toEqual([{ modelId: 'a', reason: 'busy-timeout', outcome: { kind: 'evicted', forced: true } }]);
    expect(await call).toMatchObject({ kind: 'connection' });
  });

  it('stops a backend idle past the idle timeout gracefully', async () => {
    const h = createHarness();
    const watchdog = new WatchDog(h.loader, { clock: h.clock, idleTimeoutMs: 60_000 });
    await h.settle(h.loader.load(request('a')));
    await h.clock.runUntil(30_000);
    await h.settle(h.loader.load(request('b')));
    await h.clock.runUntil(60_001);
    const { actions } = await h.settle(watchdog.check());
    expect(actions.map((a) => [a.modelId, a.reason, a.outcome.kind])).toEqual([['a', 'idle', 'evicted']]);
    expect(h.eventsOf('evicted')).toEqual([expect.objectContaining({ modelId: 'a', reason: 'idle', forced: false })]);
  });

  it('never stops pinned models', async () => {
    const h = createHarness({}, () => ({ hangCalls: true }));
    const watchdog = new WatchDog(h.loader, {
      clock: h.clock,
      busyTimeoutMs: 1,
      idleTimeoutMs: 1,
      memoryProbe: probeOf(() => ({ usedBytes: 99, totalBytes: 100, source: 'gpu' })),
    });
    await h.settle(h.loader.load(request('idle', { pinned: true })));
    const busy = await h.settle(h.loader.load(request('busy', { pinned: true })));
    busy.predict({ Prompt: 'x' }).catch(() => {});
    await h.clock.runUntil(10_000);
    expect((await h.settle(watchdog.check())).actions).toEqual([]);
    expect(h.resident()).toEqual(['busy', 'idle']);
  });

  it('reclaims memory one least recently used model per check', async () => {
    const h = createHarness();
    let used = 90;
    const watchdog = new WatchDog(h.loader, {
      clock: h.clock,
      idleCheck: false,
      memoryThreshold: 0.8,
      memoryProbe: probeOf(() => ({ usedBytes: used, totalBytes: 100, source: 'gpu' })),
    });
    await h.settle(h.loader.load(request('a')));
    await h.clock.runUntil(1);
    await h.settle(h.loader.load(request('b')));
    await h.clock.runUntil(2);
    await h.settle(h.loader.load(request('c')));
    await h.settle(watchdog.check());
    expect(h.resident()).toEqual(['b', 'c']);
    used = 80;
    await h.settle(watchdog.check());
    expect(h.resident()).toEqual(['b', 'c']);
    expect(h.eventsOf('evicted').map((e) => [e.modelId, e.reason])).toEqual([['a', 'memory']]);
  });

  it('reclaims the largest model first under the size-aware policy', async () => {
    const h = createHarness({ evictionPolicy: 'size-aware' });
    const watchdog = new WatchDog(h.loader, {
      clock: h.clock,
      idleCheck: false,
      memoryProbe: probeOf(() => ({ usedBytes: 95, totalBytes: 100, source: 'gpu' })),
    });
    await h.settle(h.loader.load(request('small', { sizeBytes: 1 })));
    await h.settle(h.loader.load(request('large', { sizeBytes: 10 })));
    await h.settle(watchdog.check());
    expect(h.resident()).toEqual(['small']);
  });

  it('skips busy models in the reclaimer unless forcing is on', async () => {
    for (const force of [false, true]) {
      const h = createHarness({ forceEvictionWhenBusy: force }, () => ({ hangCalls: true }));
      const watchdog = new WatchDog(h.loader, {
        clock: h.clock,
        busyCheck: false,
        idleCheck: false,
        memoryProbe: probeOf(() => ({ usedBytes: 95, totalBytes: 100, source: 'gpu' })),
      });
      const client = await h.settle(h.loader.load(request('a')));
      client.predict({ Prompt: 'x' }).catch(() => {});
      await h.settle(watchdog.check());
      expect(h.resident()).toEqual(force ? [] : ['a']);
    }
  });

  it('runs checks on its interval until stopped', async () => {
    const h = createHarness();
    const watchdog = new WatchDog(h.loader, { clock: h.clock, intervalMs: 500, idleTimeoutMs: 1_000 });
    await h.settle(h.loader.load(request('a')));
    watchdog.start();
    await h.clock.runUntil(1_400);
    expect(h.resident()).toEqual(['a']);
    await h.clock.runUntil(1_500);
    expect(h.resident()).toEqual([]);
    expect(h.eventsOf('evicted')[0]?.timeMs).toBe(1_500);
    watchdog.stop();
    expect(h.clock.pendingEvents).toBe(0);
  });

  it('rejects a memory threshold outside (0, 1]', () => {
    const h = createHarness();
    expect(() => new WatchDog(h.loader, { memoryThreshold: 1.5 })).toThrow(/memoryThreshold must be a fraction/);
  });
});
