import { setMaxListeners } from 'node:events';
import type { BackendClient } from '../backend/backend-client.js';
import type { BackendExit } from '../backend/backend-launcher.js';
import {
  BackendCallError,
  LoadCooldownError,
  LoaderClosedError,
  ModelBusyError,
  ModelNotFoundError,
} from '../errors.js';
import { Emitter } from '../util/emitter.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { planAdmission, type AdmissionBlocker, type AdmissionModel, type AdmissionPlan } from './admission.js';
import { AdmissionSignal } from './admission-signal.js';
import { startBackend } from './backend-starter.js';
import type { EvictionReason, LoaderEvent } from './events.js';
import { FailureCooldown } from './failure-cooldown.js';
import type { LoadRequest } from './load-request.js';
import { resolveModelFile } from './model-file.js';
import { ModelRecord, type ModelState } from './model-record.js';
import type { RoutedReplica } from './model-router.js';
import { resolveLoaderOptions, type ModelLoaderOptions, type ResolvedLoaderOptions } from './options.js';
import { TrackedClient } from './tracked-client.js';
import { ConnectionEvictingClient } from '../backend/connection-evicting-client.js';
import { DistributedStandIns } from './distributed-stand-ins.js';

/** A snapshot of one model the loader holds. */
export interface ResidentModelInfo {
  modelId: string;
  state: ModelState;
  backend: string | undefined;
  address: string | undefined;
  pid: number | undefined;
  inFlight: number;
  /** Start of the oldest in-flight call; undefined when idle. */
  busySinceMs: number | undefined;
  idleSinceMs: number;
  lastUsedMs: number;
  sizeBytes: number | undefined;
  groups: readonly string[];
  pinned: boolean;
  /** Distributed mode: the node serving the model. */
  nodeId?: string;
}

/** Options of an eviction requested by the watchdog or an operator. */
export interface EvictOptions {
  reason: EvictionReason;
  /** Skip the busy wait and `Free`, and stop at once. */
  force?: boolean;
  /** Give up (as `skipped: busy`) instead of waiting when the model has calls in flight. */
  onlyIfIdle?: boolean;
  /** Evict even a pinned model (explicit shutdowns only). */
  includePinned?: boolean;
  /** The model loaded past a limit that this eviction makes room for; see `afterOverflow` of the event. */
  forModelId?: string;
}

export type EvictionOutcome =
  | { kind: 'evicted'; forced: boolean }
  | { kind: 'skipped'; reason: 'busy' | 'pinned' | 'not-resident' };

/** Runs before a model's backend is stopped gracefully, e.g. to flush per-model state. */
export type UnloadHook = (modelId: string, reason: EvictionReason) => void | Promise<void>;

/**
 * Keeps model backends resident: loads on demand, coalesces concurrent loads of one model,
 * enforces concurrency groups and the LRU limit atomically, backs off after failures, and
 * stops backends gracefully or by force. In distributed mode it hands every load to the
 * router instead.
 */
export class ModelLoader {
  readonly events = new Emitter<LoaderEvent>();
  private readonly options: ResolvedLoaderOptions;
  private readonly records = new Map<string, ModelRecord>();
  /** Cold loads in progress, by model id; concurrent loads of the model join these. */
  private readonly pendingLoads = new Map<string, Promise<ModelRecord>>();
  private readonly locks = new KeyedMutex();
  private readonly cooldown: FailureCooldown;
  private readonly admission: AdmissionSignal;
  private readonly pinned: Set<string>;
  private readonly unloadHooks = new Set<UnloadHook>();
  private readonly standIns = new DistributedStandIns();
  /** Aborted by `shutdown()`, which stops backends still starting. */
  private readonly closing = new AbortController();
  /** Models that blocked an LRU overflow, and the model loaded past the limit, until the limit holds again. */
  private readonly pendingLruEvictions = new Map<string, string>();
  /** Group conflicts left by overflows: the blocking model, and the model loaded next to it. */
  private readonly pendingGroupEvictions = new Map<string, string>();
  private restoreScheduled = false;

