import { describe, expect, it } from 'vitest';
import { RealClock } from '../../src/clock/real-clock.js';

describe('RealClock', () => {
  it('fires a timer and not a cancelled one', async () => {
    const clock = new RealClock();
    const fired: string[] = [];
    clock.setTimer(5, () => fired.push('kept'));
    clock.setTimer(5, () => fired.push('cancelled')).cancel();
    await clock.sleep(30);
    expect(fired).toEqual(['kept']);
  });

  it('rejects a sleep when its signal aborts', async () => {
    const clock = new RealClock();
    const controller = new AbortController();
    const sleep = clock.sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleep).rejects.toThrow('stop');
  });

  it('moves forward', async () => {
    const clock = new RealClock();
    const before = clock.now();
    await clock.sleep(5);
    expect(clock.now()).toBeGreaterThan(before);
  });
});
