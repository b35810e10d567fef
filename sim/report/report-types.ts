import type { Scenario } from '../scenario/types.js';

/**
 * Scenario details a report shows beyond the summary. Every field is optional, and
 * a `Scenario` fits as it is, so the runner can pass the scenario it ran.
 */
export interface ReportScenarioInfo {
  name?: string;
  description?: string;
  /** Path of the scenario file. */
  sourcePath?: string;
  mode?: Scenario['mode'];
  models?: readonly Pick<Scenario['models'][number], 'id' | 'sizeBytes' | 'groups' | 'pinned'>[];
  nodes?: readonly Pick<Scenario['nodes'][number], 'id' | 'gpuMemoryBytes' | 'labels'>[];
}

/** One replica's share of the traffic in a distributed run. */
export interface ReplicaLoad {
  modelId: string;
  nodeId: string;
  replicaIndex: number;
  requests: number;
  peakInFlight: number;
}

/**
 * Replica balance of a distributed run. The report draws it when the summary carries it
 * as `replicaBalance`.
 * NOTE: `RunSummary` has no such field yet; this is the shape the report reads, to be
 * matched by the distributed metrics when they land.
 */
export interface ReplicaBalanceReport {
  replicas: readonly ReplicaLoad[];
  /** Per model over its replicas, at the times the metrics sampled it. */
  fairnessOverTime?: readonly { timeMs: number; modelId: string; jainIndex: number }[];
  /** Per model: coefficient of variation, max/mean and Jain's index of requests per replica. */
  perModel?: readonly { modelId: string; coefficientOfVariation: number; maxOverMean: number; jainIndex: number }[];
}
