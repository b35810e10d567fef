import type { LoadRequest } from '../loader/load-request.js';
import type { PlacementPurpose, PlacementRequest } from './placement/node-state.js';
import type { ModelScheduling } from './types.js';

/** Operator settings of a model's scheduling, all optional. */
export interface ModelSchedulingInput {
  modelId: string;
  /** Default 0. */
  minReplicas?: number;
  /** Default 1. */
  maxReplicas?: number;
  /** Default: any node. */
  nodeSelector?: Readonly<Record<string, string>>;
  groups?: readonly string[];
  sizeBytes?: number;
  pinned?: boolean;
  /** Load request the reconciler uses when it starts a replica before any request. */
  request?: LoadRequest;
}

/** Builds a complete scheduling from operator input. */
export function toScheduling(input: ModelSchedulingInput): ModelScheduling {
  const minReplicas = input.minReplicas ?? 0;
  return {
    modelId: input.modelId,
    minReplicas,
    maxReplicas: Math.max(minReplicas, input.maxReplicas ?? 1),
    nodeSelector: { ...(input.nodeSelector ?? {}) },
    groups: [...(input.groups ?? input.request?.groups ?? [])],
    sizeBytes: input.sizeBytes ?? input.request?.sizeBytes,
    pinned: input.pinned ?? input.request?.pinned ?? false,
    request: input.request,
  };
}

/**
 * Merges a request's model properties into the registry's scheduling. Operator settings
 * (replica counts, node selector) stay, and groups are joined. A size or pin in the
 * request wins, and the request becomes the template the reconciler loads.
 */
export function mergeRequest(current: ModelScheduling | undefined, request: LoadRequest, defaultMaxReplicas: number): ModelScheduling {
  const base = current ?? toScheduling({ modelId: request.modelId, maxReplicas: defaultMaxReplicas });
  return {
    ...base,
    groups: [...new Set([...base.groups, ...(request.groups ?? [])])],
    sizeBytes: request.sizeBytes ?? base.sizeBytes,
    pinned: base.pinned || (request.pinned ?? false),
    request,
  };
}

/** Builds the placement request of a model for one purpose. */
export function toPlacementRequest(
  scheduling: ModelScheduling,
  purpose: PlacementPurpose,
  avoidNodeIds: readonly string[] = [],
): PlacementRequest {
  return {
    modelId: scheduling.modelId,
    sizeBytes: scheduling.sizeBytes,
    groups: scheduling.groups,
    nodeSelector: scheduling.nodeSelector,
    minReplicas: scheduling.minReplicas,
    maxReplicas: scheduling.maxReplicas,
    purpose,
    // Scaling up never pushes other models out; a model below its minimum, or a request, may.
    allowEviction: purpose !== 'scale-up',
    avoidNodeIds,
  };
}
