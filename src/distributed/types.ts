import type { LoadRequest } from '../loader/load-request.js';

/**
 * The states a node can be in. Only `healthy` nodes receive new replicas and requests;
 * `draining` keeps its replicas serving until they are stopped but takes no new ones.
 */
export type NodeStatus = 'healthy' | 'unhealthy' | 'draining';

/** Labels that describe a node (`gpu=h100`) and that node selectors match exactly. */
export type Labels = Readonly<Record<string, string>>;

/** One GPU host in the registry. Records are read-only snapshots. */
export interface NodeRecord {
  readonly id: string;
  /** `host:port` of the node's worker agent. */
  readonly agentAddress: string;
  readonly status: NodeStatus;
  readonly labels: Labels;
  readonly totalMemoryBytes: number;
  /**
   * GPU memory free on the node: the lower of the last heartbeat's reading and the total
   * minus the known sizes of the node's loaded replicas. The reading catches memory the
   * registry does not know of; the sizes count a replica loaded since the last heartbeat.
   */
  readonly availableMemoryBytes: number;
  /** Sum of the reservations of the node's replicas in state `loading`; never negative. */
  readonly reservedMemoryBytes: number;
  /** The maximum number of replicas of one model the node may hold. */
  readonly replicaSlotsPerModel: number;
  /** Clock time of the last heartbeat, or of registration when none arrived yet. */
  readonly lastHeartbeatMs: number;
}

/** Node properties given at registration, by an operator or the cluster assembly. */
export interface NodeRegistration {
  id: string;
  agentAddress: string;
  labels?: Labels;
  totalMemoryBytes: number;
  /** Free GPU memory as measured at registration; defaults to `totalMemoryBytes`. */
  availableMemoryBytes?: number;
  /** Default 1. */
  replicaSlotsPerModel?: number;
}

/** A replica is `loading` from its placement until `LoadModel` succeeded, then `loaded`. */
export type ReplicaState = 'loading' | 'loaded';

/** Identifies one replica: a model on a node at a replica index. */
export interface ReplicaKey {
  readonly modelId: string;
  readonly nodeId: string;
  readonly replicaIndex: number;
}

/** One replica row. Records are read-only snapshots. */
export interface ReplicaRecord extends ReplicaKey {
  readonly state: ReplicaState;
  /** Backend `host:port`; undefined while the agent has not started the backend. */
  readonly address: string | undefined;
  /** Calls in flight on this replica, counted from picks until their calls end. */
  readonly inFlight: number;
  /** Clock time of the last pick, or of placement before the first one. */
  readonly lastUsedMs: number;
  /** Model size, when known. */
  readonly sizeBytes: number | undefined;
  /** Memory held in the node's reservation while `loading`; 0 once loaded. */
  readonly reservedMemoryBytes: number;
  readonly groups: readonly string[];
  readonly pinned: boolean;
}

/** Scheduling settings of one model in the cluster. */
export interface ModelScheduling {
  readonly modelId: string;
  /** Replicas the reconciler keeps; cluster eviction never goes below it. */
  readonly minReplicas: number;
  /** Replicas the reconciler may scale up to. */
  readonly maxReplicas: number;
  /** Labels a node must carry, all of them, to receive this model. */
  readonly nodeSelector: Labels;
  readonly groups: readonly string[];
  readonly sizeBytes: number | undefined;
  readonly pinned: boolean;
  /** Load request the reconciler uses when it starts a replica before any request. */
  readonly request: LoadRequest | undefined;
}

/** A consistent view of the whole registry, handed to pure decision functions. */
export interface ClusterView {
  readonly nowMs: number;
  readonly nodes: readonly NodeRecord[];
  readonly replicas: readonly ReplicaRecord[];
  readonly models: ReadonlyMap<string, ModelScheduling>;
}

/** Formats a replica key for logs, events and map keys: `model@node#index`. */
export function replicaId(key: ReplicaKey): string {
  return `${key.modelId}@${key.nodeId}#${key.replicaIndex}`;
}

/** Returns whether two keys name the same replica. */
export function sameReplica(a: ReplicaKey, b: ReplicaKey): boolean {
  return a.modelId === b.modelId && a.nodeId === b.nodeId && a.replicaIndex === b.replicaIndex;
}

/** Returns whether `labels` carries every label of `selector` with the same value. */
export function matchesSelector(labels: Labels, selector: Labels): boolean {
  return Object.entries(selector).every(([name, value]) => labels[name] === value);
}

/** Returns whether two group lists share a name. */
export function sharesGroup(a: readonly string[], b: readonly string[]): boolean {
  return a.some((group) => b.includes(group));
}

/** Code-unit order, independent of the locale, so that plans and picks match on every host. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
