import type { ComparisonResult } from './comparison.js';

/** A saved benchmark run, as written to `reports/bench-<timestamp>.json`. */
export interface BenchRun {
  startedAt: string;
  node: string;
  results: ComparisonResult[];
}

export interface RegressionCheck {
  id: string;
  previousRatio: number;
  ratio: number;
  /** `ratio / previousRatio`. */
  change: number;
  regressed: boolean;
}

/**
 * Sets a run against an earlier one by comparison id. A ratio that grew by more than
 * `tolerance` (0.2 = 20 %) counts as a regression. Ratios, not absolute times, are
 * compared, so a slower machine alone does not flag anything.
 */
export function compareRuns(current: BenchRun, previous: BenchRun, tolerance = 0.2): RegressionCheck[] {
  const before = new Map(previous.results.map((r) => [r.id, r]));
  const checks: RegressionCheck[] = [];
  for (const result of current.results) {
    const old = before.get(result.id);
    if (!old) continue;
    const change = result.ratio / old.ratio;
    checks.push({ id: result.id, previousRatio: old.ratio, ratio: result.ratio, change, regressed: change > 1 + tolerance });
  }
  return checks;
}
