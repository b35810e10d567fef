import { describe, expect, it } from 'vitest';
import { FailureCooldown } from '../../src/loader/failure-cooldown.js';

describe('FailureCooldown', () => {
  it('allows loads of a model that never failed', () => {
    expect(new FailureCooldown(10_000, 300_000).check('a', 0)).toBeUndefined();
  });

  it('doubles the window up to the maximum', () => {
    const cooldown = new FailureCooldown(10_000, 300_000);
    const windows = Array.from({ length: 7 }, (_, i) => cooldown.recordFailure('a', i, new Error('x')));
    expect(windows).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('reports retry-after until the window ends', () => {
    const cooldown = new FailureCooldown(10_000, 300_000);
    cooldown.recordFailure('a', 1_000, new Error('x'));
    expect(cooldown.check('a', 4_000)).toMatchObject({ retryAfterMs: 7_000, consecutiveFailures: 1 });
    expect(cooldown.check('a', 11_000)).toBeUndefined();
  });

  it('keeps models apart', () => {
    const cooldown = new FailureCooldown(10_000, 300_000);
    cooldown.recordFailure('a', 0, new Error('x'));
    expect(cooldown.check('b', 0)).toBeUndefined();
  });

  it('starts over after a success', () => {
    const cooldown = new FailureCooldown(10_000, 300_000);
    cooldown.recordFailure('a', 0, new Error('x'));
    cooldown.recordFailure('a', 0, new Error('x'));
    cooldown.recordSuccess('a');
    expect(cooldown.check('a', 0)).toBeUndefined();
    expect(cooldown.recordFailure('a', 0, new Error('x'))).toBe(10_000);
  });
});
