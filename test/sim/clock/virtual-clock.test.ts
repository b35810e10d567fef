import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  SimulationStalledError,
  SimulationTimeLimitError,
  VirtualClock,
} from '../../../sim/clock/virtual-clock.js';

describe('VirtualClock', () => {
  it('runs events in time order', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    clock.setTimer(30, () => order.push('c'));
    clock.setTimer(10, () => order.push('a'));
    clock.setTimer(20, () => order.push('b'));
    await clock.run();
    expect(order).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(30);
  });

  it('breaks ties by insertion order', async () => {
    const clock = new VirtualClock();
    const order: number[] = [];
    for (let i = 0; i < 50; i++) clock.setTimer(5, () => order.push(i));
    await clock.run();
    expect(order).toEqual([...Array(50).keys()]);
  });

  it('runs a timer scheduled at the current instant after earlier ones', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    clock.setTimer(10, () => {
      order.push('first');
      clock.setTimer(0, () => order.push('zero-delay'));
    });
    clock.setTimer(10, () => order.push('second'));
    await clock.run();
    expect(order).toEqual(['first', 'second', 'zero-delay']);
  });

  it('skips cancelled timers', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    const timer = clock.setTimer(10, () => fired.push('cancelled'));
    clock.setTimer(20, () => fired.push('kept'));
    timer.cancel();
    timer.cancel();
    await clock.run();
    expect(fired).toEqual(['kept']);
    expect(clock.pendingEvents).toBe(0);
  });

  it('repeats a repeating timer until cancelled', async () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    const timer = clock.setRepeatingTimer(100, () => {
      times.push(clock.now());
      if (times.length === 3) timer.cancel();
    });
    await clock.run();
    expect(times).toEqual([100, 200, 300]);
  });

  it('settles long await chains before time advances', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const chain = async (): Promise<void> => {
      await clock.sleep(10);
      for (let i = 0; i < 1000; i++) await Promise.resolve();
      seen.push(clock.now());
      await clock.sleep(5);
      seen.push(clock.now());
    };
    void chain();
    clock.setTimer(11, () => seen.push(-1));
    await clock.run();
    expect(seen).toEqual([10, -1, 15]);
  });

  it('settles file reads before time advances', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const self = fileURLToPath(import.meta.url);
    const reader = async (): Promise<void> => {
      await clock.sleep(10);
      await readFile(self, 'utf8');
      await readFile(self, 'utf8');
      seen.push(clock.now());
    };
    void reader();
    clock.setTimer(11, () => seen.push(-1));
    await clock.run();
    expect(seen).toEqual([10, -1]);
  });

  it('rejects a sleep whose signal aborts', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(100, controller.signal);
    clock.setTimer(10, () => controller.abort(new Error('stop')));
    const outcome = sleeping.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await clock.run();
    expect(await outcome).toBe('stop');
    expect(clock.now()).toBe(10);
  });

  it('moves time to the target of runUntil', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    clock.setTimer(10, () => fired.push(10));
    clock.setTimer(20, () => fired.push(20));
    clock.setTimer(21, () => fired.push(21));
    await clock.runUntil(20);
    expect(fired).toEqual([10, 20]);
    expect(clock.now()).toBe(20);
    await clock.runUntil(5);
    expect(clock.now()).toBe(20);
  });

  it('returns the value of a promise run to settlement', async () => {
    const clock = new VirtualClock();
    const value = await clock.runUntilSettled(
      clock.sleep(40).then(() => 'done'),
      'a sleep',
    );
    expect(value).toBe('done');
    expect(clock.now()).toBe(40);
  });

  it('reports a stall when nothing can settle the promise', async () => {
    const clock = new VirtualClock();
    const never = new Promise<void>(() => {});
    await expect(clock.runUntilSettled(never, 'the replay')).rejects.toBeInstanceOf(SimulationStalledError);
  });

  it('stops at the time limit of runUntilSettled', async () => {
    const clock = new VirtualClock();
    const ticker = clock.setRepeatingTimer(10, () => {});
    const never = new Promise<void>(() => {});
    await expect(clock.runUntilSettled(never, 'the replay', 100)).rejects.toBeInstanceOf(SimulationTimeLimitError);
    expect(clock.now()).toBe(100);
    ticker.cancel();
  });

  it('keeps the heap bounded when many timers are cancelled', () => {
    const clock = new VirtualClock();
    for (let i = 0; i < 10_000; i++) clock.setTimer(1_000 + i, () => {}).cancel();
    clock.setTimer(5, () => {});
    expect(clock.pendingEvents).toBe(1);
    expect((clock as unknown as { heap: unknown[] }).heap.length).toBeLessThan(2_100);
  });
});
