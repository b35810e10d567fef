import type { ReplicaPicker } from '../picker.js';
import type { PlacementPlan, RejectedPlan, Victim } from '../placement/plan.js';
import type {
  ClusterView,
  Labels,
  ModelScheduling,
  NodeRecord,
  NodeRegistration,
  NodeStatus,
  ReplicaKey,
  ReplicaRecord,
} from '../types.js';

/** A node's memory as its agent last reported it. */
export interface MemoryReading {
  totalMemoryBytes: number;
  availableMemoryBytes: number;
}

/** What a placement reserves for the new replica besides its slot. */
export interface ReplicaTemplate {
  modelId: string;
  sizeBytes: number | undefined;
  groups: readonly string[];
  pinned: boolean;
}

/** The result of `reserveReplica`. */
export type ReservationOutcome =
  | {
      kind: 'reserved';
      /** The new row, in state `loading`. */
      replica: ReplicaRecord;
      /** The rows the plan removed; their backends still run until someone stops them. */
      victims: readonly { replica: ReplicaRecord; reason: Victim['reason'] }[];
      groupRuleRelaxed: boolean;
    }
  | { kind: 'rejected'; plan: RejectedPlan };

/** Filters for `listReplicas`; every given field must match. */
export interface ReplicaFilter {
  modelId?: string;
  nodeId?: string;
  state?: ReplicaRecord['state'];
}

/**
 * The cluster's shared state: nodes, replicas and model scheduling.
 *
 * Every method is asynchronous and every record returned is a snapshot, so that an
 * implementation on a shared database (rows locked inside a transaction) can stand in for
 * the in-memory one. Methods that take a decision function run it on a consistent view and
 * apply its result in the same atomic step; the function must be pure because an
 * implementation may run it more than once (a retried transaction).
 */
export interface Registry {
  /** Adds a node, or updates its address, labels and memory; its replicas are kept. */
  registerNode(registration: NodeRegistration, nowMs: number): Promise<NodeRecord>;
  /** Removes a node and all its replicas; returns the removed replicas. */
  removeNode(nodeId: string): Promise<ReplicaRecord[]>;
  getNode(nodeId: string): Promise<NodeRecord | undefined>;
  listNodes(): Promise<NodeRecord[]>;
  /**
   * Moves a node to `status`. Leaving `healthy` or `draining` for `unhealthy` removes all
   * its replicas in the same step (a lost node's backends are gone or unreachable);
   * returns the removed replicas.
   */
  setNodeStatus(nodeId: string, status: NodeStatus, nowMs: number): Promise<ReplicaRecord[]>;
  /** Records a heartbeat and its memory reading; returns undefined for an unknown node. */
  recordHeartbeat(nodeId: string, reading: MemoryReading, nowMs: number): Promise<NodeRecord | undefined>;

  /** Creates or replaces a model's scheduling from the current value (undefined when new). */
  updateModel(
    modelId: string,
    update: (current: ModelScheduling | undefined) => ModelScheduling,
  ): Promise<ModelScheduling>;
  getModel(modelId: string): Promise<ModelScheduling | undefined>;
  listModels(): Promise<ModelScheduling[]>;

  getReplica(key: ReplicaKey): Promise<ReplicaRecord | undefined>;
  listReplicas(filter?: ReplicaFilter): Promise<ReplicaRecord[]>;
  /** A consistent snapshot of everything, for planning and reporting. */
  view(nowMs: number): Promise<ClusterView>;

  /**
   * Picks the best `loaded` replica of the model on a healthy node matching `nodeSelector`,
   * raises its in-flight count by one and sets its last-used time to `nowMs`, in one
   * atomic step. Returns undefined when the model has no such replica.
   */
  acquireReplica(modelId: string, nodeSelector: Labels, picker: ReplicaPicker, nowMs: number): Promise<ReplicaRecord | undefined>;
  /**
   * Adds `delta` to a replica's in-flight count; a positive delta also sets last-used.
   * The count never goes below zero. Returns undefined when the replica is gone.
   */
  addInFlight(key: ReplicaKey, delta: number, nowMs: number): Promise<ReplicaRecord | undefined>;

  /**
   * Runs `plan` on a consistent view and, when it returns `place`, removes its victims,
   * inserts the new `loading` row and reserves its memory on the node, all in one step.
   */
  reserveReplica(template: ReplicaTemplate, plan: (view: ClusterView) => PlacementPlan, nowMs: number): Promise<ReservationOutcome>;
  /**
   * Marks a `loading` replica `loaded` at `address` and turns its reservation into used
   * memory. Returns undefined when the row is gone (its node was lost meanwhile).
   */
  completeLoad(key: ReplicaKey, address: string, nowMs: number): Promise<ReplicaRecord | undefined>;
  /** Removes a replica row and releases its reservation; returns it, or undefined if gone. */
  removeReplica(key: ReplicaKey): Promise<ReplicaRecord | undefined>;
  /**
   * Runs `select` on a consistent view and removes the replica it names in the same step,
   * so that two concurrent callers never take the same victim. Returns the removed row,
   * or undefined when `select` chose none.
   */
  takeReplica(select: (view: ClusterView) => ReplicaKey | undefined, nowMs: number): Promise<ReplicaRecord | undefined>;
}
