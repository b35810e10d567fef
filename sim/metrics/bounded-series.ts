import type { MemorySample } from './timeline.js';

/**
 * An evenly thinned sample of a stream of unknown length, in at most `limit` entries. It
 * keeps every `stride`-th item offered. When full, it drops every other kept item and
 * doubles the stride, so the kept items always span the whole stream. It uses no
 * randomness, so a replay keeps the same items every time.
 */
export class ThinningBuffer<T> {
  private readonly kept: T[] = [];
  private offered = 0;
  private currentStride = 1;

  constructor(private readonly limit: number) {}

  /** Items offered per kept item: 1 while nothing was dropped. */
  get stride(): number {
    return this.currentStride;
  }

  offer(item: T): void {
    const index = this.offered++;
    if (index % this.currentStride !== 0) return;
    this.kept.push(item);
    if (this.kept.length < this.limit) return;
    let write = 0;
    for (let read = 0; read < this.kept.length; read += 2) this.kept[write++] = this.kept[read]!;
    this.kept.length = write;
    this.currentStride *= 2;
  }

  items(): T[] {
    return [...this.kept];
  }
}

/**
 * A list that keeps its first `limit` entries and then only counts what it drops, for
 * timeline marks (loads, evictions, residency intervals).
 */
export class CappedList<T> {
  private readonly kept: T[] = [];
  private droppedCount = 0;

  constructor(private readonly limit: number) {}

  get truncated(): boolean {
    return this.droppedCount > 0;
  }

  push(item: T): void {
    if (this.kept.length < this.limit) this.kept.push(item);
    else this.droppedCount += 1;
  }

  items(): T[] {
    return [...this.kept];
  }
}

/**
 * A step series of memory in use in at most `limit` samples. When full, each pair of
 * neighbouring steps merges into one that starts at the first and keeps the larger value,
 * so peaks stay visible after thinning.
 */
export class MemoryStepSeries {
  private samples: MemorySample[] = [];

  constructor(private readonly limit: number) {}

  record(timeMs: number, usedBytes: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && last.usedBytes === usedBytes) return;
    // A step that lasted no time is replaced, so simultaneous changes leave one sample.
    if (last && last.timeMs === timeMs) {
      last.usedBytes = usedBytes;
      return;
    }
    this.samples.push({ timeMs, usedBytes });
    if (this.samples.length >= this.limit) this.merge();
  }

  items(): MemorySample[] {
    return this.samples.map((sample) => ({ ...sample }));
  }

  private merge(): void {
    const merged: MemorySample[] = [];
    for (let i = 0; i < this.samples.length; i += 2) {
      const first = this.samples[i]!;
      const second = this.samples[i + 1];
      merged.push({ timeMs: first.timeMs, usedBytes: Math.max(first.usedBytes, second?.usedBytes ?? 0) });
    }
    this.samples = merged;
  }
}