  constructor(options: ModelLoaderOptions) {
    this.options = resolveLoaderOptions(options);
    this.cooldown = new FailureCooldown(this.options.cooldownInitialMs, this.options.cooldownMaxMs);
    this.admission = new AdmissionSignal(this.options.clock, this.options.wakeWaitingLoads);
    this.pinned = new Set(this.options.pinnedModels);
    // Every cold load in progress listens on this signal, so many concurrent loads are normal.
    setMaxListeners(0, this.closing.signal);
  }

  get settings(): ResolvedLoaderOptions {
    return this.options;
  }

  /**
   * Returns a client for the model, loading it first when it is not resident. Rejects
   * with `LoadCooldownError` while the model is in its failure cooldown.
   */
  async load(request: LoadRequest): Promise<BackendClient> {
    if (this.closing.signal.aborted) throw new LoaderClosedError();
    if (request.pinned) this.pinned.add(request.modelId);
    if (this.options.router) return this.loadThroughRouter(request);

    const modelFilePath = resolveModelFile(this.options.modelsDir, request.modelFile);
    // An unknown backend name must fail before admission evicts anything to make room.
    if (request.backend !== undefined) this.options.catalog.resolve(request.backend);
    return this.loadLocal(request, modelFilePath, true);
  }

  /** Stops one model. Graceful unless `force`; rejects with `ModelNotFoundError` when it is not held. */
  async shutdownModel(modelId: string, options: { force?: boolean } = {}): Promise<void> {
    const force = options.force ?? false;
    if (this.options.router) {
      const held = await this.options.router.shutdownModel(modelId, { force });
      this.standIns.removeModel(modelId);
      if (!held) throw new ModelNotFoundError(modelId);
      return;
    }
    const pending = this.pendingLoads.get(modelId);
    if (pending) await pending.catch(() => undefined);
    const outcome = await this.evict(modelId, { reason: 'explicit', force, includePinned: true });
    if (outcome.kind === 'skipped' && outcome.reason === 'not-resident') throw new ModelNotFoundError(modelId);
  }

  /**
   * Stops a resident model for `reason`. Pinned models are skipped unless `includePinned`.
   * A graceful eviction of a busy model waits for its calls up to the shutdown busy timeout,
   * then forces the stop when force-when-busy is on or throws `ModelBusyError`.
   */
  async evict(modelId: string, options: EvictOptions): Promise<EvictionOutcome> {
    const release = await this.locks.acquire(modelId);
    let claimedElsewhere: ModelRecord | undefined;
    try {
      const record = this.records.get(modelId);
      if (!record || record.state !== 'ready') return { kind: 'skipped', reason: 'not-resident' };
      if (!options.includePinned && this.pinned.has(modelId)) return { kind: 'skipped', reason: 'pinned' };
      if (options.onlyIfIdle && record.usage.busy) return { kind: 'skipped', reason: 'busy' };

      let force = options.force ?? false;
      if (!force && record.usage.busy) {
        await this.waitUntilIdle(record, this.options.shutdownBusyTimeoutMs);
        // A cold load may have claimed the model as its victim while we waited.
        if (record.state !== 'ready') {
          claimedElsewhere = record;
        } else if (record.usage.busy) {
          if (!this.options.forceEvictionWhenBusy) {
            throw new ModelBusyError(modelId, record.usage.inFlight, this.options.shutdownBusyTimeoutMs);
          }
          force = true;
        }
      }
      if (!claimedElsewhere) {
        record.transition('stopping');
        await this.stopRecord(record, options.reason, force, options.forModelId, options.forModelId !== undefined);
        return { kind: 'evicted', forced: force };
      }
    } finally {
      release();
    }
    // That load stops it under this lock, which is free now.
    await claimedElsewhere.stopped;
    return { kind: 'evicted', forced: false };
  }

  /** Stops every backend and rejects further loads. Loads still starting are aborted. */
  async shutdown(): Promise<void> {
    this.closing.abort(new LoaderClosedError());
    // Loads waiting for room re-check the closing flag when woken.
    this.admission.notify();
    await Promise.allSettled([...this.pendingLoads.values()]);
    await Promise.allSettled(
      [...this.records.keys()].map((modelId) =>
        this.evict(modelId, { reason: 'explicit', force: this.isBusy(modelId), includePinned: true }),
      ),
    );
    if (this.options.router) {
      await this.options.router.close();
      this.standIns.clear();
    }
  }

