import { VirtualClock } from '../../sim/clock/virtual-clock.js';
import { InMemoryBackendLauncher, type InMemoryBehaviour } from '../../src/backend/in-memory/in-memory-backend.js';
import type { LoaderEvent } from '../../src/loader/events.js';
import type { LoadRequest } from '../../src/loader/load-request.js';
import { ModelLoader } from '../../src/loader/model-loader.js';
import type { ModelLoaderOptions } from '../../src/loader/options.js';
import { MemoryLogger } from '../../src/util/logger.js';

/** A loader on virtual time with in-memory backends, and what it emitted. */
export interface LoaderHarness {
  clock: VirtualClock;
  launcher: InMemoryBackendLauncher;
  loader: ModelLoader;
  events: LoaderEvent[];
  logger: MemoryLogger;
  /** Runs the clock until `promise` settles and returns its outcome. */
  settle<T>(promise: Promise<T>): Promise<T>;
  eventsOf<T extends LoaderEvent['type']>(type: T): Extract<LoaderEvent, { type: T }>[];
  resident(): string[];
}

export function request(modelId: string, extra: Partial<LoadRequest> = {}): LoadRequest {
  return { modelId, modelFile: `${modelId}.gguf`, backend: 'fake', ...extra };
}

export function createHarness(
  options: Partial<ModelLoaderOptions> = {},
  behaviourOf: (modelId: string, backend: string) => InMemoryBehaviour = () => ({}),
): LoaderHarness {
  const clock = new VirtualClock();
  const launcher = new InMemoryBackendLauncher(clock, behaviourOf);
  const logger = new MemoryLogger();
  const loader = new ModelLoader({
    launcher,
    clock,
    logger,
    modelsDir: '/models',
    backends: { 'loaderlab-fake': { executable: '/bin/fake-backend' } },
    ...options,
  });
  const events: LoaderEvent[] = [];
  loader.events.on((event) => events.push(event));
  return {
    clock,
    launcher,
    loader,
    events,
    logger,
    settle: (promise) => clock.runUntilSettled(promise, 'the test step'),
    eventsOf: (type) => events.filter((e) => e.type === type) as never,
    resident: () =>
      loader
        .list()
        .filter((m) => m.state === 'ready')
        .map((m) => m.modelId)
        .sort(),
  };
}
