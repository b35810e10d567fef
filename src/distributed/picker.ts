import { compareText, type ReplicaRecord } from './types.js';

/** A replica that a picker may choose, with the node memory it is compared on. */
export interface PickCandidate {
  readonly replica: ReplicaRecord;
  /** In-flight calls as the caller counts them (the registry's, or a frontend's own). */
  readonly inFlight: number;
  readonly lastUsedMs: number;
  /** Free GPU memory of the replica's node, after reservations. */
  readonly availableMemoryBytes: number;
}

/**
 * Chooses which replica serves a request. A picker only compares: it never changes a
 * record, so the registry, the replica cache, the simulator and tests can all ask it.
 */
export interface ReplicaPicker {
  readonly name: string;
  /** Negative when `a` should be picked before `b`; 0 only for the same replica. */
  compare(a: PickCandidate, b: PickCandidate): number;
}

/**
 * The default pick order; the first difference wins:
 * 1. fewest in-flight calls,
 * 2. oldest last-used time, so equally loaded replicas take turns,
 * 3. most available GPU memory on the replica's node.
 * Node id and replica index break the remaining ties, which makes the order total and
 * the pick deterministic.
 */
export const leastLoadedPicker: ReplicaPicker = {
  name: 'least-loaded',
  compare(a, b) {
    return (
      a.inFlight - b.inFlight ||
      a.lastUsedMs - b.lastUsedMs ||
      b.availableMemoryBytes - a.availableMemoryBytes ||
      compareText(a.replica.nodeId, b.replica.nodeId) ||
      compareText(a.replica.modelId, b.replica.modelId) ||
      a.replica.replicaIndex - b.replica.replicaIndex
    );
  },
};

/** Returns the candidate no other candidate beats under `picker`, or undefined for none. */
export function pickBest(picker: ReplicaPicker, candidates: readonly PickCandidate[]): PickCandidate | undefined {
  let best: PickCandidate | undefined;
  for (const candidate of candidates) {
    if (best === undefined || picker.compare(candidate, best) < 0) {
      best = candidate;
    }
  }
  return best;
}
