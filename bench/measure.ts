import { Bench } from 'tinybench';
import type { Comparison, ComparisonResult } from './comparison.js';

/** Timing settings of one comparison, in milliseconds of measuring per function. */
export interface MeasureOptions {
  timeMs: number;
  warmupTimeMs: number;
}

/** Times the baseline and the subject in one tinybench run and returns their ratio. */
export async function measureComparison(
  suite: string,
  comparison: Comparison,
  options: MeasureOptions,
): Promise<ComparisonResult> {
  const bench = new Bench({ time: options.timeMs, warmupTime: options.warmupTimeMs });
  bench.add(comparison.baseline.name, comparison.baseline.fn as () => unknown);
  bench.add(comparison.subject.name, comparison.subject.fn as () => unknown);
  await bench.run();

  const [baseline, subject] = bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') {
      const detail = result.state === 'errored' ? result.error.message : result.state;
      throw new Error(`benchmark ${comparison.id}: ${task.name} did not complete (${detail})`);
    }
    return { meanUs: result.latency.mean * 1_000, rme: result.latency.rme };
  });
  return {
    id: comparison.id,
    suite,
    params: comparison.params ?? {},
    baselineName: comparison.baseline.name,
    subjectName: comparison.subject.name,
    baselineMeanUs: baseline!.meanUs,
    subjectMeanUs: subject!.meanUs,
    ratio: subject!.meanUs / baseline!.meanUs,
    baselineRmePercent: baseline!.rme,
    subjectRmePercent: subject!.rme,
  };
}
