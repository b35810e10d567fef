/** One timed function. It may be async; tinybench awaits it. */
export interface BenchFunction {
  name: string;
  fn: () => unknown;
}

/**
 * A measured function and the baseline it is judged against, timed in the same run so the
 * ratio survives a noisy, shared machine where absolute numbers do not.
 */
export interface TimedComparison {
  kind?: 'timed';
  /** Stable id, used by `--compare` to match runs, e.g. `loader/resident-load`. */
  id: string;
  /** Parameters shown in the report, e.g. `{ residentModels: 64 }`. */
  params?: Record<string, number | string>;
  baseline: BenchFunction;
  subject: BenchFunction;
}

/** Paired durations, in milliseconds, measured by the comparison itself. */
export interface DurationSamples {
  baselineMs: number[];
  subjectMs: number[];
}

/**
 * A comparison whose two durations come out of one operation rather than from timing two
 * functions: spawn-to-ready of a backend against the start-up time the backend reports.
 */
export interface SampledComparison {
  kind: 'sampled';
  id: string;
  params?: Record<string, number | string>;
  baselineName: string;
  subjectName: string;
  sample(): Promise<DurationSamples>;
}

export type Comparison = TimedComparison | SampledComparison;

/** A group of comparisons that share set-up. */
export interface BenchSuite {
  name: string;
  /** Builds the comparisons; may start servers, which `teardown` stops. */
  setup(): Promise<Comparison[]>;
  teardown?(): Promise<void>;
}

/** The measured outcome of one comparison. */
export interface ComparisonResult {
  id: string;
  suite: string;
  params: Record<string, number | string>;
  baselineName: string;
  subjectName: string;
  /** Mean time per operation, in microseconds (the median for sampled comparisons). */
  baselineMeanUs: number;
  subjectMeanUs: number;
  /** `subjectMeanUs / baselineMeanUs`: how many times slower than the baseline. */
  ratio: number;
  /** Relative margin of error of each mean, in percent. */
  baselineRmePercent: number;
  subjectRmePercent: number;
}