  /** Registers a hook run before each graceful stop; returns a function that removes it. */
  onUnload(hook: UnloadHook): () => void {
    this.unloadHooks.add(hook);
    return () => this.unloadHooks.delete(hook);
  }

  /** Pins or unpins a model, resident or not. Pinned models are never evicted automatically. */
  pin(modelId: string, pinned = true): void {
    if (pinned) {
      this.pinned.add(modelId);
      return;
    }
    this.pinned.delete(modelId);
    // An unpinned model that held a limit past an overflow may go now.
    this.scheduleLimitRestore();
  }

  isPinned(modelId: string): boolean {
    return this.pinned.has(modelId);
  }

  /** Lists every model the loader has, in any state, or the distributed stand-ins in distributed mode. */
  list(): ResidentModelInfo[] {
    if (this.options.router) return this.standIns.list(this.pinned);
    return [...this.records.values()].map((r) => this.describe(r));
  }

  get(modelId: string): ResidentModelInfo | undefined {
    const record = this.records.get(modelId);
    return record ? this.describe(record) : undefined;
  }

  private isBusy(modelId: string): boolean {
    return this.records.get(modelId)?.usage.busy ?? false;
  }

  private describe(record: ModelRecord): ResidentModelInfo {
    return {
      modelId: record.modelId,
      state: record.state,
      backend: record.backend,
      address: record.process?.address,
      pid: record.process?.pid,
      inFlight: record.usage.inFlight,
      busySinceMs: record.usage.busySinceMs,
      idleSinceMs: record.usage.idleSinceMs,
      lastUsedMs: record.usage.lastUsedMs,
      sizeBytes: record.sizeBytes,
      groups: record.groups,
      pinned: this.pinned.has(record.modelId),
    };
  }

  private emit(event: LoaderEvent): void {
    this.events.emit(event);
  }

  private now(): number {
    return this.options.clock.now();
  }

  // ---- Local mode: resident path and coalescing ----

  /**
   * Resolves a load in local mode. Each pass serves a resident model, joins the cold load in
   * progress, or starts one. A pass that found the model dead or stopping tries again.
   */
  private async loadLocal(request: LoadRequest, modelFilePath: string, mayRetry: boolean): Promise<BackendClient> {
    const { modelId } = request;
    for (;;) {
      if (this.closing.signal.aborted) throw new LoaderClosedError();

      const record = this.records.get(modelId);
      if (record?.state === 'ready') {
        if (await this.isHealthy(record)) {
          record.usage.touch(this.now());
          this.emit({ type: 'resident-hit', timeMs: this.now(), modelId });
          return record.client!;
        }
        continue;
      }
      if (record?.state === 'stopping' || record?.state === 'failed') {
        await record.stopped;
        continue;
      }

      const pending = this.pendingLoads.get(modelId);
      if (pending) {
        this.emit({ type: 'load-coalesced', timeMs: this.now(), modelId });
        try {
          const loaded = await pending;
          loaded.usage.touch(this.now());
          return loaded.client!;
        } catch (error) {
          // A failed burst: each waiter retries once; the cooldown decides whether that retry may spawn.
          if (!mayRetry || error instanceof LoaderClosedError) throw error;
          mayRetry = false;
          continue;
        }
      }

      const cooling = this.cooldown.check(modelId, this.now());
      if (cooling) {
        this.emit({ type: 'cooldown-rejected', timeMs: this.now(), modelId, retryAfterMs: cooling.retryAfterMs });
        throw new LoadCooldownError(modelId, cooling.retryAfterMs, cooling.consecutiveFailures, cooling.lastError);
      }

      const attempt = this.coldLoad(request, modelFilePath);
      this.pendingLoads.set(modelId, attempt);
      const clear = (): void => {
        if (this.pendingLoads.get(modelId) === attempt) this.pendingLoads.delete(modelId);
      };
      attempt.then(clear, clear);
      const loaded = await attempt;
      return loaded.client!;
    }
  }

