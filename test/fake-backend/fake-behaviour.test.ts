import { describe, expect, it } from 'vitest';
import { applyBehaviourEntries, DEFAULT_FAKE_BEHAVIOUR } from '../../src/fake-backend/fake-behaviour.js';
import { InvalidOptionError } from '../../src/errors.js';

describe('applyBehaviourEntries', () => {
  it('reads every known key', () => {
    const { behaviour, unknownKeys } = applyBehaviourEntries(DEFAULT_FAKE_BEHAVIOUR, [
      'load_ms:1500',
      'tokens_per_s:80',
      'prompt_tokens_per_s:400.5',
      'parallel:4',
      'memory_bytes:8000000000',
      'fail_load:out of memory: 3 GiB short',
      'crash_after_calls:2',
      'hang_after_calls:5',
      'free:unimplemented',
      'embedding_dims:32',
      'max_tokens:64',
    ]);
    expect(unknownKeys).toEqual([]);
    expect(behaviour).toEqual({
      loadMs: 1500,
      tokensPerS: 80,
      promptTokensPerS: 400.5,
      parallel: 4,
      memoryBytes: 8_000_000_000,
      failLoad: 'out of memory: 3 GiB short',
      crashAfterCalls: 2,
      hangAfterCalls: 5,
      free: 'unimplemented',
      embeddingDims: 32,
      maxTokens: 64,
    });
  });

  it('keeps the base for keys not given', () => {
    const base = { ...DEFAULT_FAKE_BEHAVIOUR, loadMs: 700 };
    const { behaviour } = applyBehaviourEntries(base, ['tokens_per_s:10']);
    expect(behaviour.loadMs).toBe(700);
    expect(behaviour.tokensPerS).toBe(10);
  });

  it('returns unknown keys instead of rejecting them', () => {
    const { unknownKeys } = applyBehaviourEntries(DEFAULT_FAKE_BEHAVIOUR, ['gpu_split:0,1', 'load_ms:1']);
    expect(unknownKeys).toEqual(['gpu_split']);
  });

  it.each([
    ['load_ms:-1'],
    ['load_ms:1.5'],
    ['parallel:0'],
    ['tokens_per_s:fast'],
    ['free:maybe'],
    ['no-colon'],
    [':value'],
  ])('rejects %s', (entry) => {
    expect(() => applyBehaviourEntries(DEFAULT_FAKE_BEHAVIOUR, [entry])).toThrow(InvalidOptionError);
  });
});
