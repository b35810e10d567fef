import { describe, expect, it } from 'vitest';
import { CappedList, MemoryStepSeries, ThinningBuffer } from '../../../sim/metrics/bounded-series.js';

describe('ThinningBuffer', () => {
  it('keeps everything under its limit', () => {
    const buffer = new ThinningBuffer<number>(10);
    for (let i = 0; i < 9; i++) buffer.offer(i);
    expect(buffer.items()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(buffer.stride).toBe(1);
  });

  it('thins evenly across the whole stream', () => {
    const buffer = new ThinningBuffer<number>(8);
    for (let i = 0; i < 100; i++) buffer.offer(i);
    const items = buffer.items();
    expect(items.length).toBeLessThan(8);
    expect(items.every((item) => item % buffer.stride === 0)).toBe(true);
    expect(items[items.length - 1]).toBeGreaterThanOrEqual(100 - 2 * buffer.stride);
  });
});

describe('CappedList', () => {
  it('keeps the first entries and flags the cut', () => {
    const list = new CappedList<number>(3);
    for (let i = 0; i < 5; i++) list.push(i);
    expect(list.items()).toEqual([0, 1, 2]);
    expect(list.truncated).toBe(true);
  });
});

describe('MemoryStepSeries', () => {
  it('keeps the peak when merging steps', () => {
    const series = new MemoryStepSeries(4);
    series.record(0, 0);
    series.record(10, 5);
    series.record(20, 90);
    series.record(30, 1);
    const samples = series.items();
    expect(samples.length).toBeLessThan(4);
    expect(Math.max(...samples.map((s) => s.usedBytes))).toBe(90);
  });

  it('replaces a step that lasted no time', () => {
    const series = new MemoryStepSeries(10);
    series.record(0, 0);
    series.record(10, 5);
    series.record(10, 7);
    expect(series.items()).toEqual([{ timeMs: 0, usedBytes: 0 }, { timeMs: 10, usedBytes: 7 }]);
  });
});
