import type { BackendClient } from '../backend/backend-client.js';
import {
  AllReplicasBusyError,
  LoadFailedError,
  LoaderClosedError,
  ModelBusyError,
  NoMatchingNodeError,
  PathOutsideModelsDirError,
} from '../errors.js';
import type { LoadRequest } from '../loader/load-request.js';
import { resolveModelFile } from '../loader/model-file.js';
import type { ModelRouter, RoutedReplica } from '../loader/model-router.js';
import { Emitter } from '../util/emitter.js';
import { AgentPool } from './agent-pool.js';
import { AgentCallError, NoCapacityError, ReplicaUnavailableError, ReplicaWaitTimeoutError } from './errors.js';
import type { DistributedEvent, ReplicaRemovalReason } from './events.js';
import { LeasedBackendClient } from './leased-client.js';
import type { PlacementPurpose } from './placement/node-state.js';
import { planPlacement } from './placement/pipeline.js';
import { ReachabilityCache } from './reachability.js';
import type { ReservationOutcome } from './registry/registry.js';
import { ReplicaCache } from './replica-cache.js';
import { RegistryReplicaSource, keyOf, type ReplicaLease, type ReplicaSource } from './replica-source.js';
import { resolveRouterOptions, type DistributedRouterOptions, type ResolvedRouterOptions } from './router-options.js';
import { mergeRequest, toPlacementRequest } from './scheduling.js';
import { replicaId, type ModelScheduling, type ReplicaKey, type ReplicaRecord } from './types.js';
import { buildModelOptions } from '../loader/backend-starter.js';

/** The result of one placement attempt made for the reconciler. */
export type PlacementResult =
  | { kind: 'started'; replica: ReplicaRecord }
  | { kind: 'rejected'; plan: Extract<ReservationOutcome, { kind: 'rejected' }>['plan'] }
  | { kind: 'failed'; error: unknown };

/**
 * The router of distributed mode (`ModelRouter`). For every request it picks a loaded
 * replica through the registry, or through its replica cache when configured. When the
 * model has none, it places one with the placement pipeline, has the node's agent start
 * the backend and loads the model. Concurrent first requests for a model share one
 * placement. Every handed-out client releases its in-flight count when its call ends.
 */
export class DistributedRouter implements ModelRouter {
  readonly events = new Emitter<DistributedEvent>();
  readonly options: ResolvedRouterOptions;
  private readonly agents: AgentPool;
  private readonly ownsAgents: boolean;
  private readonly source: ReplicaSource;
  private readonly reachability: ReachabilityCache;
  /** One channel per backend address, for the replica's lifetime. */
  private readonly backendClients = new Map<string, BackendClient>();
  /** Cold placements in progress, by model id; concurrent requests join them. */
  private readonly placements = new Map<string, Promise<void>>();
  /** Scheduling this router has written to the registry, by model id. */
  private readonly knownModels = new Map<string, ModelScheduling>();
  /** Background stops and removals, awaited by `close()`. */
  private readonly background = new Set<Promise<unknown>>();
  private readonly closing = new AbortController();
  /** Nodes whose agent failed to connect, until the clock time placement may use them again. */
  private readonly suspectNodes = new Map<string, number>();

  constructor(options: DistributedRouterOptions) {
    this.options = resolveRouterOptions(options);
    this.ownsAgents = options.agents === undefined;
    this.agents = options.agents ?? new AgentPool(this.options.connectAgent!);
    const context = {
      registry: this.options.registry,
      picker: this.options.picker,
      clock: this.options.clock,
      logger: this.options.logger,
      frontendId: this.options.frontendId,
      emit: (event: DistributedEvent) => this.events.emit(event),
    };
    this.source = this.options.replicaCache ? new ReplicaCache(context, this.options.replicaCache) : new RegistryReplicaSource(context);
    this.reachability = new ReachabilityCache(this.options.clock, this.options.reachabilityTtlMs, this.options.reachabilityTimeoutMs);
  }

  /** Whether this router picks from a cached replica list. */
  get usesReplicaCache(): boolean {
    return this.source.kind === 'cache';
  }