  /**
   * Checks a resident model at most once per health TTL. A dead local process or a
   * connection error removes the model; a timeout keeps it, since the backend may only be busy.
   */
  private async isHealthy(record: ModelRecord): Promise<boolean> {
    const process = record.process!;
    if (!process.attached && !process.isRunning()) {
      await this.removeCrashed(record);
      return false;
    }
    if (this.now() - record.lastHealthCheckMs < this.options.healthTtlMs) return true;

    const release = await this.locks.acquire(record.modelId);
    try {
      if (this.records.get(record.modelId) !== record || record.state !== 'ready') return false;
      if (this.now() - record.lastHealthCheckMs < this.options.healthTtlMs) return true;
      await process.client.health({ deadlineMs: this.options.healthCheckDeadlineMs });
      record.lastHealthCheckMs = this.now();
      return true;
    } catch (error) {
      if (error instanceof BackendCallError && error.kind === 'connection') {
        this.options.logger.warn('resident backend unreachable; reloading', {
          modelId: record.modelId,
          address: process.address,
          error: error.message,
        });
        record.transition('stopping');
        await this.stopRecord(record, 'connection-error', true);
        return false;
      }
      this.options.logger.info('health check of resident backend failed; keeping it', {
        modelId: record.modelId,
        error: error instanceof Error ? error.message : String(error),
      });
      return true;
    } finally {
      release();
    }
  }

  // ---- Local mode: cold path ----

  private async coldLoad(request: LoadRequest, modelFilePath: string): Promise<ModelRecord> {
    const { modelId } = request;
    const release = await this.locks.acquire(modelId);
    try {
      const record = await this.admit(request);
      const startedMs = this.now();
      this.emit({ type: 'load-started', timeMs: startedMs, modelId, backend: request.backend ?? '(auto)' });
      try {
        const process = await startBackend(
          {
            launcher: this.options.launcher,
            catalog: this.options.catalog,
            logger: this.options.logger,
            modelsDir: this.options.modelsDir,
            loadModelDeadlineMs: this.options.loadModelDeadlineMs,
            signal: this.closing.signal,
          },
          request,
          modelFilePath,
        );
        if (this.closing.signal.aborted) {
          await process.stop({ force: true });
          throw new LoaderClosedError();
        }
        record.process = process;
        record.backend = process.backend;
        // An attached backend has no exit watcher, so a lost connection is how its death shows.
        const client = process.attached
          ? new ConnectionEvictingClient(process.client, () => void this.dropUnreachable(record))
          : process.client;
        record.client = new TrackedClient(client, record.usage, this.options.clock, request.parallel ?? true);
        record.lastHealthCheckMs = this.now();
        record.usage.touch(this.now());
        process.onExit((exit) => this.onBackendExit(record, exit));
        record.transition('ready');
      } catch (error) {
        this.failLoad(record, request, error);
        throw error;
      }

      this.cooldown.recordSuccess(modelId);
      this.emit({
        type: 'load-succeeded',
        timeMs: this.now(),
        modelId,
        backend: record.backend!,
        address: record.process!.address,
        durationMs: this.now() - startedMs,
      });
      this.admission.notify();
      this.scheduleLimitRestore();
      return record;
    } finally {
      release();
    }
  }

  private failLoad(record: ModelRecord, request: LoadRequest, error: unknown): void {
    const closed = error instanceof LoaderClosedError;
    const cooldownMs = closed ? 0 : this.cooldown.recordFailure(request.modelId, this.now(), error);
    record.transition('failed');
    record.transition('stopped');
    this.records.delete(request.modelId);
    const message = error instanceof Error ? error.message : String(error);
    this.options.logger.warn('model load failed', { modelId: request.modelId, error: message, cooldownMs });
    this.emit({
      type: 'load-failed',
      timeMs: this.now(),
      modelId: request.modelId,
      backend: request.backend,
      code: (error as { code?: string }).code ?? 'UNKNOWN',
      message,
      cooldownMs,
    });
    this.admission.notify();
  }

