import { leastLoadedPicker, pickBest, type PickCandidate } from '../../src/distributed/picker.js';
import type { ReplicaRecord } from '../../src/distributed/types.js';
import { createRandom } from '../../src/util/random.js';
import type { BenchSuite, Comparison } from '../comparison.js';

function candidates(count: number): PickCandidate[] {
  const random = createRandom('bench', `replicas-${count}`);
  return Array.from({ length: count }, (_, i) => {
    const replica = {
      modelId: 'model',
      nodeId: `node-${i}`,
      replicaIndex: 0,
      state: 'loaded',
      address: `127.0.0.1:${50000 + i}`,
      inFlight: 0,
      lastUsedMs: 0,
      sizeBytes: 1e9,
      reservedMemoryBytes: 0,
      groups: [],
      pinned: false,
    } as ReplicaRecord;
    return {
      replica,
      inFlight: Math.floor(random() * 4),
      lastUsedMs: Math.floor(random() * 1_000),
      availableMemoryBytes: Math.floor(random() * 8) * 1e9,
    };
  });
}

/**
 * The three-tier pick over `count` replicas against a scan for the fewest in-flight calls
 * over a plain array of numbers, the least any picker must do.
 */
function replicaPick(count: number): Comparison {
  const pool = candidates(count);
  const inFlight = pool.map((c) => c.inFlight);
  let sink: unknown;
  return {
    id: `replica-pick/${count}`,
    params: { replicas: count },
    baseline: {
      name: 'min in-flight over numbers',
      fn: () => {
        let best = 0;
        for (let i = 1; i < inFlight.length; i++) if (inFlight[i]! < inFlight[best]!) best = i;
        sink = best;
      },
    },
    subject: { name: 'pickBest (least-loaded)', fn: () => { sink = pickBest(leastLoadedPicker, pool); } },
  };
}

export const replicaPickSuite: BenchSuite = {
  name: 'replica-pick',
  async setup() {
    return [2, 8, 64, 1_024].map(replicaPick);
  },
};
