/**
 * A source of time and timers. Loader, watchdog, router and simulator code take one of
 * these instead of reading `Date.now()` or calling `setTimeout`, so the simulator can run
 * the same code on virtual time.
 */
export interface Clock {
  /** Milliseconds since an arbitrary epoch fixed for the clock's lifetime. */
  now(): number;

  /**
   * Resolves after `ms` milliseconds. When `signal` aborts first, rejects with the
   * signal's reason and drops the timer.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;

  /** Runs `callback` once after `ms` milliseconds unless the timer is cancelled first. */
  setTimer(ms: number, callback: () => void): Timer;

  /** Runs `callback` every `ms` milliseconds until the timer is cancelled. */
  setRepeatingTimer(ms: number, callback: () => void): Timer;
}

/** A scheduled callback. `cancel()` is idempotent. */
export interface Timer {
  cancel(): void;
}
