import type { BackendLauncher } from '../../src/backend/backend-launcher.js';
import { EmbeddedCluster } from '../../src/distributed/cluster.js';
import { InMemoryRegistry } from '../../src/distributed/registry/memory-registry.js';
import type { Registry } from '../../src/distributed/registry/registry.js';
import { InvalidOptionError } from '../../src/errors.js';
import type { LoadRequest } from '../../src/loader/load-request.js';
import { ModelLoader } from '../../src/loader/model-loader.js';
import { silentLogger } from '../../src/util/logger.js';
import type { RequestFacts } from '../backends/sim-backend.js';
import { SUMMARY_SCHEMA_VERSION, type RunSummary } from '../metrics/summary.js';
import { evaluateExpectations } from '../run/expectations.js';
import { executeRequest } from '../run/execute-request.js';
import type { EnvironmentContext, RunOptions, RunResult } from '../run/run-scenario.js';
import type { Scenario, ScenarioModel } from '../scenario/types.js';
import { createWorkload } from '../workload/create-workload.js';
import type { TraceRequest, Workload } from '../workload/trace-request.js';
import type { ClusterEnvironment } from './cluster-environment.js';
import { ClusterMetrics } from './cluster-metrics.js';
import { LatencyRegistry, type RegistryCosts } from './latency-registry.js';
import { createProcessCluster } from './process-cluster.js';
import type { DistributedRunSummary } from './distributed-summary.js';
import { createSimCluster } from './sim-cluster.js';

/** Settings of distributed replays that scenario files do not carry. */
export interface DistributedRunOptions {
  /**
   * Cost of registry calls in `sim` mode, as a shared database would charge it. Default:
   * a 1 ms round trip and a 0.1 ms lock hold, an estimate for a database in the same data
   * centre. Process mode uses the embedded registry as it is.
   */
  registryCosts?: RegistryCosts;
  /** How often the reconciler runs. Default 5,000 ms. */
  reconcileIntervalMs?: number;
  /**
   * How often agents are asked for heartbeats, in run-clock ms; a node is lost after 3
   * missed. Default 1,000 ms, and in a sped-up process run one second of wall time, because
   * real agents respond in wall time.
   */
  heartbeatIntervalMs?: number;
  /** Window of the fairness-over-time series. Default 60,000 ms. */
  balanceWindowMs?: number;
  /** Builds the cluster environment; default by mode (`sim`, or `process` when `environment` builds a process environment). */
  clusterEnvironment?: (scenario: Scenario, context: EnvironmentContext) => ClusterEnvironment;
}

/** Directory the frontends resolve model files in; the agents report their own. */
const MODELS_DIR = '/models';

/** Extra run-clock time allowed for the cluster to stop every backend at the end. */
const SHUTDOWN_LIMIT_MS = 600_000;

const DEFAULT_REGISTRY_COSTS: RegistryCosts = { roundTripMs: 1, lockHoldMs: 0.1 };

/** A launcher for the frontends' loaders, which never start backends themselves in distributed mode. */
const NO_LOCAL_LAUNCHER: BackendLauncher = {
  launch: () => Promise.reject(new InvalidOptionError('launcher', 'unused in distributed mode: the router starts backends', undefined)),
};

/**
 * Replays a distributed scenario: frontends (each a `ModelLoader` with a router) share one
 * registry and route the workload, in turn, to replicas on the scenario's nodes.
 *
 * Steps:
 * 1. build the environment (clock, agents, node memory), the registry, the cluster
 *    (routers, reconciler, node health) and the metrics;
 * 2. bring every model to its minimum replicas, then start the reconciler, the
 *    heartbeats and the faults;
 * 3. stream the workload; request i goes to frontend i mod N, loads its model through
 *    the router and makes one inference call;
 * 4. after every request ended, close the metrics and stop every replica.
 *
 * The summary's and the timeline's times count from the run's start, before the warm-up.
 * The workload's arrivals and the faults' scheduled times count from the end of the warm-up.
 */
