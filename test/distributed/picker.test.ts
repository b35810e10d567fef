import { describe, expect, it } from 'vitest';
import { leastLoadedPicker, pickBest, type PickCandidate } from '../../src/distributed/picker.js';
import { replica } from './support/builders.js';

function candidate(nodeId: string, inFlight: number, lastUsedMs: number, availableMemoryBytes: number): PickCandidate {
  return { replica: replica('m', nodeId, { inFlight, lastUsedMs }), inFlight, lastUsedMs, availableMemoryBytes };
}

describe('leastLoadedPicker', () => {
  const table: { name: string; candidates: PickCandidate[]; expected: string }[] = [
    {
      name: 'fewest in-flight wins over last-used and memory',
      candidates: [candidate('a', 2, 0, 100), candidate('b', 1, 50, 0), candidate('c', 3, 0, 900)],
      expected: 'b',
    },
    {
      name: 'oldest last-used breaks an in-flight tie',
      candidates: [candidate('a', 1, 30, 900), candidate('b', 1, 10, 0), candidate('c', 1, 20, 500)],
      expected: 'b',
    },
    {
      name: 'most available memory breaks a last-used tie',
      candidates: [candidate('a', 0, 10, 100), candidate('b', 0, 10, 300), candidate('c', 0, 10, 200)],
      expected: 'b',
    },
    {
      name: 'node id breaks a full tie',
      candidates: [candidate('c', 0, 0, 0), candidate('a', 0, 0, 0), candidate('b', 0, 0, 0)],
      expected: 'a',
    },
  ];

  for (const { name, candidates, expected } of table) {
    it(name, () => {
      expect(pickBest(leastLoadedPicker, candidates)?.replica.nodeId).toBe(expected);
    });
  }

  it('takes turns among equally loaded replicas', () => {
    const lastUsed = new Map([
      ['a', 0],
      ['b', 0],
      ['c', 0],
    ]);
    const picks: string[] = [];
    for (let nowMs = 1; nowMs <= 6; nowMs += 1) {
      const candidates = [...lastUsed].map(([id, usedMs]) => candidate(id, 0, usedMs, 0));
      const picked = pickBest(leastLoadedPicker, candidates)!.replica.nodeId;
      lastUsed.set(picked, nowMs);
      picks.push(picked);
    }
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('returns undefined for no candidates', () => {
    expect(pickBest(leastLoadedPicker, [])).toBeUndefined();
  });
});
