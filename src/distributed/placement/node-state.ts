import { compareText, type ClusterView, type Labels, type NodeRecord, type ReplicaRecord } from '../types.js';

/** Why a replica is placed: a request found none, the reconciler tops up or scales up. */
export type PlacementPurpose = 'cold' | 'min-replicas' | 'scale-up';

/** The new replica that placement looks for a node for. */
export interface PlacementRequest {
  readonly modelId: string;
  readonly sizeBytes: number | undefined;
  readonly groups: readonly string[];
  readonly nodeSelector: Labels;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly purpose: PlacementPurpose;
  /** Whether cluster LRU eviction may make room. */
  readonly allowEviction: boolean;
  /**
   * Nodes to avoid unless every candidate is one, e.g. nodes whose agent just failed to
   * connect and that node health has not marked unhealthy yet. Default none.
   */
  readonly avoidNodeIds?: readonly string[];
}

/** One node as input to placement: the record plus totals over its replicas. */
export interface NodeState {
  readonly node: NodeRecord;
  readonly replicas: readonly ReplicaRecord[];
  /** Available memory after reservations; what a new load may still take. */
  readonly freeMemoryBytes: number;
  /** In-flight calls over all replicas on the node. */
  readonly inFlight: number;
}

/** Builds the per-node states of a view, in node id order so plans are deterministic. */
export function nodeStates(view: ClusterView): NodeState[] {
  const byNode = new Map<string, ReplicaRecord[]>();
  for (const replica of view.replicas) {
    const list = byNode.get(replica.nodeId) ?? [];
    list.push(replica);
    byNode.set(replica.nodeId, list);
  }
  return [...view.nodes]
    .sort((a, b) => compareText(a.id, b.id))
    .map((node) => nodeState(node, byNode.get(node.id) ?? []));
}

/** Builds one node's state from its record and replicas. */
export function nodeState(node: NodeRecord, replicas: readonly ReplicaRecord[]): NodeState {
  return {
    node,
    replicas,
    freeMemoryBytes: node.availableMemoryBytes - node.reservedMemoryBytes,
    inFlight: replicas.reduce((sum, r) => sum + r.inFlight, 0),
  };
}

/**
 * Returns the node as it would be without `removed`: their slots free and the memory of
 * loaded ones (when their size is known) back in the free figure.
 */
export function withoutReplicas(state: NodeState, removed: readonly ReplicaRecord[]): NodeState {
  const gone = new Set(removed);
  const freedBytes = removed.reduce((sum, r) => sum + (r.state === 'loaded' ? (r.sizeBytes ?? 0) : r.reservedMemoryBytes), 0);
  const replicas = state.replicas.filter((r) => !gone.has(r));
  return {
    node: state.node,
    replicas,
    freeMemoryBytes: state.freeMemoryBytes + freedBytes,
    inFlight: replicas.reduce((sum, r) => sum + r.inFlight, 0),
  };
}

/** Returns the lowest free replica index of `modelId` on the node, or undefined when all slots are taken. */
export function lowestFreeIndex(state: NodeState, modelId: string): number | undefined {
  const taken = new Set(state.replicas.filter((r) => r.modelId === modelId).map((r) => r.replicaIndex));
  for (let index = 0; index < state.node.replicaSlotsPerModel; index += 1) {
    if (!taken.has(index)) {
      return index;
    }
  }
  return undefined;
}
