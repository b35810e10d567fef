/** One request of a workload, in the order the simulator replays them. */
export interface TraceRequest {
  /** Arrival time in ms from the start of the replay, after the time window and speed-up. */
  timeMs: number;
  modelId: string;
  promptTokens: number;
  outputTokens: number;
  /** 1-based line of the row in its trace file; absent for generated requests. */
  line?: number;
  /**
   * Service time the trace recorded for this request (Azure Functions `duration`, or a
   * JSONL `serviceMs` field), in ms before speed-up. Absent when the trace has none.
   */
  serviceMs?: number;
}

/** A malformed row that was skipped, for the run summary and the report. */
export interface SkippedRow {
  file: string;
  line: number;
  reason: string;
}

/**
 * A stream of requests in time order. Iterate it once: traces are read as they are
 * iterated, so memory stays bounded whatever the trace's size.
 */
export interface Workload extends AsyncIterable<TraceRequest> {
  /** The trace path or the generator kind, for the summary. */
  readonly source: string;
  /** Rows skipped as malformed so far; final once iteration ends. Always 0 without skipBadRows. */
  readonly skippedRows: number;
  /** The first skipped rows (at most `SKIPPED_ROW_SAMPLE_LIMIT`), with their reasons. */
  readonly skippedRowSamples: readonly SkippedRow[];
}

export const SKIPPED_ROW_SAMPLE_LIMIT = 20;
