import { describe, expect, it } from 'vitest';
import { lruPolicy, resolveEvictionPolicy, sizeAwarePolicy } from '../../src/watchdog/eviction-policy.js';

const candidates = [
  { modelId: 'b', lastUsedMs: 30, sizeBytes: 4 },
  { modelId: 'a', lastUsedMs: 30, sizeBytes: 8 },
  { modelId: 'c', lastUsedMs: 10, sizeBytes: undefined },
  { modelId: 'd', lastUsedMs: 20, sizeBytes: 8 },
];

describe('eviction policies', () => {
  it('lru orders by last use, then id', () => {
    expect(lruPolicy.order(candidates).map((c) => c.modelId)).toEqual(['c', 'd', 'a', 'b']);
  });

  it('size-aware orders largest first, unknown sizes last', () => {
    expect(sizeAwarePolicy.order(candidates).map((c) => c.modelId)).toEqual(['d', 'a', 'b', 'c']);
  });

  it('does not reorder its input', () => {
    const input = [...candidates];
    lruPolicy.order(input);
    expect(input).toEqual(candidates);
  });

  it('rejects an unknown policy name', () => {
    expect(() => resolveEvictionPolicy('fifo')).toThrow(/evictionPolicy must be one of lru, size-aware/);
  });
});
