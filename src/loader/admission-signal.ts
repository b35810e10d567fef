import type { Clock } from '../clock/clock.js';

/**
 * Wakes cold loads that wait for room. Notified when a model goes idle, stops, or finishes
 * loading. Waiters wake on a zero-delay timer rather than at once, so a caller that has
 * just received a client starts its call (and counts as busy) before a waiting load
 * re-plans its evictions.
 */
export class AdmissionSignal {
  private waiters: Array<() => void> = [];
  private scheduled = false;

  /** With `enabled` false, `notify` does nothing and waits last their full timeout (plain polling). */
  constructor(
    private readonly clock: Clock,
    private readonly enabled = true,
  ) {}

  /** Resolves at the next notification or after `timeoutMs`, whichever comes first. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        timer.cancel();
        this.waiters = this.waiters.filter((w) => w !== finish);
        resolve();
      };
      const timer = this.clock.setTimer(timeoutMs, finish);
      this.waiters.push(finish);
    });
  }

  notify(): void {
    if (!this.enabled || this.scheduled || this.waiters.length === 0) return;
    this.scheduled = true;
    this.clock.setTimer(0, () => {
      this.scheduled = false;
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }
}