export async function runDistributedScenario(
  scenario: Scenario,
  options: RunOptions & DistributedRunOptions = {},
): Promise<RunResult> {
  const seed = options.seed ?? scenario.seed;
  const seeded: Scenario = { ...scenario, seed };
  const requestTimeoutMs = options.requestTimeoutMs ?? (scenario.loader.busyTimeoutMs > 0 ? scenario.loader.busyTimeoutMs : 300_000);
  if (!(requestTimeoutMs > 0)) {
    throw new InvalidOptionError('requestTimeoutMs', 'a positive number of ms', requestTimeoutMs);
  }
  const jitterFraction = options.jitterFraction ?? 0.05;
  const workload = options.workload ?? createWorkload(seeded);
  const requestFacts = new Map<string, RequestFacts>();
  const context: EnvironmentContext = { seed, jitterFraction, requestFacts: (id) => requestFacts.get(id) };
  const environment = chooseEnvironment(seeded, context, options);

  try {
    await environment.prepare();
    const registryCosts = environment.mode === 'sim' ? (options.registryCosts ?? DEFAULT_REGISTRY_COSTS) : null;
    // Registering nodes goes through the registry, whose costs run on the environment's clock.
    const replay = await environment.waitFor(
      DistributedReplay.create(seeded, environment, options, requestTimeoutMs, requestFacts, registryCosts),
      'the cluster set-up',
      environment.clock.now() + SHUTDOWN_LIMIT_MS,
    );
    const collected = await replay.run(workload);
    const summary: RunSummary = {
      schemaVersion: SUMMARY_SCHEMA_VERSION,
      scenario: { name: scenario.name, description: scenario.description },
      seed: String(seed),
      mode: environment.mode,
      codeVersion: options.codeVersion ?? 'loaderlab',
      config: {
        lruLimit: 0,
        evictionPolicy: 'cluster-lru',
        forceEvictionWhenBusy: false,
        idleTimeoutMs: scenario.loader.idleTimeoutMs > 0 ? scenario.loader.idleTimeoutMs : null,
        busyTimeoutMs: null,
        memoryThreshold: null,
        gpuMemoryBytes: scenario.nodes.reduce((sum, node) => sum + node.gpuMemoryBytes, 0),
        requestTimeoutMs,
        jitterFraction: environment.mode === 'sim' ? jitterFraction : 0,
        models: scenario.models.length,
      },
      workload: { source: workload.source, skippedRows: workload.skippedRows, ...collected.arrivals },
      ...collected.summary,
      // Faults count from the end of the warm-up, the summary's times from the run's start.
      faults: environment.faultRecords().map((record) => ({ ...record, timeMs: record.timeMs + collected.warmUpMs })),
      expectations: { passed: true, results: [] },
      replicaBalance: collected.balance,
      distributed: collected.distributed,
    };
    const results = evaluateExpectations(scenario.expect, summary);
    summary.expectations = { passed: results.every((r) => r.passed), results };
    return { summary, timeline: collected.timeline, skippedRowSamples: [...workload.skippedRowSamples] };
  } finally {
    await environment.close();
  }
}

/**
 * Picks the cluster environment. The runner's `environment` option builds a local-mode
 * environment. When that is a process environment, the agents run as processes too, on
 * its scaled clock and with its fake-backend timings.
 */
function chooseEnvironment(scenario: Scenario, context: EnvironmentContext, options: RunOptions & DistributedRunOptions): ClusterEnvironment {
  if (options.clusterEnvironment) {
    return options.clusterEnvironment(scenario, context);
  }
  const local = options.environment?.(scenario, context);
  if (local?.mode === 'process') {
    return createProcessCluster(scenario, { local, ...(options.logger && { logger: options.logger }) });
  }
  void local?.close();
  return createSimCluster(scenario, context);
}

interface Collected {
  /** Run-clock time the minimum replicas took to load, before the workload and the faults started. */
  warmUpMs: number;
  summary: Omit<RunSummary, 'schemaVersion' | 'scenario' | 'seed' | 'mode' | 'codeVersion' | 'config' | 'workload' | 'faults' | 'expectations'>;
  timeline: RunResult['timeline'];
  arrivals: { firstArrivalMs: number; lastArrivalMs: number };
  balance: NonNullable<RunSummary['replicaBalance']>;
  distributed: DistributedRunSummary;
}

/** One distributed replay's moving parts; used once. */
class DistributedReplay {
  private readonly models: ReadonlyMap<string, ScenarioModel>;
  private inFlight = 0;
  private started = 0;
  private nodesLost = 0;
  private drained: (() => void) | undefined;
  private unexpected: { error: unknown } | undefined;

