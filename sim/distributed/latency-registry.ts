import type { Clock } from '../../src/clock/clock.js';
import type { ReplicaPicker } from '../../src/distributed/picker.js';
import type { PlacementPlan } from '../../src/distributed/placement/plan.js';
import type {
  MemoryReading,
  Registry,
  ReplicaFilter,
  ReplicaTemplate,
  ReservationOutcome,
} from '../../src/distributed/registry/registry.js';
import type {
  ClusterView,
  Labels,
  ModelScheduling,
  NodeRecord,
  NodeRegistration,
  NodeStatus,
  ReplicaKey,
  ReplicaRecord,
} from '../../src/distributed/types.js';
import { InvalidOptionError } from '../../src/errors.js';
import { KeyedMutex } from '../../src/util/keyed-mutex.js';

/** Costs of a shared registry, in milliseconds of the run clock. */
export interface RegistryCosts {
  /** Network round trip of every call. */
  roundTripMs: number;
  /** Time an atomic step holds the registry's lock; concurrent steps queue for it. */
  lockHoldMs: number;
}

/**
 * A registry as a shared database would serve it to several frontends. Every call pays a
 * round trip. Every atomic step (a pick, a placement, a victim, an in-flight update) takes
 * one lock, so concurrent steps wait for each other. The simulator wraps the
 * embedded registry with it to show what routing through the registry costs.
 *
 * Steps take their time from the clock when they run, not from the caller, because they
 * run a round trip and a queue later than the call.
 *
 * NOTE: one lock for the whole registry is the pessimistic case; a database with row
 * locks would serialize only steps on the same model's rows.
 */
export class LatencyRegistry implements Registry {
  private readonly lock = new KeyedMutex();
  /** Calls made, by method, for the run's summary. */
  readonly calls = new Map<string, number>();

  constructor(
    private readonly inner: Registry,
    private readonly clock: Clock,
    private readonly costs: RegistryCosts,
  ) {
    if (!(costs.roundTripMs >= 0) || !(costs.lockHoldMs >= 0)) {
      throw new InvalidOptionError('registry costs', 'round trip and lock hold of at least 0 ms', costs);
    }
  }

  registerNode(registration: NodeRegistration, nowMs: number): Promise<NodeRecord> {
    return this.atomic('registerNode', () => this.inner.registerNode(registration, nowMs));
  }
  removeNode(nodeId: string): Promise<ReplicaRecord[]> {
    return this.atomic('removeNode', () => this.inner.removeNode(nodeId));
  }
  getNode(nodeId: string): Promise<NodeRecord | undefined> {
    return this.read('getNode', () => this.inner.getNode(nodeId));
  }
  listNodes(): Promise<NodeRecord[]> {
    return this.read('listNodes', () => this.inner.listNodes());
  }
  setNodeStatus(nodeId: string, status: NodeStatus, nowMs: number): Promise<ReplicaRecord[]> {
    return this.atomic('setNodeStatus', () => this.inner.setNodeStatus(nodeId, status, nowMs));
  }
  recordHeartbeat(nodeId: string, reading: MemoryReading, nowMs: number): Promise<NodeRecord | undefined> {
    return this.atomic('recordHeartbeat', () => this.inner.recordHeartbeat(nodeId, reading, nowMs));
  }
  updateModel(modelId: string, update: (current: ModelScheduling | undefined) => ModelScheduling): Promise<ModelScheduling> {
    return this.atomic('updateModel', () => this.inner.updateModel(modelId, update));
  }
  getModel(modelId: string): Promise<ModelScheduling | undefined> {
    return this.read('getModel', () => this.inner.getModel(modelId));
  }
  listModels(): Promise<ModelScheduling[]> {
    return this.read('listModels', () => this.inner.listModels());
  }
  getReplica(key: ReplicaKey): Promise<ReplicaRecord | undefined> {
    return this.read('getReplica', () => this.inner.getReplica(key));
  }
  listReplicas(filter?: ReplicaFilter): Promise<ReplicaRecord[]> {
    return this.read('listReplicas', () => this.inner.listReplicas(filter));
  }
  view(nowMs: number): Promise<ClusterView> {
    return this.read('view', () => this.inner.view(nowMs));
  }
  acquireReplica(modelId: string, nodeSelector: Labels, picker: ReplicaPicker, _nowMs: number): Promise<ReplicaRecord | undefined> {
    return this.atomic('acquireReplica', () => this.inner.acquireReplica(modelId, nodeSelector, picker, this.clock.now()));
  }
  addInFlight(key: ReplicaKey, delta: number, _nowMs: number): Promise<ReplicaRecord | undefined> {
    return this.atomic('addInFlight', () => this.inner.addInFlight(key, delta, this.clock.now()));
  }
  reserveReplica(template: ReplicaTemplate, plan: (view: ClusterView) => PlacementPlan, _nowMs: number): Promise<ReservationOutcome> {
    return this.atomic('reserveReplica', () => this.inner.reserveReplica(template, plan, this.clock.now()));
  }
  completeLoad(key: ReplicaKey, address: string, _nowMs: number): Promise<ReplicaRecord | undefined> {
    return this.atomic('completeLoad', () => this.inner.completeLoad(key, address, this.clock.now()));
  }
  removeReplica(key: ReplicaKey): Promise<ReplicaRecord | undefined> {
    return this.atomic('removeReplica', () => this.inner.removeReplica(key));
  }
  takeReplica(select: (view: ClusterView) => ReplicaKey | undefined, _nowMs: number): Promise<ReplicaRecord | undefined> {
    return this.atomic('takeReplica', () => this.inner.takeReplica(select, this.clock.now()));
  }

  private async read<T>(method: string, call: () => Promise<T>): Promise<T> {
    this.count(method);
    await this.wait(this.costs.roundTripMs / 2);
    const result = await call();
    await this.wait(this.costs.roundTripMs / 2);
    return result;
  }

  private async atomic<T>(method: string, call: () => Promise<T>): Promise<T> {
    this.count(method);
    await this.wait(this.costs.roundTripMs / 2);
    const release = await this.lock.acquire('registry');
    let result: T;
    try {
      await this.wait(this.costs.lockHoldMs);
      result = await call();
    } finally {
      release();
    }
    await this.wait(this.costs.roundTripMs / 2);
    return result;
  }

  /** Waits on the clock; a zero wait adds no timer, so free costs change nothing. */
  private wait(ms: number): Promise<void> {
    return ms > 0 ? this.clock.sleep(ms) : Promise.resolve();
  }

  private count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }
}
