import type { LoaderEvent } from '../../src/loader/events.js';
import type { LoadRequest } from '../../src/loader/load-request.js';
import { ModelLoader } from '../../src/loader/model-loader.js';
import { InvalidOptionError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';
import { WatchDog } from '../../src/watchdog/watchdog.js';
import type { RequestFacts } from '../backends/sim-backend.js';
import { MetricsCollector, type CollectedSummary } from '../metrics/metrics-collector.js';
import { SUMMARY_SCHEMA_VERSION, type RequestFailureReason, type RunSummary } from '../metrics/summary.js';
import type { RunTimeline } from '../metrics/timeline.js';
import type { Scenario, ScenarioModel } from '../scenario/types.js';
import { createWorkload } from '../workload/create-workload.js';
import type { SkippedRow, TraceRequest, Workload } from '../workload/trace-request.js';
import { evaluateExpectations } from './expectations.js';
import type { ReplayEnvironment } from './replay-environment.js';
import { createSimEnvironment } from './sim-environment.js';
import { executeRequest } from './execute-request.js';
import { runDistributedScenario } from '../distributed/run-distributed.js';

/** A line of `events.jsonl`: a loader event, or the end of a replayed request. */
export type RunEventRecord =
  | LoaderEvent
  | {
      type: 'request-ended';
      timeMs: number;
      modelId: string;
      arrivalMs: number;
      latencyMs: number;
      hit: boolean;
      outcome: 'succeeded' | RequestFailureReason;
    };

/** Progress of a replay, reported every `PROGRESS_EVERY` requests and at the end. */
export interface RunProgress {
  /** Requests started so far. */
  requests: number;
  /** Run clock time of the latest arrival. */
  timeMs: number;
}

const PROGRESS_EVERY = 500;

/** Options of `runScenario`. All optional. */
export interface RunOptions {
  /** Replaces the scenario's seed; every random stream derives from it. */
  seed?: string | number;
  /** The requests to replay. Default: the scenario's workload, built with the run seed. */
  workload?: Workload;
  /** Builds the environment; default the virtual-time `sim` environment. */
  environment?: (scenario: Scenario, context: EnvironmentContext) => ReplayEnvironment;
  /**
   * A request not finished this long after its arrival fails as `timeout`. Default: the
   * scenario's busy timeout, since the watchdog stops a backend busy longer anyway, or
   * 300,000 ms when that check is off.
   */
  requestTimeoutMs?: number;
  /** Simulated load and service times vary by a uniform factor in [1 - j, 1 + j]. Default 0.05. */
  jitterFraction?: number;
  /** An eviction followed by a load of the same model within this window counts as thrash. Default 60,000 ms. */
  thrashWindowMs?: number;
  /** Written to the summary as `codeVersion`. Default `loaderlab`. */
  codeVersion?: string;
  /** Receives every loader event and request end, in order, e.g. to write `events.jsonl`. */
  onEvent?: (record: RunEventRecord) => void;
  onProgress?: (progress: RunProgress) => void;
  logger?: Logger;
}

/** Settings the runner passes to an environment factory. */
export interface EnvironmentContext {
  seed: string | number;
  jitterFraction: number;
  requestFacts: (correlationId: string) => RequestFacts | undefined;
}

export interface RunResult {
  summary: RunSummary;
  timeline: RunTimeline;
  /** The first malformed rows skipped, when the scenario allows skipping. */
  skippedRowSamples: readonly SkippedRow[];
}

/** Directory the loader resolves model files in. Simulated backends never open it. */
const SIM_MODELS_DIR = '/models';

/** Extra run-clock time allowed for the loader to stop every backend at the end. */
const SHUTDOWN_LIMIT_MS = 600_000;

/**
 * Replays a scenario's workload against the real `ModelLoader` and `WatchDog`, and returns
 * the summary, with its expectations checked, and the timeline.
 *
 * Steps:
 * 1. build the environment (clock, backends, GPU memory), the loader, the watchdog and
 *    the metrics collector, and schedule the faults;
 * 2. stream the workload: for each request, run time up to its arrival and start it
 *    (load its model, then one inference call), without waiting for it to end;
 * 3. after the last arrival, run time until every request has ended;
 * 4. close the metrics, then stop the watchdog and the loader's backends.
 *
 * Memory stays bounded: the workload is read one request ahead, only requests in flight
 * are held, and the metrics are bounded except the model sequence of the offline optimum
 * (4 bytes per request).
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  if (scenario.mode === 'distributed') return runDistributedScenario(scenario, options);
  const seed = options.seed ?? scenario.seed;
  const seeded: Scenario = { ...scenario, seed };
  const requestTimeoutMs = options.requestTimeoutMs ?? (scenario.loader.busyTimeoutMs > 0 ? scenario.loader.busyTimeoutMs : 300_000);
  if (!(requestTimeoutMs > 0)) throw new InvalidOptionError('requestTimeoutMs', 'a positive number of ms', requestTimeoutMs);
  const jitterFraction = options.jitterFraction ?? 0.05;
  const workload = options.workload ?? createWorkload(seeded);
  const requestFacts = new Map<string, RequestFacts>();
  const context: EnvironmentContext = {
    seed,
    jitterFraction,
    requestFacts: (correlationId) => requestFacts.get(correlationId),
  };
  const environment = (options.environment ?? createSimEnvironment)(seeded, context);

  try {
    await environment.prepare?.();
    const replay = new Replay(seeded, environment, options, requestTimeoutMs, requestFacts);
    const collected = await replay.run(workload);
    const summary: RunSummary = {
      schemaVersion: SUMMARY_SCHEMA_VERSION,
      scenario: { name: scenario.name, description: scenario.description },
      seed: String(seed),
      mode: environment.mode,
      codeVersion: options.codeVersion ?? 'loaderlab',
      config: {
        lruLimit: scenario.loader.lruLimit,
        evictionPolicy: scenario.loader.evictionPolicy,
        forceEvictionWhenBusy: scenario.loader.forceEvictionWhenBusy,
        idleTimeoutMs: scenario.loader.idleTimeoutMs > 0 ? scenario.loader.idleTimeoutMs : null,
        busyTimeoutMs: scenario.loader.busyTimeoutMs > 0 ? scenario.loader.busyTimeoutMs : null,
        memoryThreshold: memoryThresholdOf(scenario),
        gpuMemoryBytes: scenario.host.gpuMemoryBytes,
        requestTimeoutMs,
        jitterFraction: environment.mode === 'sim' ? jitterFraction : 0,
        models: scenario.models.length,
      },
      workload: { source: workload.source, skippedRows: workload.skippedRows, ...collected.arrivals },
      ...collected.summary,
      faults: environment.faultRecords(),
      expectations: { passed: true, results: [] },
    };
    const results = evaluateExpectations(scenario.expect, summary);
    summary.expectations = { passed: results.every((r) => r.passed), results };
    return { summary, timeline: collected.timeline, skippedRowSamples: [...workload.skippedRowSamples] };
  } finally {
    await environment.close();
  }
}

function memoryThresholdOf(scenario: Scenario): number | null {
  const threshold = scenario.loader.memoryReclaimerThreshold;
  return threshold > 0 ? threshold : null;
}

/** One replay's moving parts; used once. */
class Replay {
  private readonly loader: ModelLoader;
  private readonly watchdog: WatchDog;
  private readonly metrics: MetricsCollector;
  private readonly models: ReadonlyMap<string, ScenarioModel>;
  private readonly logger: Logger;
  private inFlight = 0;
  private started = 0;
  private drained: (() => void) | undefined;
  private unexpected: { error: unknown } | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly env: ReplayEnvironment,
    private readonly options: RunOptions,
    private readonly requestTimeoutMs: number,
    private readonly requestFacts: Map<string, RequestFacts>,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.models = new Map(scenario.models.map((model) => [model.id, model]));
    const settings = scenario.loader;
    this.loader = new ModelLoader({
      launcher: env.launcher,
      backends: env.backends,
      modelsDir: SIM_MODELS_DIR,
      clock: env.clock,
      logger: this.logger.child({ component: 'loader' }),
      lruLimit: settings.lruLimit,
      evictionPolicy: settings.evictionPolicy,
      forceEvictionWhenBusy: settings.forceEvictionWhenBusy,
      evictionRetries: settings.evictionRetries,
      evictionRetryIntervalMs: settings.evictionRetryIntervalMs,
      healthTtlMs: settings.healthTtlMs,
      cooldownInitialMs: settings.cooldownInitialMs,
      cooldownMaxMs: settings.cooldownMaxMs,
      pinnedModels: scenario.models.filter((model) => model.pinned).map((model) => model.id),
    });
    const threshold = memoryThresholdOf(scenario);
    this.watchdog = new WatchDog(this.loader, {
      clock: env.clock,
      logger: this.logger.child({ component: 'watchdog' }),
      intervalMs: settings.watchdogIntervalMs,
      busyCheck: settings.busyTimeoutMs > 0,
      ...(settings.busyTimeoutMs > 0 && { busyTimeoutMs: settings.busyTimeoutMs }),
      idleCheck: settings.idleTimeoutMs > 0,
      ...(settings.idleTimeoutMs > 0 && { idleTimeoutMs: settings.idleTimeoutMs }),
      ...(threshold !== null && { memoryProbe: env.memoryProbe, memoryThreshold: threshold }),
    });
    this.metrics = new MetricsCollector({
      models: scenario.models.map((model) => ({ modelId: model.id, groups: model.groups, pinned: model.pinned })),
      lruLimit: settings.lruLimit,
      gpuMemoryBytes: scenario.host.gpuMemoryBytes,
      memoryThreshold: threshold,
      startMs: env.clock.now(),
      ...(options.thrashWindowMs !== undefined && { thrashWindowMs: options.thrashWindowMs }),
    });
  }

  async run(
    workload: Workload,
  ): Promise<{ summary: CollectedSummary; timeline: RunTimeline; arrivals: { firstArrivalMs: number; lastArrivalMs: number } }> {
    const { env, metrics } = this;
    const originMs = env.clock.now();
    const stopEvents = this.loader.events.on((event) => {
      metrics.onLoaderEvent(event);
      this.options.onEvent?.(event);
    });
    const stopMemory = env.memory.onChange((change) => metrics.recordMemory(env.clock.now(), change.usedBytes));
    env.attach(this.loader);
    this.watchdog.start();
    env.startFaults();
    let replayError: { error: unknown } | undefined;
    try {
      return await this.replay(workload, originMs);
    } catch (error) {
      replayError = { error };
      throw error;
    } finally {
      stopEvents();
      stopMemory();
      this.watchdog.stop();
      env.stopFaults();
      // No backend may outlive the replay, but a failing shutdown must not hide the replay's own error.
      await env
        .waitFor(this.loader.shutdown(), 'the loader shutdown', env.clock.now() + SHUTDOWN_LIMIT_MS)
        .catch((error: unknown) => {
          if (!replayError) throw error;
        });
    }
  }

  private async replay(
    workload: Workload,
    originMs: number,
  ): Promise<{ summary: CollectedSummary; timeline: RunTimeline; arrivals: { firstArrivalMs: number; lastArrivalMs: number } }> {
    const { env, metrics } = this;
    let lastArrivalMs = originMs;
    for await (const request of workload) {
      lastArrivalMs = originMs + request.timeMs;
      await env.advanceTo(lastArrivalMs);
      this.throwIfUnexpected();
      void this.serve(request);
      if (this.started % PROGRESS_EVERY === 0) this.options.onProgress?.({ requests: this.started, timeMs: request.timeMs });
    }
    this.options.onProgress?.({ requests: this.started, timeMs: lastArrivalMs - originMs });

    const allEnded = new Promise<void>((resolve) => {
      if (this.inFlight === 0) resolve();
      else this.drained = resolve;
    });
    // Every request ends by its deadline, so this limit is only reached through a bug.
    await env.waitFor(allEnded, 'the last requests', Math.max(env.clock.now(), lastArrivalMs) + this.requestTimeoutMs + 1);
    this.throwIfUnexpected();

    // Metrics close before the shutdown, whose evictions belong to no request.
    return { ...metrics.finish(env.clock.now()), arrivals: metrics.arrivalSpan() };
  }

  /** Serves one request: load its model, then one inference call, within its deadline. */
  private async serve(request: TraceRequest): Promise<void> {
    const { env, metrics } = this;
    const model = this.models.get(request.modelId);
    const arrivalMs = env.clock.now();
    const requestNumber = this.started++;
    this.inFlight += 1;
    metrics.recordArrival(request.modelId, arrivalMs);
    const hit = this.loader.get(request.modelId)?.state === 'ready';
    const correlationId = `request-${requestNumber}`;
    const result = await executeRequest({
      clock: env.clock,
      mode: env.mode,
      request,
      model,
      load: (m) => this.loader.load(this.loadRequestFor(m)),
      correlationId,
      requestTimeoutMs: this.requestTimeoutMs,
      requestFacts: this.requestFacts,
    });
    const outcome = result.outcome;
    if (result.unexpected !== undefined) this.unexpected ??= { error: result.unexpected };

    const endMs = env.clock.now();
    metrics.recordRequest({ modelId: request.modelId, arrivalMs, endMs, hit, outcome });
    this.options.onEvent?.({
      type: 'request-ended',
      timeMs: endMs,
      modelId: request.modelId,
      arrivalMs,
      latencyMs: endMs - arrivalMs,
      hit,
      outcome,
    });
    this.inFlight -= 1;
    if (this.inFlight === 0) this.drained?.();
  }

  private loadRequestFor(model: ScenarioModel): LoadRequest {
    return {
      modelId: model.id,
      modelFile: model.modelFile,
      backend: model.backend,
      options: this.env.loadOptions(model.id),
      parallel: model.parallelSlots > 1,
      sizeBytes: model.sizeBytes,
      groups: model.groups,
      pinned: model.pinned,
    };
  }

  private throwIfUnexpected(): void {
    if (this.unexpected) throw this.unexpected.error;
  }
}