  private constructor(
    private readonly scenario: Scenario,
    private readonly env: ClusterEnvironment,
    private readonly options: RunOptions & DistributedRunOptions,
    private readonly requestTimeoutMs: number,
    private readonly requestFacts: Map<string, RequestFacts>,
    private readonly registryCosts: RegistryCosts | null,
    private readonly registry: Registry,
    private readonly cluster: EmbeddedCluster,
    private readonly frontends: readonly ModelLoader[],
    private readonly metrics: ClusterMetrics,
  ) {
    this.models = new Map(scenario.models.map((model) => [model.id, model]));
  }

  static async create(
    scenario: Scenario,
    env: ClusterEnvironment,
    options: RunOptions & DistributedRunOptions,
    requestTimeoutMs: number,
    requestFacts: Map<string, RequestFacts>,
    registryCosts: RegistryCosts | null,
  ): Promise<DistributedReplay> {
    const logger = options.logger ?? silentLogger;
    const inner = new InMemoryRegistry({ logger });
    const registry = registryCosts ? new LatencyRegistry(inner, env.clock, registryCosts) : inner;
    const { frontends: settings } = scenario;
    const cluster = await EmbeddedCluster.create({
      registry,
      clock: env.clock,
      logger,
      connectAgent: env.connectAgent,
      connectBackend: env.connectBackend,
      nodes: env.nodes(),
      models: scenario.models.map((model) => ({
        modelId: model.id,
        minReplicas: model.minReplicas,
        maxReplicas: model.maxReplicas,
        nodeSelector: model.nodeSelector,
        groups: model.groups,
        sizeBytes: model.sizeBytes,
        pinned: model.pinned,
        request: loadRequestFor(model, env),
      })),
      frontends: settings.count,
      router: {
        replicaCache: settings.replicaCache ? { refreshIntervalMs: settings.replicaCacheRefreshMs } : false,
        // A replayed request calls right after its load, so its pick expires only with the request.
        pickLeaseTimeoutMs: requestTimeoutMs,
      },
      reconciler: {
        intervalMs: options.reconcileIntervalMs ?? 5_000,
        ...(scenario.loader.idleTimeoutMs > 0 && { scaleDownIdleMs: scenario.loader.idleTimeoutMs }),
      },
      health: { heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000 * Math.max(1, env.speed ?? 1), missedHeartbeats: 3 },
    });
    const frontends = cluster.routers.map(
      (router, i) =>
        new ModelLoader({
          launcher: NO_LOCAL_LAUNCHER,
          router,
          clock: env.clock,
          logger: logger.child({ component: 'loader', frontendId: `frontend-${i}` }),
          modelsDir: MODELS_DIR,
          cooldownInitialMs: scenario.loader.cooldownInitialMs,
          cooldownMaxMs: scenario.loader.cooldownMaxMs,
        }),
    );
    const metrics = new ClusterMetrics({
      models: scenario.models.map((model) => ({ modelId: model.id, groups: model.groups, pinned: model.pinned })),
      nodes: env.nodes().map((node) => ({ id: node.id, memory: env.memoryOf(node.id) })),
      clock: env.clock,
      startMs: env.clock.now(),
      ...(options.thrashWindowMs !== undefined && { thrashWindowMs: options.thrashWindowMs }),
      ...(options.balanceWindowMs !== undefined && { balanceWindowMs: options.balanceWindowMs }),
    });
    return new DistributedReplay(scenario, env, options, requestTimeoutMs, requestFacts, registryCosts, registry, cluster, frontends, metrics);
  }

  async run(workload: Workload): Promise<Collected> {
    const { env, cluster, metrics } = this;
    const stopCluster = cluster.events.on((event) => {
      metrics.onDistributedEvent(event);
      if (event.type === 'node-status-changed' && event.to === 'unhealthy') this.nodesLost += 1;
    });
    const stopFrontends = this.frontends.map((loader) =>
      loader.events.on((event) => {
        metrics.onFrontendEvent(event);
        this.options.onEvent?.(event);
      }),
    );
    env.attach(cluster);
    let replayError: { error: unknown } | undefined;
    try {
      const startMs = env.clock.now();
      await this.warmUp();
      cluster.start();
      env.startFaults();
      return await this.replay(workload, env.clock.now(), env.clock.now() - startMs);
    } catch (error) {
      replayError = { error };
      throw error;
    } finally {
      stopCluster();
      stopFrontends.forEach((stop) => stop());
      env.stopFaults();
      await env.waitFor(this.shutdown(), 'the cluster shutdown', env.clock.now() + SHUTDOWN_LIMIT_MS).catch((error: unknown) => {
        if (!replayError) throw error;
      });
    }
  }

