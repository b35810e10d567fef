interface Waiter {
  grant: () => void;
}

/**
 * Admits one call at a time, in arrival order, for backends that do not serve calls in
 * parallel. A waiter whose signal aborts leaves the queue without taking a turn.
 */
export class CallQueue {
  /** True while a call holds the turn; `waiters` is empty whenever this is false. */
  private busy = false;
  private readonly waiters: Waiter[] = [];

  /** Number of calls waiting for their turn, not counting the one that holds it. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Resolves with a release function once it is this caller's turn; rejects with the
   * signal's reason if it aborts first. The release function is safe to call twice.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaseOnce());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaseOnce());
        },
      };
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaseOnce(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.handOver();
    };
  }

  private handOver(): void {
    const next = this.waiters.shift();
    if (next === undefined) {
      this.busy = false;
      return;
    }
    // The turn passes straight to the next waiter, so `busy` stays true in between.
    next.grant();
  }
}
