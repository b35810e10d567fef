import type { Clock, Timer } from './clock.js';

/**
 * The wall-clock adapter: the only place in `src/` that touches `performance.now()` and
 * Node's timers. Timers are unref'd so a loader alone never keeps the process alive.
 */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(handle);
        reject(signal?.reason);
      };
      const handle = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  setTimer(ms: number, callback: () => void): Timer {
    const handle = setTimeout(callback, Math.max(0, ms));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }

  setRepeatingTimer(ms: number, callback: () => void): Timer {
    const handle = setInterval(callback, Math.max(1, ms));
    handle.unref();
    return { cancel: () => clearInterval(handle) };
  }
}