  /**
   * Routes one request. Steps:
   * 1. pick a loaded replica and count the request on it (warm path);
   * 2. check that its backend is reachable; an unreachable replica is removed and the pick repeats;
   * 3. with no replica, place one (cold path, shared by concurrent requests) and pick again.
   */
  async route(request: LoadRequest): Promise<RoutedReplica> {
    this.assertOpen();
    let scheduling = await this.schedulingFor(request);
    for (let attempt = 1; attempt <= this.options.maxRouteAttempts; attempt += 1) {
      const lease = await this.source.acquire(request.modelId, scheduling.nodeSelector);
      if (lease) {
        const client = this.backendClient(lease.replica.address!);
        if (await this.reachability.check(client)) {
          return this.handOut(lease, client);
        }
        lease.release();
        await this.removeReplica(lease.replica, 'connection-error');
        continue;
      }
      await this.placeForRequest(request);
      scheduling = this.knownModels.get(request.modelId) ?? scheduling;
    }
    throw new ReplicaUnavailableError(request.modelId, this.options.maxRouteAttempts);
  }

  /** Stops every replica of the model; returns false when no node held one. */
  async shutdownModel(modelId: string, options: { force: boolean }): Promise<boolean> {
    const { registry, clock } = this.options;
    let replicas = await registry.listReplicas({ modelId });
    if (replicas.length === 0) {
      return false;
    }

    if (!options.force) {
      const deadlineMs = clock.now() + this.options.shutdownBusyTimeoutMs;
      while (replicas.some((r) => r.inFlight > 0)) {
        if (clock.now() >= deadlineMs) {
          const inFlight = replicas.reduce((sum, r) => sum + r.inFlight, 0);
          throw new ModelBusyError(modelId, inFlight, this.options.shutdownBusyTimeoutMs);
        }
        await clock.sleep(this.options.loadingPollIntervalMs);
        replicas = await registry.listReplicas({ modelId });
      }
    }

    const removed = await Promise.all(replicas.map((r) => registry.removeReplica(r)));
    this.source.invalidate(modelId);
    await Promise.all(
      removed.filter((r): r is ReplicaRecord => r !== undefined).map((r) => this.retire(r, 'explicit', { force: options.force })),
    );
    return true;
  }

  /** Drops a replica that failed with a connection error, so the next request re-routes. */
  async dropReplica(modelId: string, nodeId: string, replicaIndex: number): Promise<void> {
    const replica = await this.options.registry.getReplica({ modelId, nodeId, replicaIndex });
    if (replica) {
      await this.removeReplica(replica, 'connection-error');
    }
    this.source.invalidate(modelId);
  }

  /**
   * Makes one placement attempt for the reconciler: no waiting for busy replicas, and
   * eviction only when the purpose allows it. Failures come back as `failed`.
   */
  async placeReplica(scheduling: ModelScheduling, purpose: PlacementPurpose): Promise<PlacementResult> {
    const request = scheduling.request;
    if (!request) {
      return { kind: 'failed', error: new NoCapacityError(scheduling.modelId, 'the registry has no load request for it yet') };
    }
    try {
      const outcome = await this.reserve(scheduling, purpose);
      if (outcome.kind === 'rejected') {
        return { kind: 'rejected', plan: outcome.plan };
      }
      return { kind: 'started', replica: await this.startReserved(outcome, request, purpose) };
    } catch (error) {
      return { kind: 'failed', error };
    }
  }

  /**
   * Stops the backend of a replica already removed from the registry and reports it:
   * a graceful stop calls `Free` first.
   */
  async retire(replica: ReplicaRecord, reason: ReplicaRemovalReason, options: { force: boolean; forModelId?: string }): Promise<void> {
    this.events.emit({
      type: 'replica-removed',
      timeMs: this.options.clock.now(),
      ...keyOf(replica),
      reason,
      ...(options.forModelId !== undefined && { forModelId: options.forModelId }),
    });
    this.source.invalidate(replica.modelId);
    const client = replica.address === undefined ? undefined : this.backendClients.get(replica.address);
    if (client && !options.force && replica.state === 'loaded') {
      await client.free({ deadlineMs: this.options.agentCallDeadlineMs }).catch(() => undefined);
    }
    await this.stopOnAgent(replica, options.force);
    if (replica.address !== undefined) {
      this.forgetBackend(replica.address);
    }
  }

