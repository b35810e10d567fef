import { describe, expect, it } from 'vitest';
import { EXACT_SAMPLE_LIMIT, LatencyDigest } from '../../../sim/metrics/latency-digest.js';
import { createRandom } from '../../../src/util/random.js';

describe('LatencyDigest', () => {
  it('reports zeros when empty', () => {
    expect(new LatencyDigest().stats()).toEqual({ count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 });
  });

  it('uses nearest rank on few samples', () => {
    const digest = new LatencyDigest();
    for (let v = 1; v <= 10; v++) digest.add(v * 10);
    expect(digest.stats()).toEqual({ count: 10, meanMs: 55, p50Ms: 50, p90Ms: 90, p99Ms: 100, maxMs: 100 });
  });

  it('stays within half a percent past the exact limit', () => {
    const digest = new LatencyDigest();
    const random = createRandom(3, 'digest');
    const values: number[] = [];
    for (let i = 0; i < EXACT_SAMPLE_LIMIT * 5; i++) {
      const value = Math.exp(random() * 10);
      values.push(value);
      digest.add(value);
    }
    values.sort((a, b) => a - b);
    for (const percent of [50, 90, 99]) {
      const exact = values[Math.ceil((percent / 100) * values.length) - 1]!;
      expect(Math.abs(digest.percentile(percent) - exact) / exact).toBeLessThan(0.005);
    }
    expect(digest.stats().maxMs).toBe(values[values.length - 1]);
  });
});
