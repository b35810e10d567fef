import type { ReplicaKey } from '../types.js';

/** Why placement removes a replica to make room. */
export type VictimReason = 'cluster-lru' | 'group';

/** A replica that a placement removes before it starts the new one. */
export interface Victim {
  readonly key: ReplicaKey;
  readonly reason: VictimReason;
}

/**
 * What placement decided for one new replica. Only `place` changes the registry: the
 * registry removes the victims and inserts the `loading` row in one atomic step.
 */
export type PlacementPlan =
  | {
      kind: 'place';
      nodeId: string;
      replicaIndex: number;
      /** Memory reserved on the node until the load ends; 0 when the size is unknown. */
      reserveBytes: number;
      victims: readonly Victim[];
      /** True when every candidate held a conflicting-group model, so the soft rule gave way. */
      groupRuleRelaxed: boolean;
    }
  /** Cold path only: a replica of the model is already loading; wait for it instead. */
  | { kind: 'wait-for-loading'; replica: ReplicaKey }
  /** Everything in the way has calls in flight; waiting may help. */
  | { kind: 'busy'; blockers: readonly ReplicaKey[] }
  /** Nothing could ever make room as the cluster stands. */
  | { kind: 'no-capacity'; reason: string }
  /** No healthy node matches the model's node selector. */
  | { kind: 'no-matching-node' }
  /** Scale-up only: the model already has its maximum number of replicas. */
  | { kind: 'at-max-replicas'; replicas: number };

/** A placement plan other than `place`. */
export type RejectedPlan = Exclude<PlacementPlan, { kind: 'place' }>;