  /**
   * Makes room for a cold load and reserves its slot. Planning and reserving happen in one
   * synchronous step, so concurrent cold loads of different models each see the others'
   * reservations and cannot together overshoot the LRU limit.
   *
   * A load in progress that blocks admission is always waited for, because it ends
   * (ready or failed) within the LoadModel deadline. Busy or pinned blockers are waited for
   * up to `evictionRetries` retry intervals, counted only while no loading blocker remains.
   * After that the load goes ahead and reports an overflow. Waits end early when a model
   * goes idle, stops or finishes loading.
   */
  private async admit(request: LoadRequest): Promise<ModelRecord> {
    const waitStartedMs = this.now();
    const windowMs = this.options.evictionRetries * this.options.evictionRetryIntervalMs;
    let windowStartMs = waitStartedMs;
    let plan = this.planFor(request);
    let reportedBlockers = '';
    let waited = false;
    let loadingWasInTheWay = false;

    while (plan.blockers.length > 0) {
      const loadingInTheWay = plan.blockers.some((b) => b.reason === 'loading');
      // The window measures time lost to busy or pinned models only, so it restarts while a
      // load is in the way and once more when that load has just finished.
      if (loadingInTheWay || loadingWasInTheWay) windowStartMs = this.now();
      loadingWasInTheWay = loadingInTheWay;
      const remainingMs = windowStartMs + windowMs - this.now();
      if (!loadingInTheWay && remainingMs <= 0) break;

      waited = true;
      const key = plan.blockers.map((b) => `${b.modelId}:${b.reason}`).join(',');
      if (key !== reportedBlockers) {
        reportedBlockers = key;
        for (const blocker of plan.blockers) {
          this.emit({ type: 'eviction-skipped', timeMs: this.now(), modelId: blocker.modelId, reason: blocker.reason, forModelId: request.modelId });
        }
      }
      const pollMs = this.options.evictionRetryIntervalMs;
      await this.admission.wait(loadingInTheWay ? pollMs : Math.min(pollMs, remainingMs));
      if (this.closing.signal.aborted) throw new LoaderClosedError();
      plan = this.planFor(request);
    }

    const waitedMs = this.now() - waitStartedMs;
    if (waited) this.emit({ type: 'admission-waited', timeMs: this.now(), modelId: request.modelId, waitedMs });
    if (plan.blockers.length > 0) this.reportOverflow(request.modelId, plan.blockers, waitedMs);

    // Reserve the slot and claim the victims before the first await of the stops below.
    const record = this.createRecord(request);
    const victims = plan.victims.map((v) => ({ victim: v, record: this.records.get(v.modelId)! }));
    for (const { record: victim } of victims) victim.transition('stopping');
    for (const { victim, record: victimRecord } of victims) {
      await this.stopClaimedVictim(victimRecord, victim.reason, victim.forced, request.modelId);
    }
    return record;
  }

  private planFor(request: LoadRequest): AdmissionPlan {
    const models: AdmissionModel[] = [];
    for (const record of this.records.values()) {
      if (!record.occupiesSlot || record.modelId === request.modelId) continue;
      models.push({
        modelId: record.modelId,
        state: record.state as 'loading' | 'ready',
        groups: record.groups,
        pinned: this.pinned.has(record.modelId),
        busy: record.usage.busy,
        lastUsedMs: record.usage.lastUsedMs,
        sizeBytes: record.sizeBytes,
      });
    }
    return planAdmission({
      modelId: request.modelId,
      groups: request.groups ?? [],
      models,
      lruLimit: this.options.lruLimit,
      policy: this.options.evictionPolicy,
      forceWhenBusy: this.options.forceEvictionWhenBusy,
    });
  }

  private reportOverflow(modelId: string, blockers: readonly AdmissionBlocker[], waitedMs: number): void {
    for (const kind of ['group', 'lru'] as const) {
      const names = blockers.filter((b) => b.rule === kind).map((b) => b.modelId);
      if (names.length === 0) continue;
      this.options.logger.warn('loading past a limit: blocking models did not make room in time', {
        modelId,
        rule: kind,
        blockers: names,
        waitedMs,
      });
      this.emit({ type: 'overflow', timeMs: this.now(), modelId, kind, blockers: names });
      const pending = kind === 'lru' ? this.pendingLruEvictions : this.pendingGroupEvictions;
      for (const blocker of names) pending.set(blocker, modelId);
    }
  }

