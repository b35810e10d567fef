/** Releases a held lock. Safe to call more than once. */
export type Release = () => void;

/**
 * One exclusive lock per key. Holders of different keys never wait for each other, so a
 * shutdown of one model waits for that model's own load but not for any other model.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves with a release function once every earlier holder of `key` has released. */
  async acquire(key: string): Promise<Release> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let unlock!: () => void;
    const current = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;

    let released = false;
    return () => {
      if (released) return;
      released = true;
      unlock();
      // Drop the entry when no one queued behind us, so the map does not grow with every id.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  /** True while someone holds or waits for `key`. */
  isLocked(key: string): boolean {
    return this.tails.has(key);
  }
}
