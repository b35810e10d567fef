import type { EvictionReason } from '../../src/loader/events.js';
import type { RequestFailureReason } from './summary.js';

/**
 * The time series of one replay, for the report's charts. It is not written to
 * `summary.json`. The runner passes it to the report renderer next to the summary.
 *
 * Every list is bounded so a replay of a long trace keeps bounded memory. Lists of marks
 * (`residency`, `loads`, `evictions`) keep their first `TIMELINE_MARK_LIMIT` entries and
 * then set their flag in `truncated`. Samples (`latencySamples`, memory samples) are
 * thinned evenly instead, so they always span the whole run. Times are milliseconds of
 * the run clock from the run's start.
 */
export const TIMELINE_SCHEMA_VERSION = 1;

/** Entries kept per list of marks before the list is cut. */
export const TIMELINE_MARK_LIMIT = 20_000;

/** Samples kept per sampled series; thinning halves a full series. */
export const TIMELINE_SAMPLE_LIMIT = 4_000;

/** Cause of the end of a residency interval. */
export type ResidencyEnd = EvictionReason | 'crash' | 'run-end';

/** A model's stay on a node: from the start of its load until it stopped. */
export interface ResidencyInterval {
  modelId: string;
  /** `local` in local mode. */
  nodeId: string;
  loadStartMs: number;
  /** When `LoadModel` succeeded; the model counts as resident from here. */
  readyMs: number;
  endMs: number;
  endReason: ResidencyEnd;
}

/** One load attempt. */
export interface LoadMark {
  /** When the attempt started. */
  timeMs: number;
  modelId: string;
  nodeId: string;
  durationMs: number;
  outcome: 'succeeded' | 'failed';
}

/** One eviction, coloured by reason in the report. */
export interface EvictionMark {
  timeMs: number;
  modelId: string;
  nodeId: string;
  reason: EvictionReason;
  forced: boolean;
  /** The model whose load caused the eviction, for `lru` and `group`. */
  forModelId?: string;
}

/** One request, sampled. */
export interface LatencySample {
  /** Arrival time of the request. */
  timeMs: number;
  modelId: string;
  latencyMs: number;
  outcome: 'succeeded' | RequestFailureReason;
}

/**
 * A step of memory in use: `usedBytes` applies from `timeMs` until the next sample. When the
 * series is thinned, neighbouring steps merge and keep the larger value, so peaks survive.
 */
export interface MemorySample {
  timeMs: number;
  usedBytes: number;
}

/** GPU memory of one node over the run. */
export interface MemorySeries {
  nodeId: string;
  totalBytes: number;
  /** The reclaimer threshold as a fraction of `totalBytes`; null when the reclaimer is off. */
  thresholdFraction: number | null;
  samples: MemorySample[];
}

export interface RunTimeline {
  schemaVersion: typeof TIMELINE_SCHEMA_VERSION;
  startMs: number;
  endMs: number;
  /** Every model of the scenario, sorted. */
  models: string[];
  residency: ResidencyInterval[];
  loads: LoadMark[];
  evictions: EvictionMark[];
  latencySamples: LatencySample[];
  memory: MemorySeries[];
  truncated: {
    residency: boolean;
    loads: boolean;
    evictions: boolean;
    /** Requests per kept latency sample: 1 when every request is in `latencySamples`. */
    latencySampleStride: number;
  };
}
