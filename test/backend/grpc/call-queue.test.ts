import { describe, expect, it } from 'vitest';
import { CallQueue } from '../../../src/backend/grpc/call-queue.js';

describe('CallQueue', () => {
  it('grants turns in arrival order', async () => {
    const queue = new CallQueue();
    const order: string[] = [];
    const releaseFirst = await queue.acquire();
    const second = queue.acquire().then((release) => {
      order.push('second');
      return release;
    });
    const third = queue.acquire().then((release) => {
      order.push('third');
      release();
    });
    expect(queue.waiting).toBe(2);

    releaseFirst();
    (await second)();
    await third;
    expect(order).toEqual(['second', 'third']);
    expect(queue.waiting).toBe(0);
  });

  it('ignores a second release of one turn', async () => {
    const queue = new CallQueue();
    const release = await queue.acquire();
    const next = queue.acquire();
    release();
    release();
    const releaseNext = await next;
    let thirdGranted = false;
    const third = queue.acquire().then(() => (thirdGranted = true));
    await Promise.resolve();
    expect(thirdGranted).toBe(false);
    releaseNext();
    await third;
    expect(thirdGranted).toBe(true);
  });

  it('drops a waiter whose signal aborts', async () => {
    const queue = new CallQueue();
    const release = await queue.acquire();
    const controller = new AbortController();
    const aborted = queue.acquire(controller.signal);
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    expect(queue.waiting).toBe(0);
    release();
    const again = await queue.acquire();
    again();
  });
});
