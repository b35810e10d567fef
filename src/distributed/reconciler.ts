import type { Clock, Timer } from '../clock/clock.js';
import { InvalidOptionError } from '../errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { Registry } from './registry/registry.js';
import type { DistributedRouter, PlacementResult } from './router.js';
import { replicaId, type ClusterView, type ModelScheduling, type ReplicaKey, type ReplicaRecord } from './types.js';

/** Options of `ReplicaReconciler`. Durations are in milliseconds. */
export interface ReconcilerOptions {
  registry: Registry;
  /** Places and stops replicas; the reconciler uses the same placement as requests. */
  router: DistributedRouter;
  clock: Clock;
  logger?: Logger;
  /** How often a pass runs. Default 5,000. */
  intervalMs?: number;
  /** A replica above its model's minimum that is idle this long is stopped. Default 300,000. */
  scaleDownIdleMs?: number;
  /** A replica counts as busy at this many calls in flight. Default 1. */
  busyInFlight?: number;
}

/** An action of one pass for one model. */
export type ReconcileAction =
  | { kind: 'placed'; modelId: string; purpose: 'min-replicas' | 'scale-up'; result: PlacementResult }
  | { kind: 'scaled-down'; modelId: string; replica: string };

/**
 * Keeps replica counts where the scheduling wants them. Each pass, per model:
 * 1. below its minimum (counting loading replicas): place one, evicting if needed;
 * 2. every loaded replica busy and fewer than the maximum: place one more, evicting nothing;
 * 3. above its minimum: stop the replica idle the longest, if idle past `scaleDownIdleMs`.
 * One action per model and pass, so a pass never stampedes the cluster.
 */
export class ReplicaReconciler {
  private readonly intervalMs: number;
  private readonly scaleDownIdleMs: number;
  private readonly busyInFlight: number;
  private readonly logger: Logger;
  private timer: Timer | undefined;
  private running: Promise<ReconcileAction[]> | undefined;

  constructor(private readonly options: ReconcilerOptions) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.scaleDownIdleMs = options.scaleDownIdleMs ?? 300_000;
    this.busyInFlight = options.busyInFlight ?? 1;
    this.logger = (options.logger ?? silentLogger).child({ component: 'reconciler' });
    if (!(this.intervalMs > 0)) {
      throw new InvalidOptionError('reconciler.intervalMs', 'a number of milliseconds > 0', this.intervalMs);
    }
    if (!(this.scaleDownIdleMs >= 0)) {
      throw new InvalidOptionError('reconciler.scaleDownIdleMs', 'a number of milliseconds >= 0', this.scaleDownIdleMs);
    }
    if (!Number.isInteger(this.busyInFlight) || this.busyInFlight < 1) {
      throw new InvalidOptionError('reconciler.busyInFlight', 'an integer >= 1', this.busyInFlight);
    }
  }

  /** Runs a pass every `intervalMs`. Idempotent. */
  start(): void {
    this.timer ??= this.options.clock.setRepeatingTimer(this.intervalMs, () => {
      void this.runOnce().catch((error: unknown) => this.logger.error('reconcile pass failed', { error: String(error) }));
    });
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs one pass now; a pass already running is joined instead of overlapped. */
  runOnce(): Promise<ReconcileAction[]> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<ReconcileAction[]> {
    const { registry, clock } = this.options;
    const view = await registry.view(clock.now());
    const actions: ReconcileAction[] = [];
    for (const scheduling of [...view.models.values()].sort((a, b) => (a.modelId < b.modelId ? -1 : 1))) {
      const action = await this.reconcileModel(scheduling, view);
      if (action) {
        actions.push(action);
      }
    }
    return actions;
  }

  private async reconcileModel(scheduling: ModelScheduling, view: ClusterView): Promise<ReconcileAction | undefined> {
    const replicas = view.replicas.filter((r) => r.modelId === scheduling.modelId);
    const loaded = replicas.filter((r) => r.state === 'loaded');

    if (replicas.length < scheduling.minReplicas && scheduling.request) {
      return this.place(scheduling, 'min-replicas');
    }
    const allBusy = loaded.length > 0 && loaded.length === replicas.length && loaded.every((r) => r.inFlight >= this.busyInFlight);
    if (allBusy && replicas.length < scheduling.maxReplicas && scheduling.request) {
      return this.place(scheduling, 'scale-up');
    }
    if (replicas.length > scheduling.minReplicas) {
      return this.scaleDown(scheduling);
    }
    return undefined;
  }

  private async place(scheduling: ModelScheduling, purpose: 'min-replicas' | 'scale-up'): Promise<ReconcileAction> {
    const result = await this.options.router.placeReplica(scheduling, purpose);
    if (result.kind === 'failed') {
      this.logger.warn('reconciler could not place a replica', { modelId: scheduling.modelId, purpose, error: String(result.error) });
    }
    return { kind: 'placed', modelId: scheduling.modelId, purpose, result };
  }

  /** Takes the longest-idle replica above the minimum, re-checked in the registry's atomic step. */
  private async scaleDown(scheduling: ModelScheduling): Promise<ReconcileAction | undefined> {
    const { registry, clock, router } = this.options;
    const idleMs = this.scaleDownIdleMs;
    const stopped = await registry.takeReplica((view) => selectIdleReplica(view, scheduling.modelId, idleMs), clock.now());
    if (!stopped) {
      return undefined;
    }
    await router.retire(stopped, 'scale-down', { force: false });
    return { kind: 'scaled-down', modelId: scheduling.modelId, replica: replicaId(stopped) };
  }
}

/**
 * Selects the loaded replica of the model idle the longest past `idleMs`, while the model keeps
 * more replicas than its minimum; undefined otherwise.
 */
export function selectIdleReplica(view: ClusterView, modelId: string, idleMs: number): ReplicaKey | undefined {
  const replicas = view.replicas.filter((r) => r.modelId === modelId);
  const minReplicas = view.models.get(modelId)?.minReplicas ?? 0;
  if (replicas.length <= minReplicas) {
    return undefined;
  }
  const idle = replicas
    .filter((r) => r.state === 'loaded' && r.inFlight === 0 && !r.pinned && view.nowMs - r.lastUsedMs >= idleMs)
    .sort((a: ReplicaRecord, b: ReplicaRecord) => a.lastUsedMs - b.lastUsedMs);
  return idle[0];
}
