import type { EvictionReason } from '../../src/loader/events.js';
import type { ReplicaBalanceSummary } from '../distributed/balance.js';
import type { DistributedRunSummary } from '../distributed/distributed-summary.js';

/**
 * The layout of `summary.json`, the stable result of one replay. Renderers, CI checks and
 * comparisons read these field names, so a change of meaning or a removal bumps
 * `SUMMARY_SCHEMA_VERSION`. Adding an optional field does not.
 *
 * Times are milliseconds of the run's clock (virtual in `sim` mode, scaled real time in
 * `process` mode) counted from the run's start. Sizes are bytes. Fractions are numbers in
 * [0, 1], and rates per 1,000 requests divide by `requests.total`. The summary contains no
 * wall-clock time, so the same scenario and seed give the same bytes.
 */
export const SUMMARY_SCHEMA_VERSION = 1;

/** Failure reason of a request. Every request ends as succeeded or with exactly one of these. */
export type RequestFailureReason = 'cooldown' | 'all-busy' | 'load-failed' | 'backend-error' | 'timeout';

export const REQUEST_FAILURE_REASONS: readonly RequestFailureReason[] = [
  'cooldown',
  'all-busy',
  'load-failed',
  'backend-error',
  'timeout',
];

/** Kind of backends a run used: in-process simulated ones or real child processes. */
export type BackendMode = 'sim' | 'process';

/**
 * Latency percentiles of one set of requests. With `count` 0 every figure is 0. Up to
 * 10,000 samples per set, percentiles are nearest-rank over the exact samples. Beyond that
 * they come from a log-scale histogram and are within 0.5% of the exact value. `maxMs` is
 * always exact.
 */
