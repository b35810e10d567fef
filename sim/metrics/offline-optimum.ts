/**
 * The offline optimum of model loading: the fewest cold loads any eviction policy could
 * make for a sequence of requested models when at most `lruLimit` models are resident.
 *
 * Belady's rule gives it: on a miss with a full cache, evict the resident model whose next
 * use lies farthest in the future (or that is never used again). This is optimal for demand
 * loading, where a model is loaded only when a request needs it and one load serves one
 * model. A limit of 0 means no limit, so every distinct model loads once.
 *
 * The optimum sees the whole future and ignores timing. The loader also loads again after
 * crashes, idle and memory evictions and failed loads, which the optimum never makes.
 * NOTE: the optimum is a lower bound only for a loader that keeps the limit and serves
 * requests one at a time. A loader that loads past the limit when busy models block it
 * (an overflow), or that makes requests wait and serves many after one load, can make
 * fewer loads, and its ratio to the optimum then drops below 1.
 */
export function offlineOptimumColdLoads(sequence: readonly string[], lruLimit: number): number {
  const ids = new Map<string, number>();
  const indices = new Int32Array(sequence.length);
  sequence.forEach((modelId, i) => {
    let id = ids.get(modelId);
    if (id === undefined) {
      id = ids.size;
      ids.set(modelId, id);
    }
    indices[i] = id;
  });
  return beladyColdLoads(indices, ids.size, lruLimit);
}

/**
 * Belady's rule over model indices in [0, modelCount). Runs in O(n log n) time and keeps
 * 4 bytes per request for the next-use table, plus a heap of at most 4 × limit + 64 entries.
 */
export function beladyColdLoads(sequence: ArrayLike<number>, modelCount: number, lruLimit: number): number {
  const n = sequence.length;
  if (lruLimit <= 0 || lruLimit >= modelCount) return countDistinct(sequence, modelCount);

  // nextUse[i]: the next position after i that requests the same model, or n for never.
  const nextUse = new Int32Array(n);
  const upcoming = new Int32Array(modelCount).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    const model = sequence[i]!;
    nextUse[i] = upcoming[model]!;
    upcoming[model] = i;
  }

  // residentNext[m]: next use of model m while it is resident, or -1 when it is not.
  const residentNext = new Int32Array(modelCount).fill(-1);
  const heap = new FarthestFirstHeap();
  let resident = 0;
  let loads = 0;
  for (let i = 0; i < n; i++) {
    const model = sequence[i]!;
    if (residentNext[model] === -1) {
      loads += 1;
      if (resident === lruLimit) {
        residentNext[heap.popValid(residentNext)] = -1;
        resident -= 1;
      }
      resident += 1;
    }
    residentNext[model] = nextUse[i]!;
    heap.push(nextUse[i]!, model);
    if (heap.size > 4 * lruLimit + 64) heap.rebuild(residentNext);
  }
  return loads;
}

function countDistinct(sequence: ArrayLike<number>, modelCount: number): number {
  const seen = new Uint8Array(modelCount);
  let distinct = 0;
  for (let i = 0; i < sequence.length; i++) {
    const model = sequence[i]!;
    if (seen[model] === 0) {
      seen[model] = 1;
      distinct += 1;
    }
  }
  return distinct;
}

/**
 * A max-heap of (next use, model) pairs. Entries go stale when a model is used again or
 * evicted. They stay in the heap and are skipped on pop, and `rebuild` drops them.
 */
class FarthestFirstHeap {
  private nexts: number[] = [];
  private models: number[] = [];

  get size(): number {
    return this.nexts.length;
  }

  push(next: number, model: number): void {
    this.nexts.push(next);
    this.models.push(model);
    this.siftUp(this.nexts.length - 1);
  }

  /** Removes and returns the resident model used farthest in the future. */
  popValid(residentNext: Int32Array): number {
    for (;;) {
      const next = this.nexts[0]!;
      const model = this.models[0]!;
      this.removeTop();
      if (residentNext[model] === next) return model;
    }
  }

  /** Keeps one entry per resident model. */
  rebuild(residentNext: Int32Array): void {
    const nexts = this.nexts;
    const models = this.models;
    this.nexts = [];
    this.models = [];
    const kept = new Set<number>();
    for (let i = 0; i < nexts.length; i++) {
      const model = models[i]!;
      if (residentNext[model] === nexts[i] && !kept.has(model)) {
        kept.add(model);
        this.push(nexts[i]!, model);
      }
    }
  }

  private removeTop(): void {
    const lastNext = this.nexts.pop()!;
    const lastModel = this.models.pop()!;
    if (this.nexts.length === 0) return;
    this.nexts[0] = lastNext;
    this.models[0] = lastModel;
    this.siftDown(0);
  }

  private siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.nexts[parent]! >= this.nexts[index]!) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    const length = this.nexts.length;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let largest = index;
      if (left < length && this.nexts[left]! > this.nexts[largest]!) largest = left;
      if (right < length && this.nexts[right]! > this.nexts[largest]!) largest = right;
      if (largest === index) return;
      this.swap(index, largest);
      index = largest;
    }
  }

  private swap(a: number, b: number): void {
    [this.nexts[a], this.nexts[b]] = [this.nexts[b]!, this.nexts[a]!];
    [this.models[a], this.models[b]] = [this.models[b]!, this.models[a]!];
  }
}

/**
 * The model sequence of a replay, kept compactly for the optimum: 4 bytes per request and
 * one map entry per distinct model. The optimum needs the whole future, so this is the one
 * part of a replay whose memory grows with the trace's length.
 */
export class ModelSequence {
  private readonly ids = new Map<string, number>();
  private data = new Int32Array(1024);
  private length = 0;

  get size(): number {
    return this.length;
  }

  push(modelId: string): void {
    let id = this.ids.get(modelId);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(modelId, id);
    }
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = id;
  }

  /** Computes the offline optimum of the sequence so far for an LRU limit (0 = no limit). */
  optimumColdLoads(lruLimit: number): number {
    return beladyColdLoads(this.data.subarray(0, this.length), this.ids.size, lruLimit);
  }
}
