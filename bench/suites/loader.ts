import { InMemoryBackendLauncher } from '../../src/backend/in-memory/in-memory-backend.js';
import { RealClock } from '../../src/clock/real-clock.js';
import { ModelLoader } from '../../src/loader/model-loader.js';
import type { LoadRequest } from '../../src/loader/load-request.js';
import type { BenchSuite, Comparison } from '../comparison.js';

const BACKENDS = { fake: { executable: '/bin/true' } };

function request(modelId: string): LoadRequest {
  return { modelId, modelFile: `${modelId}.gguf`, backend: 'fake' };
}

function createLoader(lruLimit: number): ModelLoader {
  const clock = new RealClock();
  return new ModelLoader({ launcher: new InMemoryBackendLauncher(clock), clock, backends: BACKENDS, lruLimit, modelsDir: '/models' });
}

/** `load()` of a resident model against a bare `Map.get` of the same id. */
async function residentLoad(): Promise<Comparison> {
  const loader = createLoader(0);
  await loader.load(request('resident'));
  const map = new Map([['resident', { client: {} }]]);
  let sink: unknown;
  return {
    id: 'loader/resident-load',
    baseline: { name: 'Map.get', fn: () => { sink = map.get('resident'); } },
    subject: { name: 'ModelLoader.load (resident)', fn: async () => { sink = await loader.load(request('resident')); } },
  };
}

/**
 * A cold load at the LRU limit, which evicts one model, against a plain synchronous LRU
 * (a Map in recency order) doing the same eviction. In-memory backends start in zero time,
 * so the figure is the loader's own bookkeeping.
 */
async function lruEnforcement(residentModels: number): Promise<Comparison> {
  const loader = createLoader(residentModels);
  for (let i = 0; i < residentModels; i++) await loader.load(request(`m${i}`));
  const lru = new Map<string, true>();
  for (let i = 0; i < residentModels; i++) lru.set(`m${i}`, true);
  let next = residentModels;
  let nextPlain = residentModels;
  return {
    id: `loader/lru-enforcement-${residentModels}`,
    params: { residentModels },
    baseline: {
      name: 'synchronous Map LRU',
      fn: () => {
        const oldest = lru.keys().next().value as string;
        lru.delete(oldest);
        lru.set(`m${nextPlain++}`, true);
      },
    },
    subject: { name: 'ModelLoader.load (evicts one)', fn: async () => { await loader.load(request(`m${next++}`)); } },
  };
}

export const loaderSuite: BenchSuite = {
  name: 'loader',
  async setup() {
    return [await residentLoad(), ...(await Promise.all([8, 64, 512].map(lruEnforcement)))];
  },
};