  /** Runs `restoreLimits` on the next tick while an overflow is outstanding. */
  private scheduleLimitRestore(): void {
    if (this.restoreScheduled || (this.pendingLruEvictions.size === 0 && this.pendingGroupEvictions.size === 0)) return;
    this.restoreScheduled = true;
    // Deferred like admission wake-ups, so a caller that has just received a client starts its call first.
    this.options.clock.setTimer(0, () => {
      this.restoreScheduled = false;
      void this.restoreLimits();
    });
  }

  /**
   * Finishes the evictions an overflowed load needed, as soon as the models that blocked it
   * are idle and unpinned: without this, a loader that went past its LRU limit once would
   * stay past it until the next cold load. Only those blockers are evicted, never the model
   * that was loaded past the limit, and LRU blockers only while the limit is still exceeded.
   */
  private async restoreLimits(): Promise<void> {
    for (const [blocker, forModelId] of [...this.pendingGroupEvictions]) {
      const record = this.records.get(blocker);
      if (record?.state !== 'ready' || !this.records.get(forModelId)?.occupiesSlot) {
        this.pendingGroupEvictions.delete(blocker);
        continue;
      }
      if (record.usage.busy || this.pinned.has(blocker)) continue;
      this.pendingGroupEvictions.delete(blocker);
      await this.evictQuietly(blocker, 'group', forModelId);
    }

    while (this.pendingLruEvictions.size > 0) {
      const holding = [...this.records.values()].filter((r) => r.occupiesSlot).length;
      if (this.options.lruLimit === 0 || holding <= this.options.lruLimit) {
        this.pendingLruEvictions.clear();
        return;
      }
      const idle = [];
      for (const blocker of [...this.pendingLruEvictions.keys()]) {
        const record = this.records.get(blocker);
        if (record?.state !== 'ready') this.pendingLruEvictions.delete(blocker);
        else if (!record.usage.busy && !this.pinned.has(blocker)) {
          idle.push({ modelId: blocker, lastUsedMs: record.usage.lastUsedMs, sizeBytes: record.sizeBytes });
        }
      }
      const victim = this.options.evictionPolicy.order(idle)[0];
      if (!victim) return;
      const forModelId = this.pendingLruEvictions.get(victim.modelId);
      this.pendingLruEvictions.delete(victim.modelId);
      await this.evictQuietly(victim.modelId, 'lru', forModelId);
    }
  }

  private async evictQuietly(modelId: string, reason: 'lru' | 'group', forModelId?: string): Promise<EvictionOutcome> {
    try {
      return await this.evict(modelId, { reason, onlyIfIdle: true, ...(forModelId !== undefined && { forModelId }) });
    } catch (error) {
      this.options.logger.warn('eviction to restore a limit failed', { modelId, reason, error: String(error) });
      return { kind: 'skipped', reason: 'busy' };
    }
  }

  private createRecord(request: LoadRequest): ModelRecord {
    const record = new ModelRecord(
      request.modelId,
      request.sizeBytes,
      [...(request.groups ?? [])],
      request.parallel ?? true,
      this.now(),
      () => {
        this.admission.notify();
        this.scheduleLimitRestore();
      },
      this.options.logger,
    );
    this.records.set(request.modelId, record);
    return record;
  }

  /** Stops a victim already moved to `stopping` by admission, under its own lock. */
  private async stopClaimedVictim(
    record: ModelRecord,
    reason: 'group' | 'lru',
    forced: boolean,
    forModelId: string,
  ): Promise<void> {
    const release = await this.locks.acquire(record.modelId);
    try {
      let force = forced;
      // A call may have started on a handed-out client after the victim was chosen.
      if (!force && record.usage.busy) {
        await this.waitUntilIdle(record, this.options.shutdownBusyTimeoutMs);
        force = record.usage.busy;
      }
      await this.stopRecord(record, reason, force, forModelId);
    } finally {
      release();
    }
  }

  // ---- Stopping ----

