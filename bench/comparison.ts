/** One timed function. It may be async; tinybench awaits it. */
export interface BenchFunction {
  name: string;
  fn: () => unknown;
}

/**
 * A measured function and the baseline it is judged against, timed in the same run so the
 * ratio survives a noisy, shared machine where absolute numbers do not.
 */
export interface Comparison {
  /** Stable id, used by `--compare` to match runs, e.g. `loader/resident-load`. */
  id: string;
  /** Parameters shown in the report, e.g. `{ residentModels: 64 }`. */
  params?: Record<string, number | string>;
  baseline: BenchFunction;
  subject: BenchFunction;
}

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
  /** Mean time per operation, in microseconds. */
  baselineMeanUs: number;
  subjectMeanUs: number;
  /** `subjectMeanUs / baselineMeanUs`: how many times slower than the baseline. */
  ratio: number;
  /** Relative margin of error of each mean, in percent. */
  baselineRmePercent: number;
  subjectRmePercent: number;
}
