/**
 * The fake backend's parallel slots: at most `capacity` inference calls run at once, the
 * rest wait in arrival order, as in a backend with a fixed number of sequence slots.
 */
export class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private capacity: number) {}

  /** Calls running now. */
  get inUse(): number {
    return this.used;
  }

  /** Changes the capacity for calls that start from now on; running calls keep their slots. */
  resize(capacity: number): void {
    this.capacity = capacity;
    this.admitWaiting();
  }

  /** Resolves with a release function once a slot is free; the release function is idempotent. */
  async acquire(): Promise<() => void> {
    if (this.used >= this.capacity) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.used++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
      this.admitWaiting();
    };
  }

  private admitWaiting(): void {
    while (this.used < this.capacity && this.waiting.length > 0) {
      this.used++;
      this.waiting.shift()?.();
    }
  }
}
