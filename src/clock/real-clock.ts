import type { Clock, Timer } from './clock.js';

/**
 * The wall-clock adapter: the only place in `src/` that touches `performance.now()` and
 * Node's timers. Repeating timers (watchdog, heartbeats) are unref'd so they alone never
 * keep the process alive. One-shot timers stay ref'd, because code awaiting one (a call
 * in progress) needs the process to live until it fires.
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
    return { cancel: () => clearTimeout(handle) };
  }

  setRepeatingTimer(ms: number, callback: () => void): Timer {
    const handle = setInterval(callback, Math.max(1, ms));
    handle.unref();
    return { cancel: () => clearInterval(handle) };
  }
}