  /**
   * Stops a record already in `stopping`: unload hooks and `Free` unless forced, then the
   * process, then removal. Failures of hooks and `Free` are logged, never fatal, because
   * the backend is going away either way.
   */
  private async stopRecord(
    record: ModelRecord,
    reason: EvictionReason,
    force: boolean,
    forModelId?: string,
    afterOverflow = false,
  ): Promise<void> {
    const { modelId } = record;
    if (!force) {
      for (const hook of this.unloadHooks) {
        try {
          await hook(modelId, reason);
        } catch (error) {
          this.options.logger.warn('unload hook failed', { modelId, reason, error: String(error) });
        }
      }
      try {
        await record.process?.client.free({ deadlineMs: this.options.freeDeadlineMs });
      } catch (error) {
        this.options.logger.info('Free failed; stopping the backend anyway', { modelId, error: String(error) });
      }
    }
    try {
      await record.process?.stop({ force });
    } catch (error) {
      this.options.logger.error('backend did not stop cleanly', { modelId, error: String(error) });
    }
    record.process?.client.close();
    record.transition('stopped');
    if (this.records.get(modelId) === record) this.records.delete(modelId);
    this.options.logger.info('model evicted', { modelId, reason, forced: force });
    this.emit({
      type: 'evicted',
      timeMs: this.now(),
      modelId,
      reason,
      forced: force,
      ...(forModelId !== undefined && { forModelId }),
      ...(afterOverflow && { afterOverflow }),
    });
    this.admission.notify();
  }

  private async waitUntilIdle(record: ModelRecord, timeoutMs: number): Promise<void> {
    const deadlineMs = this.now() + timeoutMs;
    while (record.usage.busy && this.now() < deadlineMs) {
      await this.admission.wait(Math.min(this.options.evictionRetryIntervalMs, deadlineMs - this.now()));
    }
  }

  /** Evicts an attached backend whose connection failed during a call. */
  private async dropUnreachable(record: ModelRecord): Promise<void> {
    const release = await this.locks.acquire(record.modelId);
    try {
      if (this.records.get(record.modelId) !== record || record.state !== 'ready') return;
      this.options.logger.warn('attached backend unreachable; the next request reloads it', {
        modelId: record.modelId,
        address: record.process?.address,
      });
      record.transition('stopping');
      await this.stopRecord(record, 'connection-error', true);
    } finally {
      release();
    }
  }

  /** Drops a resident backend that exited unintentionally, so the next request cold-loads it. */
  private onBackendExit(record: ModelRecord, exit: BackendExit): void {
    this.emit({
      type: 'backend-exited',
      timeMs: this.now(),
      modelId: record.modelId,
      exitCode: exit.exitCode,
      signal: exit.signal,
      intentional: exit.intentional,
    });
    if (exit.intentional || record.state !== 'ready') return;
    this.options.logger.warn('backend exited unexpectedly; the next request reloads it', {
      modelId: record.modelId,
      exitCode: exit.exitCode,
      signal: exit.signal,
    });
    void this.removeCrashed(record);
  }

  private async removeCrashed(record: ModelRecord): Promise<void> {
    if (record.state !== 'ready') {
      await record.stopped;
      return;
    }
    record.transition('failed');
    record.process?.client.close();
    record.transition('stopped');
    if (this.records.get(record.modelId) === record) this.records.delete(record.modelId);
    this.admission.notify();
  }

  // ---- Distributed mode ----

  private async loadThroughRouter(request: LoadRequest): Promise<BackendClient> {
    const router = this.options.router!;
    const cooling = this.cooldown.check(request.modelId, this.now());
    if (cooling) {
      this.emit({ type: 'cooldown-rejected', timeMs: this.now(), modelId: request.modelId, retryAfterMs: cooling.retryAfterMs });
      throw new LoadCooldownError(request.modelId, cooling.retryAfterMs, cooling.consecutiveFailures, cooling.lastError);
    }
    let routed: RoutedReplica;
    try {
      routed = await router.route(request);
    } catch (error) {
      if ((error as { code?: string }).code === 'LOAD_FAILED' || (error as { code?: string }).code === 'ALL_BACKENDS_FAILED') {
        this.cooldown.recordFailure(request.modelId, this.now(), error);
      }
      throw error;
    }
    this.cooldown.recordSuccess(request.modelId);
    this.standIns.record(request, routed, this.now());
    return this.standIns.wrap(request.modelId, routed, (replica) => {
      this.emit({ type: 'evicted', timeMs: this.now(), modelId: request.modelId, reason: 'connection-error', forced: true });
      void router.dropReplica(request.modelId, replica.nodeId, replica.replicaIndex);
    });
  }
}