export interface LatencyStats {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Per-model figures, for the "cold loads against popularity" chart and per-model latency. */
export interface ModelSummary {
  modelId: string;
  requests: number;
  succeeded: number;
  failed: number;
  /** Requests that found the model resident and ready when they arrived. */
  hits: number;
  /** Load attempts started for this model (each is one spawn and one `LoadModel`). */
  coldLoads: number;
  evictions: number;
  /** Total time the model was resident (ready), over the whole run. */
  residentMs: number;
  /** Latency of this model's succeeded requests. */
  latency: LatencyStats;
}

/** One breach of a loader invariant, as observed from the loader's events. */
export interface InvariantViolation {
  timeMs: number;
  /** `lru`: more models resident than the LRU limit. `group`: two models of one group resident together. */
  kind: 'lru' | 'group';
  /** The model whose load completed into the breach. */
  modelId: string;
  /** Every model resident at that moment, sorted, including `modelId`. */
  residents: string[];
  /** For `group`: the shared group names; empty for `lru`. */
  groups: string[];
  /**
   * True when the loader reported an overflow for this load, or for a resident model taking
   * part in the breach (it waited for pinned or busy models and then went ahead), which the
   * loader contract allows. False means a loader bug.
   */
  explained: boolean;
  /** A sentence naming the blockers, or saying that the loader reported nothing. */
  reason: string;
}

/** The outcome of one `expect` threshold of the scenario. */
export interface ExpectationResult {
  /** The expectation's key in the scenario's `expect` section (e.g. `p99LatencyMs`). */
  name: string;
  /** Dotted path of the measured number in this summary (e.g. `latency.p99Ms`). */
  metric: string;
  /** `max`: the measured value must be at most `limit`; `min`: at least `limit`. */
  bound: 'max' | 'min';
  limit: number;
  /** The measured value; null when the path names no number in this summary. */
  measured: number | null;
  passed: boolean;
}

/** One metric measured in both modes, for the simulator's fidelity report. */
export interface FidelityEntry {
  /** Dotted path of the metric in the summary (e.g. `latency.p50Ms`). */
  metric: string;
  sim: number;
  process: number;
  /** `|sim - process| / |process|`; null when the process value is 0 and the sim value is not. */
  relativeError: number | null;
}

/** The sim-against-process comparison of one scenario, present when both modes ran. */
export interface FidelitySummary {
  /** Time scale of the process run: 2 means its real clock ran twice as fast as the scenario. */
  processSpeed: number;
  entries: FidelityEntry[];
  /** Largest relative error over the entries whose error is defined. */
  maxRelativeError: number;
}

/** A scheduled fault of the scenario and whether it disturbed anything. */
export interface FaultRecord {
  timeMs: number;
  kind: 'crash' | 'hang' | 'slow-load' | 'fail-load' | 'refuse-connection' | 'node-down' | 'node-up';
  /** The model whose backends the fault targets; null for node faults. */
  modelId: string | null;
  /** The node the fault targets in distributed mode; null in local mode. */
  nodeId: string | null;
  /** Length of the fault's window; 0 for faults without one (crash, fail-load, node faults). */
  durationMs: number;
  /**
   * True when the fault met a backend: a crash found one running, a hang or refusal met a
   * backend or a call in its window, a slow or failing load met a load.
   */
  hit: boolean;
}

/** The whole `summary.json`. */
export interface RunSummary {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  scenario: {
    name: string;
    description: string;
  };
  /** The run seed as given (numbers are written as their decimal text). */
  seed: string;
  mode: BackendMode;
  /** `loaderlab@<package version>`, plus `+<git commit>` when the run knew it. */
  codeVersion: string;
  /** The loader settings the run used, after defaults. */
  config: {
    lruLimit: number;
    evictionPolicy: string;
    forceEvictionWhenBusy: boolean;
    idleTimeoutMs: number | null;
    busyTimeoutMs: number | null;
    /** Memory reclaimer threshold as a fraction of GPU memory; null when the reclaimer is off. */
    memoryThreshold: number | null;
    gpuMemoryBytes: number;
    /** A request not finished this long after its arrival fails as `timeout`. */
    requestTimeoutMs: number;
    /** Simulated load and service times vary by a uniform factor in [1 - j, 1 + j]; 0 in process mode. */
    jitterFraction: number;
    models: number;
  };
  workload: {
    /** Source of the requests: a trace path as written in the scenario, or the generator kind. */
    source: string;
    /** Rows skipped as malformed (only when the scenario allows skipping). */
    skippedRows: number;
    firstArrivalMs: number;
    lastArrivalMs: number;
  };
  /** Run clock time from the start to the moment the last request ended and the loader stopped. */
  durationMs: number;
  requests: {
    total: number;
    succeeded: number;
    failed: number;
    failedByReason: Record<RequestFailureReason, number>;
  };
  /** Requests that found their model resident and ready, over `requests.total`; 0 with no requests. */
  hitRatio: number;
  loads: {
    /** Load attempts started: each is one spawn and one `LoadModel`. */
    cold: number;
    succeeded: number;
    failed: number;
    /** Load requests that joined an attempt already in progress instead of starting one. */
    coalescedWaiters: number;
    perThousandRequests: number;
    /** Duration of successful loads, from `load-started` to `load-succeeded`. */
    loadTimeMs: { total: number; mean: number; p50: number; p99: number; max: number };
  };
  evictions: {
    total: number;
    byReason: Record<EvictionReason, number>;
    perThousandRequests: number;
    perThousandRequestsByReason: Record<EvictionReason, number>;
    /** Evictions followed by a load of the same model within `windowMs`. */
    thrash: { count: number; windowMs: number };
  };
  /** Cold loads that waited for busy, pinned or loading models to make room (`admission-waited`). */
  admissionWait: { count: number; totalMs: number; maxMs: number };
  /** Latency (arrival to end: queueing, load wait and service) of succeeded requests. */
  latency: LatencyStats;
  /** Sorted by model id. */
  models: ModelSummary[];
  memory: {
    totalBytes: number;
    peakBytes: number;
    peakFraction: number;
    /** Time-weighted mean of memory in use. */
    meanUsedBytes: number;
    /** The reclaimer threshold as a fraction; null when the reclaimer is off. */
    thresholdFraction: number | null;
    /** Time with memory in use strictly above the threshold; 0 when the reclaimer is off. */
    timeAboveThresholdMs: number;
  };
  invariants: {
    lruOverflows: number;
    groupCoResidences: number;
    /** Violations the loader did not report as an overflow. A correct loader keeps this at 0. */
    unexplained: number;
    /** The first 100 violations in time order. */
    violations: InvariantViolation[];
  };
  offlineOptimum: {
    lruLimit: number;
    /** Minimum cold loads any eviction policy could make on this model sequence (Belady's rule). */
    coldLoads: number;
    /**
     * `loads.cold / coldLoads`; null when the optimum is 0. Below 1 when the loader held more
     * models than the limit (see `invariants`) or served waiting requests after one load.
     */
    ratio: number | null;
  };
  faults: FaultRecord[];
  expectations: {
    passed: boolean;
    results: ExpectationResult[];
  };
  fidelity?: FidelitySummary;
  /** Distributed runs: how evenly each model's replicas shared the traffic. */
  replicaBalance?: ReplicaBalanceSummary;
  /** Distributed runs: the cluster's setup and its registry traffic. */
  distributed?: DistributedRunSummary;
}
