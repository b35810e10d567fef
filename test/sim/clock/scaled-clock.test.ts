import { describe, expect, it } from 'vitest';
import { ScaledClock } from '../../../sim/clock/scaled-clock.js';
import { VirtualClock } from '../../../sim/clock/virtual-clock.js';

describe('ScaledClock', () => {
  it('runs scenario time faster than its base clock', async () => {
    const base = new VirtualClock();
    const clock = new ScaledClock(4, base);
    const woke: number[] = [];
    void clock.sleep(1_000).then(() => woke.push(base.now()));
    clock.setTimer(2_000, () => woke.push(base.now()));
    await base.run();
    expect(woke).toEqual([250, 500]);
    expect(clock.now()).toBe(2_000);
  });

  it('rejects a speed that is not positive', () => {
    expect(() => new ScaledClock(0)).toThrow(/speed/);
  });
});
