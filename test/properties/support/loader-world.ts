import fc from 'fast-check';
import { VirtualClock } from '../../../sim/clock/virtual-clock.js';
import type { BackendClient } from '../../../src/backend/backend-client.js';
import type { BackendLauncher } from '../../../src/backend/backend-launcher.js';
import { InMemoryBackendLauncher } from '../../../src/backend/in-memory/in-memory-backend.js';
import type { LoadRequest } from '../../../src/loader/load-request.js';
import { ModelLoader } from '../../../src/loader/model-loader.js';
import { resolveEvictionPolicy } from '../../../src/watchdog/eviction-policy.js';
import type { MemoryProbe } from '../../../src/watchdog/memory-probe.js';
import { WatchDog } from '../../../src/watchdog/watchdog.js';
import { CallLedger, describeError } from './call-ledger.js';
import { InvariantObserver } from './invariant-observer.js';
import type { PolicyName } from './reference-policy.js';

const GIB = 1024 ** 3;

/** One model the world can load, with how its in-memory backend behaves. */
export interface ModelSpec {
  modelId: string;
  groups: string[];
  sizeBytes: number;
  /** Virtual ms from spawn to a healthy backend. */
  startMs: number;
  /** Virtual ms `LoadModel` takes. */
  loadMs: number;
  parallel: boolean;
}

/** Watchdog settings of a world. A world without them runs no watchdog. */
export interface WatchdogSpec {
  intervalMs: number;
  busyTimeoutMs: number;
  idleTimeoutMs: number;
  /** Total memory that the reclaimer compares the running backends' sizes with. Undefined turns the reclaimer off. */
  memoryTotalBytes: number | undefined;
}

/** Everything that varies between worlds: the models and the loader's settings. */
export interface WorldConfig {
  models: ModelSpec[];
  lruLimit: number;
  policy: PolicyName;
  forceEvictionWhenBusy: boolean;
  evictionRetries: number;
  evictionRetryIntervalMs: number;
  cooldownInitialMs: number;
  cooldownMaxMs: number;
  shutdownBusyTimeoutMs: number;
  healthTtlMs: number;
  watchdog: WatchdogSpec | undefined;
}

/** Options of `worldConfigArbitrary`. */
export interface WorldConfigConstraints {
  minModels?: number;
  maxModels?: number;
  /** Whether worlds may run a watchdog. Default true. */
  watchdog?: boolean;
}

const modelSpecArbitrary = (index: number): fc.Arbitrary<ModelSpec> =>
  fc.record({
    modelId: fc.constant(`m${index}`),
    groups: fc.subarray(['g1', 'g2']).map((groups) => [...groups]),
    sizeBytes: fc.constantFrom(1, 2, 4, 8).map((gib) => gib * GIB),
    startMs: fc.constantFrom(0, 0, 100),
    // Loads both shorter and longer than the admission retry window, which runs from 0 to 4 s here.
    loadMs: fc.constantFrom(0, 200, 1_500, 6_000),
    parallel: fc.boolean(),
  });

/**
 * Generates worlds of a few models with small timeouts, so that a few dozen commands reach
 * every rule of the loader: LRU and group evictions, retry windows, cooldowns and watchdog checks.
 */
export function worldConfigArbitrary(constraints: WorldConfigConstraints = {}): fc.Arbitrary<WorldConfig> {
  const minModels = constraints.minModels ?? 3;
  const maxModels = constraints.maxModels ?? 5;
  const models = fc
    .integer({ min: minModels, max: maxModels })
    .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => modelSpecArbitrary(i))));
  const watchdog: fc.Arbitrary<WatchdogSpec | undefined> =
    constraints.watchdog === false
      ? fc.constant(undefined)
      : fc.option(
          fc.record({
            intervalMs: fc.constantFrom(500, 2_000),
            busyTimeoutMs: fc.constantFrom(5_000, 20_000),
            idleTimeoutMs: fc.constantFrom(5_000, 30_000),
            memoryTotalBytes: fc.option(fc.constantFrom(10, 16).map((gib) => gib * GIB), { nil: undefined }),
          }),
          { nil: undefined },
        );
  return fc.record({
    models,
    lruLimit: fc.constantFrom(1, 1, 2, 3, 10),
    policy: fc.constantFrom<PolicyName>('lru', 'size-aware'),
    forceEvictionWhenBusy: fc.boolean(),
    evictionRetries: fc.integer({ min: 0, max: 4 }),
    evictionRetryIntervalMs: fc.constantFrom(200, 1_000),
    cooldownInitialMs: fc.constantFrom(1_000, 5_000),
    cooldownMaxMs: fc.constantFrom(5_000, 20_000),
    shutdownBusyTimeoutMs: fc.constantFrom(2_000, 10_000),
    healthTtlMs: fc.constantFrom(1_000, 30_000),
    watchdog,
  });
}

