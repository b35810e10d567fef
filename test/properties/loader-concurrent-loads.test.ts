import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackendClient } from '../../src/backend/backend-client.js';
import { LoaderWorld, worldConfigArbitrary, type WorldConfig } from './support/loader-world.js';
import { propertyRuns, propertyTimeoutMs } from './support/property-runs.js';
import { runScheduled, ScheduledLauncher } from './support/scheduled-backends.js';

/**
 * Concurrent cold loads under `fc.scheduler`: the scheduler picks when each load request
 * arrives, when each spawn and `LoadModel` completes, when each call ends and when virtual
 * time moves, so every case runs a different interleaving of the same loads. The invariant
 * observer checks all eight invariants at every step; these properties aim at 1, 2 and 6.
 */

const runs = propertyRuns();

/** One model, no limit in practice, and a cooldown long enough that no retry can spawn again. */
const singleModelWorld: WorldConfig = {
  models: [{ modelId: 'm0', groups: [], sizeBytes: 1024, startMs: 0, loadMs: 0, parallel: true }],
  lruLimit: 10,
  policy: 'lru',
  forceEvictionWhenBusy: false,
  evictionRetries: 3,
  evictionRetryIntervalMs: 1_000,
  cooldownInitialMs: 10_000,
  cooldownMaxMs: 300_000,
  shutdownBusyTimeoutMs: 10_000,
  healthTtlMs: 30_000,
  watchdog: undefined,
};

describe('ModelLoader under scheduled concurrent loads', () => {
  it(
    'coalesces concurrent loads of one model',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 8 }), fc.boolean(), async (s, loads, failing) => {
          const world = new LoaderWorld(singleModelWorld, (inner) => new ScheduledLauncher(inner, s), false);
          if (failing) world.failing.add('m0');
          const outcomes: PromiseSettledResult<BackendClient>[] = [];
          const requests = Array.from({ length: loads }, (_, i) =>
            s.schedule(Promise.resolve(), `request ${i} for m0`).then(() => world.loader.load(world.request('m0'))),
          );
          let done = false;
          void Promise.allSettled(requests).then((results) => {
            outcomes.push(...results);
            done = true;
          });

          await runScheduled(s, world.clock, () => done, () => world.verify());

          expect(world.backends.launches).toHaveLength(1);
          expect(world.backends.loadModelCalls('m0')).toBe(1);
          if (failing) {
            for (const outcome of outcomes) {
              expect(outcome.status).toBe('rejected');
              const code = outcome.status === 'rejected' ? (outcome.reason as { code?: string }).code : undefined;
              expect(['LOAD_FAILED', 'LOAD_COOLDOWN']).toContain(code);
            }
          } else {
            const addresses = outcomes.map((o) => (o.status === 'fulfilled' ? o.value.address : 'rejected'));
            expect(new Set(addresses)).toEqual(new Set([world.backends.launches[0]!.process.address]));
          }
          await world.finish();
        }),
        { numRuns: runs },
      );
    },
    propertyTimeoutMs(runs, 100),
  );

  it(
    'keeps limit and groups under concurrent loads',
    async () => {
      const requestArbitrary = fc.record({ modelIndex: fc.nat(3), callOnArrival: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          worldConfigArbitrary({ minModels: 2, maxModels: 4, watchdog: false }),
          fc.array(requestArbitrary, { minLength: 2, maxLength: 8 }),
          async (s, config, requests) => {
            const world = new LoaderWorld(config, (inner) => new ScheduledLauncher(inner, s), false);
            const issued = requests.map(({ modelIndex, callOnArrival }) => {
              const modelId = config.models[modelIndex % config.models.length]!.modelId;
              return s
                .schedule(Promise.resolve(), `request for ${modelId}${callOnArrival ? ', then call' : ''}`)
                .then(() => world.startLoad(modelId, callOnArrival));
            });
            let done = false;
            void Promise.all(issued)
              .then(() => world.calls.allSettled())
              .then(() => {
                done = true;
              });

            await runScheduled(s, world.clock, () => done, () => world.verify());
            await world.finish();
          },
        ),
        { numRuns: runs },
      );
    },
    propertyTimeoutMs(runs, 100),
  );
});

describe('ModelLoader at LRU limit 1', () => {
  // 60 s is longer than the default retry window of 30 retries of 1 s, and large models take that long to load.
  it.each([0, 500, 60_000])(
    'leaves one model resident after %i ms loads',
    async (loadMs) => {
      const world = new LoaderWorld({
        ...singleModelWorld,
        models: ['a', 'b'].map((modelId) => ({ modelId, groups: [], sizeBytes: 1024, startMs: 0, loadMs, parallel: true })),
        lruLimit: 1,
        evictionRetries: 30,
        evictionRetryIntervalMs: 1_000,
      });
      const loads = Promise.allSettled([world.loader.load(world.request('a')), world.loader.load(world.request('b'))]);
      await world.clock.runUntilSettled(loads, 'two concurrent loads');

      const resident = world.loader.list().filter((m) => m.state === 'ready');
      expect(resident.map((m) => m.modelId)).toHaveLength(1);
      await world.finish();
    },
  );
});

describe('ModelLoader concurrency groups', () => {
  it('separates group members at a shared deadline', async () => {
    const model = (modelId: string, groups: string[], loadMs: number): WorldConfig['models'][number] => ({
      modelId,
      groups,
      sizeBytes: 1024,
      startMs: 0,
      loadMs,
      parallel: true,
    });
    const world = new LoaderWorld({
      ...singleModelWorld,
      models: [model('busy', [], 0), model('g-fast', ['g'], 0), model('g-slow', ['g'], 200)],
      lruLimit: 1,
      evictionRetries: 1,
      evictionRetryIntervalMs: 1_000,
    });

    // A busy model blocks both loads for the whole retry window, which ends for both at 1000 ms.
    await world.clock.runUntilSettled(world.startLoad('busy', true), 'the load of the busy model');
    const loads = Promise.all([world.startLoad('g-slow', false), world.startLoad('g-fast', false)]);
    await world.clock.runUntilSettled(loads, 'the loads of both group members');
    await world.clock.runUntil(5_000);

    const residentInGroup = world.loader
      .list()
      .filter((m) => m.state === 'ready' && m.groups.includes('g'))
      .map((m) => m.modelId);
    expect(residentInGroup.length).toBeLessThanOrEqual(1);
    await world.finish();
  });
});
