import type { LatencyStats } from './summary.js';

/** Samples kept exactly before a digest switches to its histogram. */
export const EXACT_SAMPLE_LIMIT = 10_000;

/** Ratio between neighbouring histogram bucket bounds; a bucket's midpoint is within 0.5% of any value in it. */
const BUCKET_GROWTH = 1.01;
const LOG_GROWTH = Math.log(BUCKET_GROWTH);

/**
 * Latency percentiles in bounded memory. Up to `EXACT_SAMPLE_LIMIT` samples, it keeps them
 * all and reports nearest-rank percentiles. Past that, it moves them into a log-scale
 * histogram whose buckets are 1% wide. A percentile then reads as its bucket's midpoint,
 * within 0.5% of the exact value. The histogram has one entry per distinct bucket: about 230
 * per decade of latency (e.g. about 1,400 from 1 µs to 1,000 s), whatever the sample count.
 * Count, mean and maximum stay exact.
 */
export class LatencyDigest {
  private exact: number[] | undefined = [];
  private readonly buckets = new Map<number, number>();
  private zeros = 0;
  private total = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  get count(): number {
    return this.total;
  }

  add(valueMs: number): void {
    this.total += 1;
    this.sum += valueMs;
    if (valueMs < this.min) this.min = valueMs;
    if (valueMs > this.max) this.max = valueMs;
    if (this.exact) {
      this.exact.push(valueMs);
      if (this.exact.length > EXACT_SAMPLE_LIMIT) this.moveToHistogram();
      return;
    }
    this.addToHistogram(valueMs);
  }

  /** Returns the value at or below which `percent`% of the samples lie (nearest rank); 0 when empty. */
  percentile(percent: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.total));
    if (this.exact) return this.sortedExact()[rank - 1]!;
    return this.histogramPercentile(rank);
  }

  stats(): LatencyStats {
    if (this.total === 0) return { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 };
    return {
      count: this.total,
      meanMs: this.sum / this.total,
      p50Ms: this.percentile(50),
      p90Ms: this.percentile(90),
      p99Ms: this.percentile(99),
      maxMs: this.max,
    };
  }

  private sortedExact(): number[] {
    // Sorting in place is fine: order of exact samples carries no meaning.
    return this.exact!.sort((a, b) => a - b);
  }

  private moveToHistogram(): void {
    const samples = this.exact!;
    this.exact = undefined;
    for (const value of samples) this.addToHistogram(value);
  }

  private addToHistogram(valueMs: number): void {
    if (valueMs <= 0) {
      this.zeros += 1;
      return;
    }
    const bucket = Math.floor(Math.log(valueMs) / LOG_GROWTH);
    this.buckets.set(bucket, (this.buckets.get(bucket) ?? 0) + 1);
  }

  private histogramPercentile(rank: number): number {
    if (rank <= this.zeros) return Math.max(this.min, 0);
    let seen = this.zeros;
    const ordered = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const bucket of ordered) {
      seen += this.buckets.get(bucket)!;
      if (seen >= rank) {
        const midpoint = (Math.pow(BUCKET_GROWTH, bucket) * (1 + BUCKET_GROWTH)) / 2;
        return Math.min(this.max, Math.max(this.min, midpoint));
      }
    }
    return this.max;
  }
}