  /** Brings every model to its minimum replicas before the first request, one placement per model and pass. */
  private async warmUp(): Promise<void> {
    const passes = Math.max(0, ...this.scenario.models.map((model) => model.minReplicas));
    for (let pass = 0; pass < passes; pass += 1) {
      const placed = await this.env.waitFor(this.cluster.reconcileNow(), 'placing minimum replicas', this.env.clock.now() + SHUTDOWN_LIMIT_MS);
      if (placed.length === 0) return;
    }
  }

  private async replay(workload: Workload, originMs: number, warmUpMs: number): Promise<Collected> {
    const { env, metrics } = this;
    let lastArrivalMs = originMs;
    for await (const request of workload) {
      lastArrivalMs = originMs + request.timeMs;
      await env.advanceTo(lastArrivalMs);
      this.throwIfUnexpected();
      void this.serve(request);
      if (this.started % 500 === 0) this.options.onProgress?.({ requests: this.started, timeMs: request.timeMs });
    }
    this.options.onProgress?.({ requests: this.started, timeMs: lastArrivalMs - originMs });

    const allEnded = new Promise<void>((resolve) => {
      if (this.inFlight === 0) resolve();
      else this.drained = resolve;
    });
    await env.waitFor(allEnded, 'the last requests', Math.max(env.clock.now(), lastArrivalMs) + this.requestTimeoutMs + 1);
    this.throwIfUnexpected();
    await env.waitFor(Promise.all(this.cluster.routers.map((router) => router.settled())), 'the last in-flight updates', env.clock.now() + 60_000);

    const { summary, timeline, balance } = metrics.finish(env.clock.now());
    const settings = this.scenario.frontends;
    return {
      warmUpMs,
      summary,
      timeline,
      balance,
      arrivals: metrics.arrivalSpan(),
      distributed: {
        nodes: this.scenario.nodes.length,
        frontends: settings.count,
        replicaCache: settings.replicaCache,
        replicaCacheRefreshMs: settings.replicaCache ? settings.replicaCacheRefreshMs : null,
        registryCosts: this.registryCosts,
        registryCalls: this.registry instanceof LatencyRegistry ? Object.fromEntries([...this.registry.calls].sort(([a], [b]) => (a < b ? -1 : 1))) : {},
        nodesLost: this.nodesLost,
      },
    };
  }

  /** Serves one request on frontend `i mod N`: load its model, then one inference call, within its deadline. */
  private async serve(request: TraceRequest): Promise<void> {
    const { env, metrics } = this;
    const model = this.models.get(request.modelId);
    const arrivalMs = env.clock.now();
    const requestNumber = this.started++;
    const loader = this.frontends[requestNumber % this.frontends.length]!;
    this.inFlight += 1;
    metrics.recordArrival(request.modelId, arrivalMs);
    const hit = metrics.isLoaded(request.modelId);
    const correlationId = `request-${requestNumber}`;
    const result = await executeRequest({
      clock: env.clock,
      mode: env.mode,
      request,
      model,
      load: (m) => loader.load(loadRequestFor(m, env)),
      correlationId,
      requestTimeoutMs: this.requestTimeoutMs,
      requestFacts: this.requestFacts,
    });
    const outcome = result.outcome;
    if (result.unexpected !== undefined) this.unexpected ??= { error: result.unexpected };

    const endMs = env.clock.now();
    metrics.recordRequest({ modelId: request.modelId, arrivalMs, endMs, hit, outcome });
    this.options.onEvent?.({ type: 'request-ended', timeMs: endMs, modelId: request.modelId, arrivalMs, latencyMs: endMs - arrivalMs, hit, outcome });
    this.inFlight -= 1;
    if (this.inFlight === 0) this.drained?.();
  }

  private async shutdown(): Promise<void> {
    await Promise.allSettled(this.frontends.map((loader) => loader.shutdown()));
    await this.cluster.close({ stopReplicas: true });
  }

  private throwIfUnexpected(): void {
    if (this.unexpected) throw this.unexpected.error;
  }
}

function loadRequestFor(model: ScenarioModel, env: ClusterEnvironment): LoadRequest {
  return {
    modelId: model.id,
    modelFile: model.modelFile,
    backend: model.backend,
    options: env.loadOptions(model.id),
    parallel: model.parallelSlots > 1,
    sizeBytes: model.sizeBytes,
    groups: model.groups,
    pinned: model.pinned,
  };
}
