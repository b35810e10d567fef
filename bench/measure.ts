import { Bench } from 'tinybench';
import type { Comparison, ComparisonResult, SampledComparison, TimedComparison } from './comparison.js';

/** Timing settings of one comparison, in milliseconds of measuring per function. */
export interface MeasureOptions {
  timeMs: number;
  warmupTimeMs: number;
}

/** Measures one comparison and returns the ratio of subject to baseline. */
export function measureComparison(suite: string, comparison: Comparison, options: MeasureOptions): Promise<ComparisonResult> {
  return comparison.kind === 'sampled' ? measureSampled(suite, comparison) : measureTimed(suite, comparison, options);
}

/** Times the baseline and the subject in one tinybench run. */
async function measureTimed(suite: string, comparison: TimedComparison, options: MeasureOptions): Promise<ComparisonResult> {
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Relative standard error of the mean, in percent: a rough spread for a handful of samples. */
function relativeErrorPercent(values: readonly number[]): number {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return mean > 0 ? (Math.sqrt(variance / values.length) / mean) * 100 : 0;
}

/** Takes the comparison's own samples and compares their medians. */
async function measureSampled(suite: string, comparison: SampledComparison): Promise<ComparisonResult> {
  const { baselineMs, subjectMs } = await comparison.sample();
  if (baselineMs.length === 0 || subjectMs.length === 0) throw new Error(`benchmark ${comparison.id}: no samples`);
  const baselineMeanUs = median(baselineMs) * 1_000;
  const subjectMeanUs = median(subjectMs) * 1_000;
  return {
    id: comparison.id,
    suite,
    params: { ...comparison.params, samples: subjectMs.length },
    baselineName: comparison.baselineName,
    subjectName: comparison.subjectName,
    baselineMeanUs,
    subjectMeanUs,
    ratio: subjectMeanUs / baselineMeanUs,
    baselineRmePercent: relativeErrorPercent(baselineMs),
    subjectRmePercent: relativeErrorPercent(subjectMs),
  };
}