/** Maximum number of clock events in one `drive` before it reports a livelock. */
const MAX_STEPS_PER_DRIVE = 100_000;

/** How far past the end of a case the final shutdown may run on virtual time before it counts as hung. */
const SHUTDOWN_LIMIT_MS = 3_600_000;

/**
 * A loader on a virtual clock with in-memory backends, an invariant observer on it, and the
 * handles a property test drives it with: the clients it was handed, the calls it made and
 * the promises still pending.
 */
export class LoaderWorld {
  readonly clock = new VirtualClock({ waitForFileSystem: false });
  readonly backends: InMemoryBackendLauncher;
  readonly calls: CallLedger;
  readonly observer: InvariantObserver;
  readonly loader: ModelLoader;
  readonly watchdog: WatchDog | undefined;
  /** Models whose next spawns fail `LoadModel`. */
  readonly failing = new Set<string>();
  /** The latest client each model's loads returned. */
  readonly clients = new Map<string, BackendClient>();
  /** Rejections of loader calls that the spec does not allow. */
  readonly unexpectedErrors: string[] = [];
  private readonly pending: Promise<unknown>[] = [];

  /**
   * `wrapLauncher` puts a test's own launcher (a scheduled one, say) between the loader and
   * the in-memory backends. With `callsHang` (the default), inference calls end only when
   * the test cancels them or the backend stops, so the test decides how long a model stays
   * busy. Without it, calls end at once or when the wrapping launcher releases them.
   */
  constructor(
    readonly config: WorldConfig,
    wrapLauncher: (inner: InMemoryBackendLauncher) => BackendLauncher = (inner) => inner,
    callsHang = true,
  ) {
    this.backends = new InMemoryBackendLauncher(this.clock, (modelId) => ({
      startMs: this.spec(modelId).startMs,
      loadMs: this.spec(modelId).loadMs,
      hangCalls: callsHang,
      ...(this.failing.has(modelId) && { failLoad: `${modelId} is configured to fail` }),
    }));
    this.calls = new CallLedger(this.clock);
    this.observer = new InvariantObserver(
      this.clock,
      this.backends,
      {
        lruLimit: config.lruLimit,
        policy: config.policy,
        forceEvictionWhenBusy: config.forceEvictionWhenBusy,
        evictionRetries: config.evictionRetries,
        evictionRetryIntervalMs: config.evictionRetryIntervalMs,
        cooldownInitialMs: config.cooldownInitialMs,
        cooldownMaxMs: config.cooldownMaxMs,
        busyTimeoutMs: config.watchdog?.busyTimeoutMs,
        groupsOf: (modelId) => this.spec(modelId).groups,
      },
      this.calls,
    );
    this.loader = new ModelLoader({
      launcher: this.observer.spyLauncher(wrapLauncher(this.backends)),
      clock: this.clock,
      modelsDir: '/models',
      backends: { 'loaderlab-fake': { executable: '/bin/loaderlab-fake' } },
      lruLimit: config.lruLimit,
      evictionPolicy: this.observer.spyPolicy(resolveEvictionPolicy(config.policy)),
      forceEvictionWhenBusy: config.forceEvictionWhenBusy,
      evictionRetries: config.evictionRetries,
      evictionRetryIntervalMs: config.evictionRetryIntervalMs,
      cooldownInitialMs: config.cooldownInitialMs,
      cooldownMaxMs: config.cooldownMaxMs,
      shutdownBusyTimeoutMs: config.shutdownBusyTimeoutMs,
      healthTtlMs: config.healthTtlMs,
    });
    this.observer.attach(this.loader);
    this.watchdog = config.watchdog && this.createWatchdog(config.watchdog);
    this.watchdog?.start();
  }

  spec(modelId: string): ModelSpec {
    const spec = this.config.models.find((m) => m.modelId === modelId);
    if (!spec) throw new Error(`no model ${modelId} in this world`);
    return spec;
  }

  request(modelId: string): LoadRequest {
    const spec = this.spec(modelId);
    return {
      modelId,
      modelFile: `${modelId}.gguf`,
      backend: 'fake',
      sizeBytes: spec.sizeBytes,
      groups: spec.groups,
      parallel: spec.parallel,
    };
  }

