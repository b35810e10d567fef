import { compareText, matchesSelector, sharesGroup, type ReplicaRecord } from '../types.js';
import { lowestFreeIndex, type NodeState, type PlacementRequest } from './node-state.js';

/**
 * One filtering step of the placement pipeline. Steps only read: they return the nodes
 * that pass and never change a record. A `soft` step that would drop every node is skipped.
 */
export interface PlacementFilter {
  readonly name: string;
  readonly soft: boolean;
  accepts(state: NodeState, request: PlacementRequest): boolean;
}

/** Healthy nodes whose labels match the model's node selector. */
export const candidateFilter: PlacementFilter = {
  name: 'candidates',
  soft: false,
  accepts: (state, request) => state.node.status === 'healthy' && matchesSelector(state.node.labels, request.nodeSelector),
};

/** Soft anti-affinity: nodes holding no other model that shares a group with this one. */
export const groupAntiAffinityFilter: PlacementFilter = {
  name: 'group-anti-affinity',
  soft: true,
  accepts: (state, request) => groupConflicts(state, request).length === 0,
};

/** Nodes with a free replica slot for this model. */
export const freeSlotFilter: PlacementFilter = {
  name: 'free-slot',
  soft: false,
  accepts: (state, request) => lowestFreeIndex(state, request.modelId) !== undefined,
};

/** When the model's size is known, nodes whose free memory after reservations fits it. */
export const memoryFitFilter: PlacementFilter = {
  name: 'memory-fit',
  soft: false,
  accepts: (state, request) => request.sizeBytes === undefined || state.freeMemoryBytes >= request.sizeBytes,
};

/**
 * Orders the nodes that passed every filter, best first: idle nodes (no call in flight),
 * then the least loaded, then the most free memory; node id breaks ties.
 */
export function compareNodes(a: NodeState, b: NodeState): number {
  const aIdle = a.inFlight === 0 ? 0 : 1;
  const bIdle = b.inFlight === 0 ? 0 : 1;
  return (
    aIdle - bIdle ||
    a.inFlight - b.inFlight ||
    b.freeMemoryBytes - a.freeMemoryBytes ||
    compareText(a.node.id, b.node.id)
  );
}

/** Cluster LRU order of eviction victims: least recently used first, replica id breaking ties. */
export function compareVictims(a: ReplicaRecord, b: ReplicaRecord): number {
  return (
    a.lastUsedMs - b.lastUsedMs ||
    compareText(a.nodeId, b.nodeId) ||
    compareText(a.modelId, b.modelId) ||
    a.replicaIndex - b.replicaIndex
  );
}

/** Replicas on the node of other models that share a group with the request's model. */
export function groupConflicts(state: NodeState, request: PlacementRequest): ReplicaRecord[] {
  return state.replicas.filter((r) => r.modelId !== request.modelId && sharesGroup(r.groups, request.groups));
}
