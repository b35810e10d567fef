import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelSequence, offlineOptimumColdLoads } from '../../../sim/metrics/offline-optimum.js';

/** Tries every eviction choice; exponential, for short sequences only. */
function bruteForceOptimum(sequence: readonly string[], limit: number): number {
  const memo = new Map<string, number>();
  const search = (i: number, resident: readonly string[]): number => {
    if (i === sequence.length) return 0;
    const key = `${i}|${[...resident].sort().join(',')}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const model = sequence[i]!;
    let best: number;
    if (resident.includes(model)) {
      best = search(i + 1, resident);
    } else if (resident.length < limit) {
      best = 1 + search(i + 1, [...resident, model]);
    } else {
      best = Infinity;
      for (const victim of resident) {
        best = Math.min(best, 1 + search(i + 1, [...resident.filter((m) => m !== victim), model]));
      }
    }
    memo.set(key, best);
    return best;
  };
  return search(0, []);
}

function lruColdLoads(sequence: readonly string[], limit: number): number {
  const resident: string[] = [];
  let loads = 0;
  for (const model of sequence) {
    const at = resident.indexOf(model);
    if (at >= 0) resident.splice(at, 1);
    else {
      loads += 1;
      if (resident.length === limit) resident.shift();
    }
    resident.push(model);
  }
  return loads;
}

const textbook = '7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1'.split(' ');

describe('offlineOptimumColdLoads', () => {
  const cases: Array<{ name: string; sequence: string[]; limit: number; expected: number }> = [
    { name: 'empty trace', sequence: [], limit: 2, expected: 0 },
    { name: 'one model', sequence: ['a', 'a', 'a'], limit: 1, expected: 1 },
    { name: 'no limit loads each model once', sequence: ['a', 'b', 'c', 'a', 'b', 'c'], limit: 0, expected: 3 },
    { name: 'limit above model count', sequence: ['a', 'b', 'a', 'b'], limit: 5, expected: 2 },
    // LRU misses all six; Belady keeps a, evicting b for c and then a (unused again) for b.
    { name: 'cyclic a b c with limit 2', sequence: ['a', 'b', 'c', 'a', 'b', 'c'], limit: 2, expected: 4 },
    { name: 'alternating pair with limit 1', sequence: ['a', 'b', 'a', 'b'], limit: 1, expected: 4 },
    // The classic page-reference string of operating-systems textbooks: 9 faults with 3 frames.
    { name: 'reference string, 3 frames', sequence: textbook, limit: 3, expected: 9 },
    { name: 'reference string, 4 frames', sequence: textbook, limit: 4, expected: 8 },
  ];
  for (const { name, sequence, limit, expected } of cases) {
    it(`counts ${name}`, () => {
      expect(offlineOptimumColdLoads(sequence, limit)).toBe(expected);
    });
  }

  it('matches exhaustive search on short traces', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        (sequence, limit) => {
          expect(offlineOptimumColdLoads(sequence, limit)).toBe(bruteForceOptimum(sequence, limit));
        },
      ),
      { seed: 20240101, numRuns: 300 },
    );
  });

  it('never exceeds LRU on long traces', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }).map(String), { maxLength: 2_000 }),
        fc.integer({ min: 1, max: 8 }),
        (sequence, limit) => {
          const optimum = offlineOptimumColdLoads(sequence, limit);
          expect(optimum).toBeLessThanOrEqual(lruColdLoads(sequence, limit));
          expect(optimum).toBeGreaterThanOrEqual(new Set(sequence).size);
        },
      ),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe('ModelSequence', () => {
  it('gives the same optimum as the array form', () => {
    const sequence = new ModelSequence();
    for (let i = 0; i < 5_000; i++) sequence.push(textbook[i % textbook.length]!);
    expect(sequence.size).toBe(5_000);
    const expected = offlineOptimumColdLoads(
      Array.from({ length: 5_000 }, (_, i) => textbook[i % textbook.length]!),
      3,
    );
    expect(sequence.optimumColdLoads(3)).toBe(expected);
  });
});