  /**
   * Starts a load without waiting for it and keeps its client for later calls. With
   * `callOnArrival`, a call starts in the same tick the client arrives, as it does in a
   * server that loads a model to serve a request.
   */
  startLoad(modelId: string, callOnArrival: boolean): Promise<void> {
    const joining = this.observer.isLoading(modelId);
    const coalescedBefore = this.observer.coalescedLoads(modelId);
    const load = this.loader.load(this.request(modelId)).then(
      (client) => {
        this.clients.set(modelId, client);
        if (callOnArrival) this.calls.start(modelId, client);
      },
      (error: unknown) => this.expectError(`load(${modelId})`, error, ['LOAD_COOLDOWN', 'LOAD_FAILED', 'LOADER_CLOSED']),
    );
    // A load joins a cold load in progress synchronously, before load() first awaits.
    if (joining && this.observer.coalescedLoads(modelId) === coalescedBefore) {
      this.observer.report(6, `a load of ${modelId} requested while its cold load was in progress did not join it`);
    }
    this.pending.push(load);
    return load;
  }

  /** Starts a shutdown of one model without waiting for it. */
  startShutdown(modelId: string, force: boolean): Promise<void> {
    const shutdown = this.loader.shutdownModel(modelId, { force }).catch((error: unknown) =>
      this.expectError(`shutdownModel(${modelId})`, error, ['MODEL_NOT_FOUND', 'MODEL_BUSY']),
    );
    this.pending.push(shutdown);
    return shutdown;
  }

  /** Crashes the running processes of a model, as an out-of-memory kill would. */
  crash(modelId: string): void {
    for (const launch of this.backends.running()) {
      if (launch.modelId === modelId) launch.process.crash(137);
    }
  }

  /** Runs the clock `ms` forward event by event, checking the invariants after each event. */
  async drive(ms: number): Promise<void> {
    const targetMs = this.clock.now() + ms;
    for (let steps = 0; ; steps++) {
      await this.clock.settle();
      this.verify();
      const nextMs = this.clock.nextEventTimeMs();
      if (nextMs === undefined || nextMs > targetMs) break;
      if (steps >= MAX_STEPS_PER_DRIVE) {
        throw new Error(`livelock: ${steps} clock events without reaching ${targetMs} ms (now ${this.clock.now()} ms)`);
      }
      await this.clock.step();
    }
    await this.clock.runUntil(targetMs);
  }

  /** Checks the invariants now and throws on any breach or unexpected error so far. */
  verify(): void {
    this.observer.check();
    this.observer.assertNoViolation();
    const unexpected = [...this.unexpectedErrors, ...this.calls.unexpectedErrors];
    if (unexpected.length > 0) throw new Error(`unexpected errors:\n${unexpected.join('\n')}`);
  }

  /**
   * Stops the watchdog and shuts the loader down, then checks that every load, shutdown and
   * call the test started has settled and that no backend process outlived the loader.
   */
  async finish(): Promise<void> {
    this.watchdog?.stop();
    const limitMs = this.clock.now() + SHUTDOWN_LIMIT_MS;
    await this.driveUntilSettled(this.loader.shutdown(), 'loader.shutdown()', limitMs);
    await this.driveUntilSettled(Promise.allSettled(this.pending), 'the loads and shutdowns the test started', limitMs);
    await this.driveUntilSettled(this.calls.allSettled(), 'the calls the test started', limitMs);
    this.observer.checkAfterShutdown();
    this.verify();
  }

  /** Runs clock events, checking the invariants after each, until `promise` settles; throws if it never can. */
  private async driveUntilSettled(promise: Promise<unknown>, description: string, limitMs: number): Promise<void> {
    let settled = false;
    const settle = (): void => {
      settled = true;
    };
    promise.then(settle, settle);
    for (;;) {
      await this.clock.settle();
      this.verify();
      if (settled) return;
      const nextMs = this.clock.nextEventTimeMs();
      if (nextMs === undefined) throw new Error(`${description} never settled: no clock event is left at ${this.clock.now()} ms`);
      if (nextMs > limitMs) throw new Error(`${description} did not settle by ${limitMs} ms of virtual time`);
      await this.clock.step();
    }
  }

  private createWatchdog(spec: WatchdogSpec): WatchDog {
    const memoryTotalBytes = spec.memoryTotalBytes;
    const memoryProbe: MemoryProbe | undefined =
      memoryTotalBytes === undefined
        ? undefined
        : {
            read: async () => ({
              usedBytes: this.backends.running().reduce((sum, l) => sum + this.spec(l.modelId).sizeBytes, 0),
              totalBytes: memoryTotalBytes,
              source: 'system',
            }),
          };
    return new WatchDog(this.observer.watchedLoader(), {
      clock: this.clock,
      intervalMs: spec.intervalMs,
      busyTimeoutMs: spec.busyTimeoutMs,
      idleTimeoutMs: spec.idleTimeoutMs,
      memoryProbe,
    });
  }

  private expectError(operation: string, error: unknown, allowedCodes: readonly string[]): void {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && allowedCodes.includes(code)) return;
    this.unexpectedErrors.push(`${operation} rejected with ${describeError(error)}`);
  }
}
