import type { ClusterView, ModelScheduling, NodeRecord, ReplicaRecord } from '../../../src/distributed/types.js';
import type { PlacementRequest } from '../../../src/distributed/placement/node-state.js';

export const GiB = 1024 ** 3;

/** Builds a healthy node with 80 GiB free and one slot per model; `fields` override. */
export function node(id: string, fields: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id,
    agentAddress: `agent-${id}`,
    status: 'healthy',
    labels: {},
    totalMemoryBytes: 80 * GiB,
    availableMemoryBytes: 80 * GiB,
    reservedMemoryBytes: 0,
    replicaSlotsPerModel: 1,
    lastHeartbeatMs: 0,
    ...fields,
  };
}

/** Builds a loaded, idle replica at index 0; `fields` override. */
export function replica(modelId: string, nodeId: string, fields: Partial<ReplicaRecord> = {}): ReplicaRecord {
  return {
    modelId,
    nodeId,
    replicaIndex: 0,
    state: 'loaded',
    address: `${nodeId}/${modelId}/${fields.replicaIndex ?? 0}`,
    inFlight: 0,
    lastUsedMs: 0,
    sizeBytes: undefined,
    reservedMemoryBytes: 0,
    groups: [],
    pinned: false,
    ...fields,
  };
}

export function scheduling(modelId: string, fields: Partial<ModelScheduling> = {}): ModelScheduling {
  return {
    modelId,
    minReplicas: 0,
    maxReplicas: 1,
    nodeSelector: {},
    groups: [],
    sizeBytes: undefined,
    pinned: false,
    request: { modelId, modelFile: `${modelId}.gguf`, backend: 'fake' },
    ...fields,
  };
}

export function view(
  nodes: readonly NodeRecord[],
  replicas: readonly ReplicaRecord[] = [],
  models: readonly ModelScheduling[] = [],
  nowMs = 1_000,
): ClusterView {
  return { nowMs, nodes, replicas, models: new Map(models.map((m) => [m.modelId, m])) };
}

export function coldRequest(modelId: string, fields: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    modelId,
    sizeBytes: undefined,
    groups: [],
    nodeSelector: {},
    minReplicas: 0,
    maxReplicas: 1,
    purpose: 'cold',
    allowEviction: true,
    ...fields,
  };
}
