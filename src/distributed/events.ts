import type { NodeStatus, ReplicaKey } from './types.js';
import type { PlacementPurpose } from './placement/node-state.js';

/** Why a replica left the registry. */
export type ReplicaRemovalReason =
  /** Cluster LRU eviction made room for another model. */
  | 'cluster-lru'
  /** A conflicting-group model arrived on the node when the soft group rule gave way. */
  | 'group'
  /** A call or a reachability check failed to connect. */
  | 'connection-error'
  /** An operator shut the model down. */
  | 'explicit'
  /** The reconciler stopped a replica idle above the model's minimum. */
  | 'scale-down'
  /** Its node missed its heartbeats or its agent restarted. */
  | 'node-lost';

type ReplicaFields = ReplicaKey & { timeMs: number };

/**
 * Everything distributed mode reports: routers, the reconciler and node health emit these
 * on their `events` emitter. `frontendId` names the router that acted.
 */
export type DistributedEvent =
  /** A replica's in-flight count went up by one for a call (or a pick awaiting its call). */
  | (ReplicaFields & { type: 'replica-acquired'; frontendId: string })
  /** A call on the replica ended, or a pick expired unused. */
  | (ReplicaFields & { type: 'replica-released'; frontendId: string })
  | (ReplicaFields & { type: 'replica-load-started'; frontendId: string; purpose: PlacementPurpose })
  | (ReplicaFields & { type: 'replica-loaded'; frontendId: string; address: string; durationMs: number })
  | (ReplicaFields & { type: 'replica-load-failed'; frontendId: string; code: string; message: string; durationMs: number })
  | (ReplicaFields & { type: 'replica-removed'; reason: ReplicaRemovalReason; forModelId?: string })
  /** Placement found only busy replicas in the way and waits before its next attempt. */
  | { type: 'placement-waited'; timeMs: number; modelId: string; attempt: number; blockers: string[] }
  /** Every candidate held a conflicting-group model, so the replica went next to one. */
  | { type: 'group-rule-relaxed'; timeMs: number; modelId: string; nodeId: string }
  | { type: 'node-status-changed'; timeMs: number; nodeId: string; from: NodeStatus; to: NodeStatus };

export type DistributedEventType = DistributedEvent['type'];
