import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { InvalidOptionError } from '../errors.js';
import { Emitter } from '../util/emitter.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { AgentConnector, BackendConnector } from './agent-client.js';
import { AgentPool } from './agent-pool.js';
import type { DistributedEvent } from './events.js';
import { NodeHealthMonitor, type NodeHealthOptions } from './node-health.js';
import { ReplicaReconciler, type ReconcilerOptions } from './reconciler.js';
import { InMemoryRegistry } from './registry/memory-registry.js';
import type { Registry } from './registry/registry.js';
import { DistributedRouter, type PlacementResult } from './router.js';
import type { DistributedRouterOptions } from './router-options.js';
import { toScheduling, type ModelSchedulingInput } from './scheduling.js';
import type { NodeRegistration } from './types.js';

type Wired = 'registry' | 'agents' | 'connectAgent' | 'connectBackend' | 'clock' | 'logger' | 'frontendId';

/** Options of `EmbeddedCluster`. */
export interface EmbeddedClusterOptions {
  /** Default: a new `InMemoryRegistry`. */
  registry?: Registry;
  connectAgent: AgentConnector;
  connectBackend: BackendConnector;
  clock?: Clock;
  logger?: Logger;
  nodes: readonly NodeRegistration[];
  models?: readonly ModelSchedulingInput[];
  /** Routers sharing the registry, named `frontend-0`, `frontend-1`, ... Default 1. */
  frontends?: number;
  /** Settings of every router. */
  router?: Omit<DistributedRouterOptions, Wired>;
  /** Reconciler settings, or false for none. Default: a reconciler with its defaults. */
  reconciler?: Omit<ReconcilerOptions, 'registry' | 'router' | 'clock' | 'logger'> | false;
  /** Node health settings, or false for none. Default: a monitor with its defaults. */
  health?: Omit<NodeHealthOptions, 'registry' | 'agents' | 'clock' | 'logger' | 'onReplicasLost'> | false;
}

/**
 * A whole distributed deployment in one process: a registry, the routers of one or more
 * frontends sharing it, one reconciler and one node health monitor. Their events are
 * merged into `events`.
 */
export class EmbeddedCluster {
  readonly events = new Emitter<DistributedEvent>();
  readonly registry: Registry;
  readonly agents: AgentPool;
  readonly routers: readonly DistributedRouter[];
  readonly reconciler: ReplicaReconciler | undefined;
  readonly health: NodeHealthMonitor | undefined;
  private readonly clock: Clock;

  private constructor(options: EmbeddedClusterOptions) {
    const frontends = options.frontends ?? 1;
    if (!Number.isInteger(frontends) || frontends < 1) {
      throw new InvalidOptionError('frontends', 'an integer >= 1', frontends);
    }
    this.clock = options.clock ?? new RealClock();
    const logger = options.logger ?? silentLogger;
    this.registry = options.registry ?? new InMemoryRegistry({ logger });
    this.agents = new AgentPool(options.connectAgent);
    const forward = (event: DistributedEvent): void => this.events.emit(event);

    this.routers = Array.from({ length: frontends }, (_, i) => {
      const router = new DistributedRouter({
        ...options.router,
        registry: this.registry,
        agents: this.agents,
        connectBackend: options.connectBackend,
        clock: this.clock,
        logger,
        frontendId: `frontend-${i}`,
      });
      router.events.on(forward);
      return router;
    });
    this.reconciler =
      options.reconciler === false
        ? undefined
        : new ReplicaReconciler({ ...options.reconciler, registry: this.registry, router: this.routers[0]!, clock: this.clock, logger });
    this.health =
      options.health === false
        ? undefined
        : new NodeHealthMonitor({
            ...options.health,
            registry: this.registry,
            agents: this.agents,
            clock: this.clock,
            logger,
            onReplicasLost: (replicas) => this.routers.forEach((router) => router.forgetReplicas(replicas)),
          });
    this.health?.events.on(forward);
  }

  /** Builds the cluster and registers its nodes and model scheduling. */
  static async create(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
    const cluster = new EmbeddedCluster(options);
    for (const node of options.nodes) {
      await cluster.registry.registerNode(node, cluster.clock.now());
    }
    for (const model of options.models ?? []) {
      const scheduling = toScheduling(model);
      await cluster.registry.updateModel(model.modelId, () => scheduling);
    }
    return cluster;
  }

  /** Starts the reconciler and the heartbeats. */
  start(): void {
    this.reconciler?.start();
    this.health?.start();
  }

  /** Runs one reconciler pass now, e.g. to bring models to their minimum before traffic. */
  async reconcileNow(): Promise<PlacementResult[]> {
    const actions = (await this.reconciler?.runOnce()) ?? [];
    return actions.flatMap((action) => (action.kind === 'placed' ? [action.result] : []));
  }

  /**
   * Stops the timers and closes the routers. With `stopReplicas`, every replica leaves the
   * registry and its backend is stopped through its agent first.
   */
  async close(options: { stopReplicas?: boolean } = {}): Promise<void> {
    await this.reconciler?.stop();
    await this.health?.stop();
    if (options.stopReplicas) {
      const router = this.routers[0]!;
      for (const scheduling of await this.registry.listModels()) {
        await router.shutdownModel(scheduling.modelId, { force: true });
      }
    }
    await Promise.all(this.routers.map((router) => router.close()));
    this.agents.close();
  }
}
