import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../src/util/keyed-mutex.js';

describe('KeyedMutex', () => {
  it('serializes holders of one key in arrival order', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const releaseFirst = await mutex.acquire('a');
    const second = mutex.acquire('a').then((release) => {
      order.push('second');
      release();
    });
    const third = mutex.acquire('a').then((release) => {
      order.push('third');
      release();
    });
    await Promise.resolve();
    order.push('first done');
    releaseFirst();
    await Promise.all([second, third]);
    expect(order).toEqual(['first done', 'second', 'third']);
    expect(mutex.isLocked('a')).toBe(false);
  });

  it('lets holders of different keys run at once', async () => {
    const mutex = new KeyedMutex();
    await mutex.acquire('a');
    const releaseB = await mutex.acquire('b');
    releaseB();
    expect(mutex.isLocked('b')).toBe(false);
    expect(mutex.isLocked('a')).toBe(true);
  });

  it('tolerates a second release', async () => {
    const mutex = new KeyedMutex();
    const release = await mutex.acquire('a');
    release();
    const next = await mutex.acquire('a');
    release();
    expect(mutex.isLocked('a')).toBe(true);
    next();
  });
});