  /** Forgets connections to replicas that left the registry elsewhere (node health). */
  forgetReplicas(replicas: readonly ReplicaRecord[]): void {
    for (const replica of replicas) {
      this.source.invalidate(replica.modelId);
      if (replica.address !== undefined) {
        this.forgetBackend(replica.address);
      }
    }
  }

  /** Resolves once in-flight updates and background stops have finished. */
  async settled(): Promise<void> {
    while (this.background.size > 0) {
      await Promise.allSettled([...this.background]);
    }
    await this.source.settled();
  }

  /** Aborts loads in progress, waits for background work and closes this router's connections. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) {
      return;
    }
    this.closing.abort(new LoaderClosedError());
    await Promise.allSettled([...this.placements.values()]);
    await this.settled();
    for (const client of this.backendClients.values()) {
      client.close();
    }
    this.backendClients.clear();
    if (this.ownsAgents) {
      this.agents.close();
    }
  }

  // ---- Cold path ----

  /** Places a replica for a request, joining a placement of the same model in progress. */
  private placeForRequest(request: LoadRequest): Promise<void> {
    const running = this.placements.get(request.modelId);
    if (running) {
      return running;
    }
    const placement = this.placeWithRetries(request).finally(() => this.placements.delete(request.modelId));
    this.placements.set(request.modelId, placement);
    return placement;
  }

  /**
   * Reserves and starts a replica, waiting and retrying while busy replicas are in the
   * way. A start that fails because the node's agent is unreachable is placed again on
   * another node, since the request should not pay for a node that node health has not
   * caught yet.
   */
  private async placeWithRetries(request: LoadRequest): Promise<void> {
    const { clock, busyRetries, busyRetryIntervalMs } = this.options;
    const scheduling = await this.schedulingFor(request, true);
    let unreachableAgents = 0;
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.reserve(scheduling, 'cold');
      if (outcome.kind === 'reserved') {
        try {
          await this.startReserved(outcome, request, 'cold');
          return;
        } catch (error) {
          if (!isUnreachableAgent(error) || unreachableAgents >= MAX_UNREACHABLE_AGENT_RETRIES) {
            throw error;
          }
          unreachableAgents += 1;
          continue;
        }
      }

      const plan = outcome.plan;
      switch (plan.kind) {
        case 'wait-for-loading':
          await this.waitForLoading(plan.replica);
          return;
        case 'at-max-replicas':
          return;
        case 'no-matching-node':
          throw new NoMatchingNodeError(request.modelId, scheduling.nodeSelector);
        case 'no-capacity':
          throw new NoCapacityError(request.modelId, plan.reason);
        case 'busy':
          if (attempt > busyRetries) {
            throw new AllReplicasBusyError(request.modelId, attempt);
          }
          this.events.emit({
            type: 'placement-waited',
            timeMs: clock.now(),
            modelId: request.modelId,
            attempt,
            blockers: plan.blockers.map(replicaId),
          });
          await clock.sleep(busyRetryIntervalMs, this.closing.signal);
      }
    }
  }

  private reserve(scheduling: ModelScheduling, purpose: PlacementPurpose): Promise<ReservationOutcome> {
    const { registry, clock, placementPolicy } = this.options;
    const placement = toPlacementRequest(scheduling, purpose, this.nodesToAvoid());
    const template = {
      modelId: scheduling.modelId,
      sizeBytes: scheduling.sizeBytes,
      groups: scheduling.groups,
      pinned: scheduling.pinned,
    };
    return registry.reserveReplica(template, (view) => planPlacement(view, placement, placementPolicy), clock.now());
  }

  /**
   * Starts a reserved replica. Steps:
   * 1. stop the victims the plan removed, so their memory is free;
   * 2. ask the node's agent to start the backend for (model, replica index);
   * 3. call `LoadModel` and mark the replica loaded.
   * A failure removes the row, which releases the reservation and the slot, and stops
   * whatever the agent started.
   */
  private async startReserved(
    outcome: Extract<ReservationOutcome, { kind: 'reserved' }>,
    request: LoadRequest,
    purpose: PlacementPurpose,
  ): Promise<ReplicaRecord> {
    const { clock, registry, frontendId } = this.options;
    const { replica } = outcome;
    if (outcome.groupRuleRelaxed) {
      this.events.emit({ type: 'group-rule-relaxed', timeMs: clock.now(), modelId: replica.modelId, nodeId: replica.nodeId });
    }
    await Promise.all(outcome.victims.map((v) => this.retire(v.replica, v.reason, { force: false, forModelId: replica.modelId })));

    const startedMs = clock.now();
    this.events.emit({ type: 'replica-load-started', timeMs: startedMs, frontendId, ...keyOf(replica), purpose });
    let address: string | undefined;
    try {
      const node = await registry.getNode(replica.nodeId);
      if (!node) {
        throw new LoadFailedError(replica.modelId, request.backend ?? 'unknown', `node "${replica.nodeId}" left the registry`);
      }
      const started = await this.agents.get(node).startBackend(
        {
          modelId: replica.modelId,
          replicaIndex: replica.replicaIndex,
          backend: request.backend,
          modelFile: request.modelFile,
          signal: this.closing.signal,
        },
        { deadlineMs: this.options.startBackendDeadlineMs, signal: this.closing.signal },
      );
      address = started.address;
      const modelFilePath = resolveModelFile(started.modelsDir, request.modelFile);
      const result = await this.backendClient(address).loadModel(buildModelOptions(request, modelFilePath, started.modelsDir), {
        deadlineMs: this.options.loadModelDeadlineMs,
        signal: this.closing.signal,
      });
      if (!result.success) {
        throw new LoadFailedError(replica.modelId, started.backend, result.message || 'LoadModel returned success=false');
      }
      const loaded = await registry.completeLoad(replica, address, clock.now());
      if (!loaded) {
        throw new LoadFailedError(replica.modelId, started.backend, `the replica on node "${replica.nodeId}" was removed during its load`);
      }
      this.events.emit({ type: 'replica-loaded', timeMs: clock.now(), frontendId, ...keyOf(replica), address, durationMs: clock.now() - startedMs });
      return loaded;
    } catch (error) {
      if (isUnreachableAgent(error)) {
        // Until node health decides, placements go elsewhere instead of retrying a dead agent.
        this.suspectNodes.set(replica.nodeId, clock.now() + this.options.agentFailureBackoffMs);
      }
      const failure = asLoadFailure(replica.modelId, request.backend, error);
      await this.abandonLoad(replica, address);
      this.events.emit({
        type: 'replica-load-failed',
        timeMs: clock.now(),
        frontendId,
        ...keyOf(replica),
        code: failure.code,
        message: failure.message,
        durationMs: clock.now() - startedMs,
      });
      throw failure;
    } finally {
      this.source.invalidate(replica.modelId);
    }
  }

  /** Undoes a failed load: the row (reservation and slot) and whatever the agent started. */
  private async abandonLoad(replica: ReplicaRecord, address: string | undefined): Promise<void> {
    await this.options.registry.removeReplica(replica).catch((error: unknown) => {
      this.options.logger.error('could not remove a failed replica from the registry', { replica: replicaId(replica), error: String(error) });
    });
    await this.stopOnAgent(replica, true);
    if (address !== undefined) {
      this.forgetBackend(address);
    }
  }

  /** Waits until a replica another router is loading is loaded or gone. */
  private async waitForLoading(key: ReplicaKey): Promise<void> {
    const { clock, registry, loadingPollIntervalMs, loadingWaitTimeoutMs } = this.options;
    const startMs = clock.now();
    for (;;) {
      const replica = await registry.getReplica(key);
      if (!replica || replica.state === 'loaded') {
        return;
      }
      if (clock.now() - startMs >= loadingWaitTimeoutMs) {
        throw new ReplicaWaitTimeoutError(key.modelId, clock.now() - startMs);
      }
      await clock.sleep(loadingPollIntervalMs, this.closing.signal);
    }
  }

  // ---- Helpers ----

  /**
   * Returns the model's scheduling, writing the request into the registry the first time
   * (and again when `refresh` is set, on the cold path) so the warm path costs no write.
   */
  private async schedulingFor(request: LoadRequest, refresh = false): Promise<ModelScheduling> {
    const known = this.knownModels.get(request.modelId);
    if (known && !refresh) {
      return known;
    }
    const scheduling = await this.options.registry.updateModel(request.modelId, (current) =>
      mergeRequest(current, request, this.options.defaultMaxReplicas),
    );
    this.knownModels.set(request.modelId, scheduling);
    return scheduling;
  }

  private nodesToAvoid(): string[] {
    const nowMs = this.options.clock.now();
    for (const [nodeId, untilMs] of this.suspectNodes) {
      if (untilMs <= nowMs) this.suspectNodes.delete(nodeId);
    }
    return [...this.suspectNodes.keys()];
  }

  private handOut(lease: ReplicaLease, client: BackendClient): RoutedReplica {
    const { replica } = lease;
    const leased = new LeasedBackendClient(client, lease, this.source, this.options.clock, this.options.pickLeaseTimeoutMs);
    return { client: leased, nodeId: replica.nodeId, replicaIndex: replica.replicaIndex, address: replica.address! };
  }

  /** Removes a replica from the registry and stops its backend in the background. */
  private async removeReplica(replica: ReplicaRecord, reason: ReplicaRemovalReason): Promise<void> {
    const removed = await this.options.registry.removeReplica(replica);
    this.source.invalidate(replica.modelId);
    if (replica.address !== undefined) {
      this.reachability.forget(replica.address);
    }
    if (removed) {
      this.track(this.retire(removed, reason, { force: true }));
    }
  }

  private async stopOnAgent(replica: ReplicaKey, force: boolean): Promise<void> {
    try {
      const node = await this.options.registry.getNode(replica.nodeId);
      if (node && node.status !== 'unhealthy') {
        await this.agents.get(node).stopBackend(replica.modelId, replica.replicaIndex, {
          force,
          deadlineMs: this.options.agentCallDeadlineMs,
        });
      }
    } catch (error) {
      this.options.logger.warn('could not stop a backend through its agent', { replica: replicaId(replica), error: String(error) });
    }
  }

  private backendClient(address: string): BackendClient {
    let client = this.backendClients.get(address);
    if (!client) {
      client = this.options.connectBackend(address);
      this.backendClients.set(address, client);
    }
    return client;
  }

  private forgetBackend(address: string): void {
    this.backendClients.get(address)?.close();
    this.backendClients.delete(address);
    this.reachability.forget(address);
  }

  private track(work: Promise<unknown>): void {
    const logged = work.catch((error: unknown) => {
      this.options.logger.warn('background replica work failed', { error: String(error) });
    });
    this.background.add(logged);
    void logged.then(() => this.background.delete(logged));
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) {
      throw new LoaderClosedError();
    }
  }
}

/** Placements retried elsewhere after an agent was unreachable, per request. */
const MAX_UNREACHABLE_AGENT_RETRIES = 2;

/** Returns whether a load failed because its node's agent could not be reached. */
function isUnreachableAgent(error: unknown): boolean {
  const cause = error instanceof LoadFailedError ? error.cause : error;
  return cause instanceof AgentCallError && (cause.kind === 'connection' || cause.kind === 'deadline');
}

/**
 * Wraps a load failure as `LoadFailedError`, which starts the loader's failure cooldown.
 * A model file outside the models directory is a request mistake and passes unchanged.
 */
function asLoadFailure(modelId: string, backend: string | undefined, error: unknown): Error & { code: string } {
  if (error instanceof LoadFailedError || error instanceof PathOutsideModelsDirError || error instanceof LoaderClosedError) {
    return error;
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new LoadFailedError(modelId, backend ?? 'unknown', reason, { cause: error });
}
